"""Configuration fails safe: production refuses weak setups with one clear line."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pwa import create_app
from pwa.config import ConfigurationError, DevelopmentConfig, ProductionConfig, TestConfig
from pwa.db import DatabaseURLError, parse_database_url
from pwa.domain.push.sender import VapidKeys

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = base64.b64encode(os.urandom(32)).decode()


def production(tmp_path, **values):
    config = ProductionConfig()
    config.SECRET_KEY = "s" * 48
    config.DATA_KEY = GOOD_KEY
    config.INDEX_KEY = base64.b64encode(os.urandom(32)).decode()
    config.BACKUP_KEY = base64.b64encode(os.urandom(32)).decode()
    config.AUDIT_CHECKPOINT_KEY = base64.b64encode(os.urandom(32)).decode()
    config.VAPID_PRIVATE_KEY = VapidKeys.generate()
    config.VAPID_SUBJECT = "mailto:ops@bianban.example"
    config.DATABASE_URL = f"sqlite:///{tmp_path}/p.sqlite3"
    config.INSTANCE_PATH = str(tmp_path / "instance")
    for key, value in values.items():
        setattr(config, key, value)
    return config


def test_production_starts_with_real_keys(tmp_path):
    app = create_app(production(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["FORCE_HTTPS"]


@pytest.mark.parametrize(
    "attribute, value, fragment",
    [
        ("SECRET_KEY", None, "PWA_SECRET_KEY"),
        ("SECRET_KEY", TestConfig.SECRET_KEY, "默认值"),
        ("SECRET_KEY", "short", "太短"),
        ("DATA_KEY", None, "PWA_DATA_KEY"),
        ("DATA_KEY", TestConfig.DATA_KEY, "默认值"),
        ("DATA_KEY", "not base64!", "base64"),
        ("INDEX_KEY", None, "PWA_INDEX_KEY"),
        ("AUDIT_CHECKPOINT_KEY", None, "PWA_AUDIT_CHECKPOINT_KEY"),
        ("AUDIT_CHECKPOINT_KEY", TestConfig.AUDIT_CHECKPOINT_KEY, "默认值"),
        ("AUDIT_CHECKPOINT_KEY", base64.b64encode(b"short").decode(), "太短"),
        ("AUDIT_RETENTION_DAYS", 179, "不得少于 180 天"),
        ("VAPID_PRIVATE_KEY", None, "PWA_VAPID_PRIVATE_KEY"),
        ("VAPID_PRIVATE_KEY", TestConfig.VAPID_PRIVATE_KEY, "测试值"),
        ("VAPID_PRIVATE_KEY", "not-a-key", "P-256"),
        ("VAPID_SUBJECT", None, "PWA_VAPID_SUBJECT"),
        ("VAPID_SUBJECT", "ops@bianban.example", "mailto:"),
        ("DEBUG", True, "调试"),
        ("DATABASE_URL", "mysql://x@y/z", "不支持"),
    ],
)
def test_production_refuses_weak_configuration(tmp_path, attribute, value, fragment):
    with pytest.raises(ConfigurationError, match=fragment):
        create_app(production(tmp_path, **{attribute: value}))


def test_development_generates_keys_once_into_the_instance_folder(tmp_path):
    config = DevelopmentConfig()
    config.DATABASE_URL = f"sqlite:///{tmp_path}/d.sqlite3"
    config.INSTANCE_PATH = str(tmp_path / "instance")
    first = create_app(config)
    again = DevelopmentConfig()
    again.DATABASE_URL = config.DATABASE_URL
    again.INSTANCE_PATH = config.INSTANCE_PATH
    second = create_app(again)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["VAPID_PRIVATE_KEY"] == second.config["VAPID_PRIVATE_KEY"]
    assert first.config["AUDIT_CHECKPOINT_KEY"] == second.config["AUDIT_CHECKPOINT_KEY"]
    for name in ("data_key", "vapid_private_key", "audit_checkpoint_key"):
        key_file = tmp_path / "instance" / "keys" / name
        assert oct(key_file.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "not a url",
        "sqlite://",
        "sqlite:///:memory:",
        "oracle://scott@tiger/db",
        "postgresql://u:pw@@@/x",
        "postgresql://",
        "postgresql://u@h:port/db",
        "postgresql://u@h:99999/db",
    ],
)
def test_malformed_database_urls_are_named_clearly(url):
    with pytest.raises(DatabaseURLError) as caught:
        parse_database_url(url)
    assert "DATABASE_URL" in str(caught.value)
    assert "pw" not in str(caught.value).replace("postgresql", "")


def test_postgres_scheme_aliases_use_psycopg():
    assert parse_database_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert parse_database_url("postgresql://u@h/db").drivername == "postgresql+psycopg"


def run_flask(tmp_path, *args, **env):
    environment = {
        **os.environ,
        "PWA_ENV": "development",
        "PWA_INSTANCE_PATH": str(tmp_path / "instance"),
        **env,
    }
    environment.pop("FLASK_APP", None)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "pwa", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_malformed_database_url_gives_one_line_not_a_traceback(tmp_path):
    result = run_flask(tmp_path, "db", "upgrade", DATABASE_URL="postgresql://user:hunter2@@")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "DATABASE_URL" in lines[0]
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize("days", [0, 30, 179])
def test_an_audit_retention_below_180_days_refuses_to_start(tmp_path, days):
    config = DevelopmentConfig()
    config.DATABASE_URL = f"sqlite:///{tmp_path}/d.sqlite3"
    config.INSTANCE_PATH = str(tmp_path / "instance")
    config.AUDIT_RETENTION_DAYS = days
    with pytest.raises(ConfigurationError) as refused:
        create_app(config)
    assert f"审计日志保留期限不得少于 180 天（PWA_AUDIT_RETENTION_DAYS 当前为 {days} 天）" in str(
        refused.value
    )


def test_the_audit_retention_comes_from_the_environment(tmp_path, monkeypatch):
    assert DevelopmentConfig().AUDIT_RETENTION_DAYS == 180
    monkeypatch.setenv("PWA_AUDIT_RETENTION_DAYS", "365")
    assert DevelopmentConfig().AUDIT_RETENTION_DAYS == 365
    monkeypatch.setenv("PWA_AUDIT_RETENTION_DAYS", "半年")
    with pytest.raises(ConfigurationError, match="PWA_AUDIT_RETENTION_DAYS"):
        DevelopmentConfig()


def test_a_short_audit_retention_in_the_environment_stops_the_command_line(tmp_path):
    result = run_flask(tmp_path, "db", "current", PWA_AUDIT_RETENTION_DAYS="90")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "不得少于 180 天" in result.stderr and "90" in result.stderr


def test_unknown_environment_name_is_refused(tmp_path):
    result = run_flask(tmp_path, "db", "current", PWA_ENV="staging")
    assert (
        result.returncode != 0 and "PWA_ENV" in result.stderr and "Traceback" not in result.stderr
    )


def test_production_without_keys_refuses_to_start(tmp_path):
    env = {
        "PWA_ENV": "production",
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
        "PWA_SECRET_KEY": "",
        "PWA_DATA_KEY": "",
        "PWA_INDEX_KEY": "",
    }
    result = run_flask(tmp_path, "db", "current", **env)
    assert result.returncode != 0 and "PWA_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
