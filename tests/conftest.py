"""Fixtures: a real SQLite file per test, a real PostgreSQL database per session when one is
reachable (mandatory under CI=true), apps bound to either, a page-checking client."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pwa import create_app, migrate
from pwa.config import TestConfig
from pwa.db import create_engine_for, parse_database_url
from tests.pagecheck import PageCheckingClient

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _postgres_url() -> str:
    """TEST_POSTGRES_URL, else DATABASE_URL when it names PostgreSQL, else the local server."""
    if os.environ.get("TEST_POSTGRES_URL"):
        return os.environ["TEST_POSTGRES_URL"]
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql")):
        return str(parse_database_url(database_url).render_as_string(hide_password=False))
    return "postgresql+psycopg://postgres@127.0.0.1:5432/test"


POSTGRES_URL = _postgres_url()
AS_OF = date(2026, 6, 1)  # the demo data's reference day in tests


def make_config(database_url: str, **overrides: object) -> TestConfig:
    config = TestConfig()
    config.DATABASE_URL = database_url
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file; tests copy it instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "empty.sqlite3"
    engine = create_engine_for(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "app.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh database on the local PostgreSQL server for this test session."""
    admin_url = make_url(POSTGRES_URL)
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        message = (
            f"PostgreSQL not reachable at {admin_url.render_as_string()}: {exc.__class__.__name__}"
        )
        if IN_CI:
            pytest.fail(message + " (CI=true makes the PostgreSQL tests mandatory)")
        pytest.skip(message + " — PostgreSQL tests skipped; set TEST_POSTGRES_URL to run them")
    name = f"pwa_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    engine = create_engine_for(url)
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_all(url: str) -> None:
    from pwa.models import Base

    engine = create_engine_for(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    from auth.scope import forget_region_tree

    _truncate_all(postgres_server_url)
    forget_region_tree()  # ids restart with every test: a cached tree would be another's
    yield postgres_server_url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs a test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def app(sqlite_url: str) -> Iterator[Flask]:
    application = create_app(make_config(sqlite_url))
    yield application
    application.extensions["pwa.db"][0].dispose()


@pytest.fixture
def any_app(database_url: str) -> Iterator[Flask]:
    application = create_app(make_config(database_url))
    yield application
    application.extensions["pwa.db"][0].dispose()


@pytest.fixture
def client(app: Flask) -> PageCheckingClient:
    app.test_client_class = PageCheckingClient
    return app.test_client()


def seed(application: Flask, scale: str = "tiny") -> None:
    from pwa.extensions import db, secrets
    from pwa.seed import generate_demo

    with application.app_context(), db.engine.begin() as connection:
        generate_demo(
            connection,
            scale=scale,
            seed=7,
            as_of=AS_OF,
            cipher=secrets.cipher,
            blind_index=secrets.blind_index,
        )


@pytest.fixture(scope="session")
def seeded_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny demo city, generated once per session."""
    path = tmp_path_factory.mktemp("seeded") / "tiny.sqlite3"
    shutil.copy(sqlite_template, path)
    application = create_app(make_config(f"sqlite:///{path}"))
    seed(application)
    application.extensions["pwa.db"][0].dispose()
    return path


@pytest.fixture
def seeded_app(seeded_template: Path, tmp_path: Path) -> Iterator[Flask]:
    path = tmp_path / "seeded.sqlite3"
    shutil.copy(seeded_template, path)
    application = create_app(make_config(f"sqlite:///{path}"))
    application.config["FROZEN_NOW"] = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)
    yield application
    application.extensions["pwa.db"][0].dispose()


@pytest.fixture
def seeded_client(seeded_app: Flask) -> PageCheckingClient:
    seeded_app.test_client_class = PageCheckingClient
    return seeded_app.test_client()


@pytest.fixture(scope="session", autouse=True)
def _hash_each_test_password_once():
    """argon2id is slow on purpose; tests create many accounts with the same password."""
    from auth import passwords

    original, cache = passwords.hash_password, {}

    def remembered(password: str) -> str:
        if password not in cache:
            cache[password] = original(password)
        return cache[password]

    passwords.hash_password = remembered
    yield
    passwords.hash_password = original
