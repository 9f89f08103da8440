"""Encrypted backups end to end through the commands: real files, real SQLite and PostgreSQL,
real pg_dump/pg_restore; tampering of every kind fails verification loudly."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from pwa import create_app
from pwa.domain import idnumber
from pwa.domain.backup import envelope
from pwa.domain.personnel import ID_CONTEXT
from pwa.extensions import db, secrets
from pwa.models import BackupDrill, Person
from tests.conftest import IN_CI, POSTGRES_URL, make_config, seed


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def create_backup(app, directory: Path) -> Path:
    result = run(app, "backup", "create", "--to", str(directory))
    assert result.exit_code == 0, result.output
    (path,) = directory.glob("*.bbak")
    return path


def id_numbers(url: str) -> dict[int, str]:
    """Every person's ID number, decrypted, from the database at ``url``."""
    application = create_app(make_config(url))
    try:
        with application.app_context():
            rows = db.session.execute(select(Person.id, Person.id_number_ciphertext)).all()
            return {pid: secrets.cipher.decrypt(blob, ID_CONTEXT) for pid, blob in rows}
    finally:
        application.extensions["pwa.db"][0].dispose()


@pytest.fixture
def pg_client(postgres_server_url: str) -> None:
    """pg_dump/pg_restore of the server's major version, or a clear skip (a failure in CI)."""
    engine = create_engine(postgres_server_url)
    with engine.connect() as connection:
        server = int(connection.execute(text("SHOW server_version_num")).scalar()) // 10000
    engine.dispose()
    for tool in ("pg_dump", "pg_restore"):
        found = shutil.which(tool)
        version = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
        major = re.search(r"(\d+)", version or "")
        if not found or not major or int(major.group(1)) != server:
            message = f"{tool} {version.strip() or 'missing'} does not match server {server}"
            message += f" (apt-get install postgresql-client-{server})"
            if IN_CI:
                pytest.fail(message + " — CI=true makes the PostgreSQL backup tests mandatory")
            pytest.skip(message + " — PostgreSQL backup tests skipped")


@pytest.fixture
def fresh_postgres(postgres_server_url: str):
    """An empty database on the test server, dropped afterwards."""
    admin = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"pwa_restore_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    yield make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_sqlite_round_trip(seeded_app, tmp_path):
    source = seeded_app.config["DATABASE_URL"]
    path = create_backup(seeded_app, tmp_path / "off-site")
    assert path.stat().st_mode & 0o777 == 0o600
    assert re.fullmatch(r"bianban-sqlite-\d{8}T\d{6}Z\.bbak", path.name)

    verified = run(seeded_app, "backup", "verify", str(path))
    assert verified.exit_code == 0 and "备份完好" in verified.output

    target = tmp_path / "restored" / "new.sqlite3"
    restored = run(seeded_app, "backup", "restore", str(path), "--into", f"sqlite:///{target}")
    assert restored.exit_code == 0 and "均与清单一致" in restored.output, restored.output
    assert id_numbers(f"sqlite:///{target}") == id_numbers(source)
    assert not list(target.parent.glob(".bianban-backup-*"))  # no scratch left behind


@pytest.mark.postgres
def test_postgresql_round_trip(postgres_url, pg_client, fresh_postgres, tmp_path):
    app = create_app(make_config(postgres_url))
    try:
        seed(app)
        path = create_backup(app, tmp_path)
        assert "postgresql" in path.name
        assert run(app, "backup", "verify", str(path)).exit_code == 0
        restored = run(app, "backup", "restore", str(path), "--into", fresh_postgres)
        assert restored.exit_code == 0 and "均与清单一致" in restored.output, restored.output
        assert id_numbers(fresh_postgres) == id_numbers(postgres_url)

        again = run(app, "backup", "restore", str(path), "--into", fresh_postgres)
        assert again.exit_code != 0 and "不是空的" in again.output
        into_sqlite = run(app, "backup", "restore", str(path), "--into", f"sqlite:///{tmp_path}/x")
        assert into_sqlite.exit_code != 0 and "不能恢复到 sqlite" in into_sqlite.output
    finally:
        app.extensions["pwa.db"][0].dispose()


@pytest.mark.postgres
def test_postgresql_drill_is_recorded(postgres_url, pg_client, tmp_path):
    app = create_app(make_config(postgres_url))
    try:
        seed(app)
        result = run(app, "backup", "drill", "--to", str(tmp_path))
        assert result.exit_code == 0 and "恢复演练成功" in result.output, result.output
        with app.app_context():
            (drill,) = db.session.scalars(select(BackupDrill)).all()
        assert drill.ok and drill.engine == "postgresql" and drill.file.endswith(".bbak")
        leftovers = create_engine(postgres_url).connect()
        names = leftovers.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE 'bianban_drill_%'")
        ).all()
        leftovers.close()
        assert names == []  # the scratch database was dropped
    finally:
        app.extensions["pwa.db"][0].dispose()


# -- tampering ---------------------------------------------------------------------------


def records(data: bytes) -> list[tuple[int, int]]:
    """(offset, length) of each record in a backup file."""
    offset, found = len(envelope.MAGIC) + 16 + 8, []
    while offset < len(data):
        _kind, length = struct.unpack(">cI", data[offset : offset + 5])
        size = 5 + 12 + length
        found.append((offset, size))
        offset += size
    return found


@pytest.fixture
def backup_file(seeded_app, tmp_path) -> Path:
    return create_backup(seeded_app, tmp_path / "b")


def damaged(path: Path, change) -> Path:
    data = bytearray(path.read_bytes())
    out = path.with_name("damaged.bbak")
    out.write_bytes(change(data, records(bytes(data))))
    return out


def flip(position):
    def change(data, recs):
        at = position(data, recs)
        data[at] ^= 0x01
        return bytes(data)

    return change


CASES = {
    "a byte of the first data chunk": (flip(lambda d, r: r[0][0] + 5 + 12 + 1000), "第 1 块数据"),
    "a byte of the last data chunk": (flip(lambda d, r: r[-2][0] + 40), "数据"),
    "a byte of the manifest": (flip(lambda d, r: len(d) - 30), "清单"),
    "a byte of a nonce": (flip(lambda d, r: r[1][0] + 6), "第 2 块数据"),
    "a chunk's length": (flip(lambda d, r: r[0][0] + 4), "第 1 块"),
    "the file id": (flip(lambda d, r: len(envelope.MAGIC) + 3), "篡改"),
    "the key check": (flip(lambda d, r: len(envelope.MAGIC) + 20), "密钥不符"),
    "cut inside the last data chunk": (lambda d, r: bytes(d[: r[-2][0] + 100]), "截断"),
    "the manifest cut off": (lambda d, r: bytes(d[: r[-1][0]]), "缺少清单"),
    "the last data chunk dropped": (
        lambda d, r: bytes(d[: r[-2][0]] + d[r[-1][0] :]),
        "清单",
    ),
    "two chunks swapped": (
        lambda d, r: bytes(
            d[: r[0][0]]
            + d[r[1][0] : r[1][0] + r[1][1]]
            + d[r[0][0] : r[0][0] + r[0][1]]
            + d[r[1][0] + r[1][1] :]
        ),
        "顺序",
    ),
    "bytes appended": (lambda d, r: bytes(d) + b"\0", "多余"),
    "not a backup": (lambda d, r: b"SQLite format 3\0" + bytes(d[16:]), "不是本系统的备份"),
}


def test_the_backup_spans_several_chunks(backup_file):
    assert len(records(backup_file.read_bytes())) >= 3  # two data chunks and the manifest


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_any_damage_fails_verification_loudly(seeded_app, backup_file, tmp_path, case):
    change, fragment = CASES[case]
    bad = damaged(backup_file, change)
    result = run(seeded_app, "backup", "verify", str(bad))
    assert result.exit_code == 1, result.output
    assert fragment in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1

    target = tmp_path / "never.sqlite3"
    restored = run(seeded_app, "backup", "restore", str(bad), "--into", f"sqlite:///{target}")
    assert restored.exit_code == 1 and not target.exists()  # nothing half-restored
    assert not list(tmp_path.glob(".bianban-backup-*"))


def test_a_backup_needs_its_own_key(seeded_app, backup_file, tmp_path):
    other = create_app(
        make_config(
            seeded_app.config["DATABASE_URL"],
            BACKUP_KEY="b3RoZXItYmFja3VwLWtleS0zMi1ieXRlcy1sb25nLi4=",
        )
    )
    result = run(other, "backup", "verify", str(backup_file))
    other.extensions["pwa.db"][0].dispose()
    assert result.exit_code == 1 and "PWA_BACKUP_KEY" in result.output


def test_restore_refuses_a_database_that_is_not_empty(seeded_app, backup_file, sqlite_url):
    before = Path(make_url(sqlite_url).database).read_bytes()
    result = run(seeded_app, "backup", "restore", str(backup_file), "--into", sqlite_url)
    assert result.exit_code == 1 and "不是空的" in result.output
    assert Path(make_url(sqlite_url).database).read_bytes() == before


@pytest.mark.postgres
def test_restore_refuses_a_postgresql_database_that_is_not_empty(postgres_url, pg_client, tmp_path):
    app = create_app(make_config(postgres_url))
    try:
        path = create_backup(app, tmp_path)
        result = run(app, "backup", "restore", str(path), "--into", postgres_url)
        assert result.exit_code == 1 and "不是空的" in result.output
    finally:
        app.extensions["pwa.db"][0].dispose()


def test_a_restore_that_differs_from_its_manifest_is_refused(seeded_app, tmp_path):
    """A manifest that lies about a table (made with the real key, as an attacker with the
    key or a bug could) is caught by the comparison after restore."""
    from pwa.domain.backup import digest

    original = digest.table_digest

    def wrong(connection, table):
        found = original(connection, table)
        return {**found, "rows": found["rows"] + 1} if table.name == "unit" else found

    digest.table_digest = wrong
    try:
        path = create_backup(seeded_app, tmp_path / "b")
    finally:
        digest.table_digest = original
    target = tmp_path / "t.sqlite3"
    result = run(seeded_app, "backup", "restore", str(path), "--into", f"sqlite:///{target}")
    assert result.exit_code == 1 and "表 unit 行数不符" in result.output
    assert not target.exists()


# -- drills ------------------------------------------------------------------------------


def test_drills_are_recorded_and_listed(seeded_app, tmp_path):
    ok = run(seeded_app, "backup", "drill", "--to", str(tmp_path / "drills"))
    assert ok.exit_code == 0 and "恢复演练成功" in ok.output, ok.output

    blocked = tmp_path / "not-a-directory"
    blocked.write_text("x")
    failed = run(seeded_app, "backup", "drill", "--to", str(blocked))
    assert failed.exit_code == 1 and "恢复演练失败（已记录）" in failed.output

    with seeded_app.app_context():
        rows = db.session.scalars(select(BackupDrill).order_by(BackupDrill.id)).all()
    assert [row.ok for row in rows] == [True, False]
    assert rows[0].file.startswith(str(tmp_path / "drills")) and rows[0].size_bytes > 0
    assert rows[1].reason and rows[0].host and rows[0].operator and rows[0].duration_ms >= 0

    listed = run(seeded_app, "backup", "drills")
    lines = listed.output.strip().splitlines()
    assert len(lines) == 2 and "失败" in lines[0] and "成功" in lines[1]


# -- no ID number in clear ---------------------------------------------------------------


def test_no_valid_id_number_in_the_database_file_or_the_backup(seeded_app, tmp_path):
    database = Path(make_url(seeded_app.config["DATABASE_URL"]).database)
    numbers = id_numbers(seeded_app.config["DATABASE_URL"])
    # The scanner finds what the demo contains, once decrypted…
    sample = " ".join(list(numbers.values())[:50]).encode("latin-1")
    assert len(idnumber.find_valid_numbers(sample.decode("latin-1"))) == 50
    # …and none of it in the bytes on disk.
    with seeded_app.app_context():
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    path = create_backup(seeded_app, tmp_path)
    dump = tmp_path / "decrypted.sqlite3"
    with seeded_app.app_context():
        from pwa.domain import backup
        from pwa.keys import backup_key

        backup.verify(path, backup_key(seeded_app.config), into=dump)
    assert dump.stat().st_size > 100_000
    for name in (database, Path(f"{database}-wal"), path, dump):
        if name.exists():
            assert idnumber.find_valid_numbers(name.read_bytes().decode("latin-1")) == [], name


@pytest.mark.postgres
def test_missing_or_mismatched_pg_dump_is_named_clearly(postgres_url, tmp_path, monkeypatch):
    app = create_app(make_config(postgres_url))
    try:
        monkeypatch.setenv("PATH", str(tmp_path / "bin"))
        missing = run(app, "backup", "create", "--to", str(tmp_path / "out"))
        assert missing.exit_code == 1 and "找不到 pg_dump" in missing.output
        assert "postgresql-client-" in missing.output

        # A client of another major version (a stand-in script that only reports one).
        (tmp_path / "bin").mkdir()
        fake = tmp_path / "bin" / "pg_dump"
        fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
        fake.chmod(0o755)
        older = run(app, "backup", "create", "--to", str(tmp_path / "out"))
        assert older.exit_code == 1 and "pg_dump 版本（9）与数据库服务器版本" in older.output
        assert "Traceback" not in older.output
        assert not list((tmp_path / "out").glob("*"))  # no file, not even a partial one
    finally:
        app.extensions["pwa.db"][0].dispose()
