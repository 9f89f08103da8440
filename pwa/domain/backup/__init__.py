"""Encrypted backups: create, verify, restore into a fresh database, and drills.

SQLite is copied through the online backup API (a consistent copy while the app writes);
PostgreSQL through ``pg_dump`` (custom format) inside one exported snapshot, the same
snapshot the manifest's per-table hashes are computed in. The copy is encrypted with
``BACKUP_KEY`` (see ``envelope``) and never touches the backup directory in clear.
A restore goes into a fresh database only and is compared table by table with the manifest;
a SQLite restore is built in a temporary file and linked into place only once it matches.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL

from pwa.db import DatabaseURLError, parse_database_url
from pwa.domain.backup import envelope
from pwa.domain.backup.digest import database_digests, differences, schema_revision
from pwa.domain.backup.envelope import BackupError, BackupIntegrityError

__all__ = ["BackupError", "BackupIntegrityError", "create", "drill", "restore", "verify"]

FORMAT = "bianban-backup/1"
SUFFIX = ".bbak"


@dataclass(frozen=True)
class Created:
    path: Path
    manifest: dict
    size: int
    sha256: str  # of the encrypted file, for the operator's own records


def _url(raw: str) -> URL:
    try:
        return parse_database_url(raw)
    except DatabaseURLError as exc:
        raise BackupError(str(exc)) from None


def _sqlite_path(url: URL) -> Path:
    return Path(url.database).resolve()


def _plain_engine(path: Path) -> Engine:
    return create_engine(f"sqlite:///{path}")


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _scratch_dir(near: Path | None = None) -> Iterator[Path]:
    """A private (0700) temporary directory, removed afterwards whatever happens."""
    path = Path(tempfile.mkdtemp(prefix=".bianban-backup-", dir=near))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _new_name(directory: Path, engine: str, now: datetime) -> Path:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    for n in range(1, 1000):
        suffix = "" if n == 1 else f"-{n}"
        path = directory / f"bianban-{engine}-{stamp}{suffix}{SUFFIX}"
        if not path.exists():
            return path
    raise BackupError(f"备份目录中同一时刻的文件过多：{directory}")


# -- PostgreSQL client tools -------------------------------------------------------------


def _client_major(tool: str) -> int:
    if shutil.which(tool) is None:
        raise BackupError(
            f"找不到 {tool}：请安装与数据库服务器同一主版本的 PostgreSQL 客户端"
            "（如 apt-get install postgresql-client-15）"
        )
    output = subprocess.run(  # noqa: S603 - a fixed tool name, no shell
        [tool, "--version"], capture_output=True, text=True
    ).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", output)
    if not match:
        raise BackupError(f"无法识别 {tool} 的版本：{output.strip()[:80]}")
    return int(match.group(1))


def _check_client(tool: str, connection) -> None:
    server = int(connection.execute(text("SHOW server_version_num")).scalar()) // 10000
    client = _client_major(tool)
    if client != server:
        raise BackupError(
            f"{tool} 版本（{client}）与数据库服务器版本（{server}）不一致："
            f"请安装 postgresql-client-{server}"
        )


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it."""
    plain = url.set(drivername="postgresql", password=None)
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return plain.render_as_string(hide_password=False), env


def _run_tool(args: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True, env=env)  # noqa: S603 - no shell
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["（无输出）"])[-1]
        raise BackupError(f"{what}失败：{last[:300]}")


# -- create ------------------------------------------------------------------------------


def create(database_url: str, key: bytes, directory: Path, now: datetime) -> Created:
    url = _url(database_url)
    engine_name = url.get_backend_name()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _scratch_dir() as scratch:
        dump = scratch / "dump"
        if engine_name == "sqlite":
            manifest = _dump_sqlite(_sqlite_path(url), dump)
        else:
            manifest = _dump_postgres(url, dump)
        manifest = {
            "format": FORMAT,
            "engine": engine_name,
            "created_at": now.astimezone(UTC).isoformat(),
            **manifest,
        }
        target = _new_name(directory, engine_name, now)
        partial = target.with_name(target.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out, dump.open("rb") as source:
                manifest = envelope.encrypt(key, source, out, manifest)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, target)
            _fsync_dir(directory)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return Created(target, manifest, target.stat().st_size, _sha256_of(target))


def _dump_sqlite(source: Path, dump: Path) -> dict:
    if not source.exists():
        raise BackupError(f"数据库文件不存在：{source}")
    # The online backup API: a consistent copy even while the app is writing.
    src = sqlite3.connect(f"file:{urllib.parse.quote(str(source))}?mode=ro", uri=True)
    dst = sqlite3.connect(dump)
    try:
        src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite 在线备份失败：{exc}") from None
    finally:
        dst.close()
        src.close()
    engine = _plain_engine(dump)
    try:
        with engine.connect() as connection:
            return {
                "schema_revision": schema_revision(connection),
                "tables": database_digests(connection),
            }
    finally:
        engine.dispose()


def _dump_postgres(url: URL, dump: Path) -> dict:
    conninfo, env = _libpq(url)
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as connection:
            _check_client("pg_dump", connection)
            # One snapshot for pg_dump and for the manifest's hashes.
            connection.execute(text("SET TRANSACTION READ ONLY"))
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar()
            _run_tool(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={dump}",
                    f"--dbname={conninfo}",
                ],
                env,
                "pg_dump 导出",
            )
            manifest = {
                "schema_revision": schema_revision(connection),
                "tables": database_digests(connection),
            }
            connection.rollback()
            return manifest
    finally:
        engine.dispose()


# -- verify ------------------------------------------------------------------------------


def verify(path: Path, key: bytes, into: Path | None = None) -> dict:
    """Every chunk and the manifest, or ``BackupIntegrityError``; optionally the dump."""
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    with path.open("rb") as source:
        if into is None:
            return envelope.decrypt(key, source)
        with into.open("wb") as target:
            manifest = envelope.decrypt(key, source, target)
            target.flush()
            os.fsync(target.fileno())
            return manifest


# -- restore -----------------------------------------------------------------------------


def restore(path: Path, key: bytes, target_url: str) -> dict:
    """Into a fresh database only; compared table by table with the manifest."""
    url = _url(target_url)
    if url.get_backend_name() == "sqlite":
        return _restore_sqlite(path, key, _sqlite_path(url))
    return _restore_postgres(path, key, url)


def _check_engine(manifest: dict, engine: str) -> None:
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不支持的备份格式：{manifest.get('format')!r}")
    if manifest.get("engine") != engine:
        raise BackupError(
            f"该备份来自 {manifest.get('engine')}，不能恢复到 {engine}（请恢复到同类数据库）"
        )


def _compare(manifest: dict, engine: Engine) -> None:
    with engine.connect() as connection:
        revision = schema_revision(connection)
        actual = database_digests(connection)
    if revision != manifest.get("schema_revision"):
        raise BackupError(
            f"恢复后的结构版本（{revision}）与清单（{manifest.get('schema_revision')}）不符"
        )
    problems = differences(manifest["tables"], actual)
    if problems:
        raise BackupError("恢复结果与备份清单不符：" + "；".join(problems[:5]))


def _restore_sqlite(path: Path, key: bytes, target: Path) -> dict:
    if target.exists() and target.stat().st_size > 0:
        raise BackupError(f"目标数据库不是空的：{target}（只能恢复到新的数据库，不会覆盖已有数据）")
    for extra in ("-wal", "-journal"):
        if Path(f"{target}{extra}").exists():
            raise BackupError(f"目标数据库旁有残留的 {target.name}{extra}：请先确认并删除")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Built beside the target (same file system), linked into place only once it matches.
    with _scratch_dir(near=target.parent) as scratch:
        work = scratch / "restore.sqlite3"
        manifest = verify(path, key, into=work)
        _check_engine(manifest, "sqlite")
        os.chmod(work, 0o600)
        engine = _plain_engine(work)
        try:
            _compare(manifest, engine)
        finally:
            engine.dispose()
        if target.exists():  # an empty file someone created for us: replace it
            target.unlink()
        try:
            os.link(work, target)  # never overwrites: fails if the target appeared meanwhile
        except FileExistsError:
            raise BackupError(f"目标数据库在恢复期间被创建：{target}（未覆盖）") from None
        _fsync_dir(target.parent)
    return manifest


def _user_tables(engine: Engine) -> list[str]:
    inspector = inspect(engine)
    names = []
    for schema in inspector.get_schema_names():
        if schema in ("information_schema",) or schema.startswith("pg_"):
            continue
        names += [f"{schema}.{t}" for t in inspector.get_table_names(schema=schema)]
    return names


def _restore_postgres(path: Path, key: bytes, url: URL) -> dict:
    engine = create_engine(url)
    try:
        try:
            tables = _user_tables(engine)
        except Exception as exc:  # noqa: BLE001 - unreachable or missing database
            raise BackupError(f"无法连接目标数据库：{exc.__class__.__name__}") from None
        if tables:
            raise BackupError(
                f"目标数据库不是空的（已有 {len(tables)} 张表）：只能恢复到新建的空数据库"
            )
        with engine.connect() as connection:
            _check_client("pg_restore", connection)
        with _scratch_dir() as scratch:
            dump = scratch / "dump"
            manifest = verify(path, key, into=dump)  # nothing reaches the server unverified
            _check_engine(manifest, "postgresql")
            conninfo, env = _libpq(url)
            # One transaction: any error leaves the target as empty as it was.
            _run_tool(
                [
                    "pg_restore",
                    "--single-transaction",
                    "--exit-on-error",
                    "--no-owner",
                    "--no-privileges",
                    f"--dbname={conninfo}",
                    str(dump),
                ],
                env,
                "pg_restore 恢复",
            )
        try:
            _compare(manifest, engine)
        except BackupError:
            _empty_postgres(engine)  # do not leave a restore that does not match
            raise
        return manifest
    finally:
        engine.dispose()


def _empty_postgres(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


# -- drills ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrillOutcome:
    ok: bool
    reason: str
    file: str
    size: int | None


def drill(database_url: str, key: bytes, directory: Path, now: datetime) -> DrillOutcome:
    """create → verify → restore into a scratch database → compare; never raises for a
    failed step (the outcome says why), so every drill can be recorded."""
    created: Created | None = None
    try:
        created = create(database_url, key, directory, now)
        verify(created.path, key)
        url = _url(database_url)
        if url.get_backend_name() == "sqlite":
            with _scratch_dir() as scratch:
                restore(created.path, key, f"sqlite:///{scratch / 'drill.sqlite3'}")
        else:
            with _scratch_postgres(url) as scratch_url:
                restore(created.path, key, scratch_url)
    except BackupError as exc:
        return _failed(str(exc), created)
    except Exception as exc:  # noqa: BLE001 - a drill records any failure, then reports it
        return _failed(f"{exc.__class__.__name__}: {str(exc)[:300]}", created)
    return DrillOutcome(True, "", str(created.path), created.size)


def _failed(reason: str, created: Created | None) -> DrillOutcome:
    return DrillOutcome(
        False, reason, str(created.path) if created else "", created.size if created else None
    )


@contextmanager
def _scratch_postgres(url: URL) -> Iterator[str]:
    """A new, empty database on the same server, dropped afterwards."""
    name = f"bianban_drill_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
        except Exception as exc:  # noqa: BLE001 - typically no CREATEDB privilege
            raise BackupError(
                f"无法创建演练用的临时数据库（需要 CREATEDB 权限）：{exc.__class__.__name__}"
            ) from None
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
