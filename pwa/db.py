"""Engines and sessions: SQLite tuned for durability, PostgreSQL as is; no Flask imports.

SQLite runs in WAL mode with ``synchronous=FULL`` (an acknowledged commit survives power
loss), foreign keys on and a busy timeout. A write of mere convenience data may ask for
``durable=False``: ``synchronous=NORMAL`` for that transaction only (no fsync at commit, so
the last such commits may be lost on power loss, never corrupted). pysqlite's own
transaction handling is switched off so that we emit ``BEGIN`` ourselves: writers ask for
``BEGIN IMMEDIATE`` (see ``write_session``), which takes the write lock up front instead of
failing with SQLITE_BUSY when a read transaction later tries to write.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000
IMMEDIATE = "sqlite_begin_immediate"
RELAXED = "relaxed_durability"


class DatabaseURLError(ValueError):
    """DATABASE_URL cannot be used; the message is one line fit for an operator."""


def parse_database_url(raw: str) -> URL:
    """Parse and check a DATABASE_URL, accepting the common ``postgres://`` spellings."""
    if not raw or not raw.strip():
        raise DatabaseURLError("DATABASE_URL 为空：请设置为 sqlite:///路径 或 postgresql://…")
    text = raw.strip()
    for prefix in ("postgres://", "postgresql://"):
        if text.startswith(prefix):
            text = "postgresql+psycopg://" + text[len(prefix) :]
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise DatabaseURLError(
            f"DATABASE_URL 格式无效（{_redact(raw)}）：应为 sqlite:///路径 或 "
            "postgresql://用户@主机:端口/库名"
        ) from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseURLError(
            f"DATABASE_URL 使用了不支持的数据库 {url.get_backend_name()!r}："
            "只支持 SQLite 和 PostgreSQL"
        )
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise DatabaseURLError("DATABASE_URL 必须指向一个 SQLite 文件（不支持内存数据库）")
    if url.get_backend_name() == "postgresql":
        if not url.database:
            raise DatabaseURLError("DATABASE_URL 缺少数据库名：postgresql://用户@主机:端口/库名")
        if url.host and not all(c.isalnum() or c in ".-_:[]" for c in url.host):
            raise DatabaseURLError(f"DATABASE_URL 的主机名无效（{_redact(raw)}）")
        if url.port is not None and not 0 < url.port < 65536:
            raise DatabaseURLError(f"DATABASE_URL 的端口无效：{url.port}")
    return url


def _redact(raw: str) -> str:
    # Never echo a password: keep the scheme and what follows the last '@'.
    if "@" in raw and "://" in raw:
        scheme, rest = raw.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return raw[:80]


def create_engine_for(raw_url: str, **engine_options: Any) -> Engine:
    url = parse_database_url(raw_url)
    try:
        if url.get_backend_name() == "sqlite":
            engine = create_engine(url, **engine_options)
            _tune_sqlite(engine)
            return engine
        # Statements for search must not be auto-prepared into generic plans (PITFALLS.md).
        connect_args = {"prepare_threshold": None, **engine_options.pop("connect_args", {})}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **engine_options)
    except NoSuchModuleError:
        raise DatabaseURLError(
            f"DATABASE_URL 的驱动不可用（{url.drivername}）："
            "PostgreSQL 需安装 psycopg（pip install '.[postgres]'）"
        ) from None
    except ModuleNotFoundError as exc:
        raise DatabaseURLError(
            f"数据库驱动未安装（{exc.name}）："
            "PostgreSQL 需安装 psycopg（pip install '.[postgres]'）"
        ) from None


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        # Set per transaction, not per checkout: whatever the previous transaction on this
        # pooled connection asked for, every transaction that does not relax it is FULL.
        synchronous = "NORMAL" if options.get(RELAXED, False) else "FULL"
        info = connection.connection.info  # lives as long as the DBAPI connection
        if info.get("synchronous", "FULL") != synchronous:
            connection.exec_driver_sql(f"PRAGMA synchronous={synchronous}")
            info["synchronous"] = synchronous
        immediate = options.get(IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def core(session: Session) -> Connection:
    """``session``'s connection, for prebuilt Core statements on hot paths: the same
    transaction, without the ORM's per-statement work. Pending changes are flushed first, as
    ``session.execute`` would (domain code runs these reads inside write transactions too)."""
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()
    return session.connection()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def write_session(factory: sessionmaker[Session], *, durable: bool = True) -> Iterator[Session]:
    """A session whose transaction holds the write lock from its first statement.

    On SQLite this is ``BEGIN IMMEDIATE``; on PostgreSQL an ordinary transaction (row locks
    and conditional updates do the work there). Commits on success, rolls back on error.

    ``durable=False`` is for convenience data only (never decisions, audit or accounts): its
    commit returns before reaching the disk — ``synchronous=NORMAL`` on SQLite,
    ``synchronous_commit = off`` on PostgreSQL — so a power loss may forget it, and
    nothing else.
    """
    session = factory()
    try:
        connection = session.connection(execution_options={IMMEDIATE: True, RELAXED: not durable})
        if not durable and connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
