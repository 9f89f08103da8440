"""Writing audit records directly, reading them back, and tampering with them as someone
with raw database access would (the append-only triggers switched off for the edit)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import Connection, select, text

from pwa.domain import audit
from pwa.domain.audit_chain import Content, link_hash
from pwa.extensions import db
from pwa.models import AuditEvent

T0 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
SYSTEM = audit.Actor(account_id=None, role="system", ip="", request_id="test")


def write(app: Flask, count: int = 1, *, event: str = "test.event", **fields) -> None:
    """``count`` records, one transaction each, a second apart from T0 onwards."""
    who, at = fields.pop("actor", SYSTEM), fields.pop("now", None)
    with app.app_context():
        for n in range(count):
            with db.write() as session:
                now = at or T0 + timedelta(seconds=n)
                audit.record(session, who, event, now=now, **fields)


def rows(app: Flask, **where) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.seq)
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        return list(db.session.scalars(query))


def one(app: Flask, event: str, **where) -> AuditEvent:
    found = rows(app, event=event, **where)
    assert len(found) == 1, [(r.event, r.outcome) for r in rows(app)]
    return found[0]


_SQLITE_GUARDS = ("audit_event", "audit_checkpoint")


@contextmanager
def tampering(app: Flask) -> Iterator[Connection]:
    """A raw connection on which UPDATE and DELETE of the audit tables work."""
    with app.app_context(), db.engine.begin() as connection:
        sqlite = connection.dialect.name == "sqlite"
        for table in _SQLITE_GUARDS:
            if sqlite:
                connection.exec_driver_sql(f"DROP TRIGGER {table}_no_update")
                connection.exec_driver_sql(f"DROP TRIGGER {table}_no_delete")
            else:
                connection.exec_driver_sql(
                    f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"
                )
        yield connection
        for table in _SQLITE_GUARDS:
            if sqlite:
                for action in ("UPDATE", "DELETE"):
                    connection.exec_driver_sql(
                        f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                        f"BEGIN SELECT RAISE(ABORT, '{table} is an append-only table'); END"
                    )
            else:
                connection.exec_driver_sql(
                    f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"
                )


def tamper(app: Flask, statement: str, **params) -> None:
    with tampering(app) as connection:
        connection.execute(text(statement), params)


def rewrite_from(app: Flask, seq: int, detail: str, *, only: bool = False) -> None:
    """Change record ``seq`` and recompute every hash from there on: a chain that checks out
    by itself, which only the checkpoints can catch (``only``: that record's hash alone)."""
    with tampering(app) as connection:
        query = select(AuditEvent.__table__).where(AuditEvent.seq >= seq)
        if only:
            query = query.where(AuditEvent.seq == seq)
        records = connection.execute(query.order_by(AuditEvent.seq)).all()
        prev = records[0].prev_hash
        for row in records:
            values = {name: getattr(row, name) for name in Content.__dataclass_fields__}
            if row.seq == seq:
                values["detail"] = detail
            digest = link_hash(prev, Content(**values))
            connection.execute(
                text("UPDATE audit_event SET detail = :d, prev_hash = :p, hash = :h WHERE id = :i"),
                {"d": values["detail"], "p": prev, "h": digest, "i": row.id},
            )
            prev = digest


@contextmanager
def audit_sink_broken(app: Flask) -> Iterator[None]:
    """Every insert into the audit log fails, as a full disk or a revoked grant would."""
    with app.app_context(), db.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "CREATE TRIGGER audit_event_refuse BEFORE INSERT ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit sink down'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'audit sink down'; END $$"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER audit_event_refuse BEFORE INSERT ON audit_event "
                "FOR EACH ROW EXECUTE FUNCTION audit_refuse()"
            )
    try:
        yield
    finally:
        with app.app_context(), db.engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("DROP TRIGGER audit_event_refuse")
            else:
                connection.exec_driver_sql("DROP TRIGGER audit_event_refuse ON audit_event")
                connection.exec_driver_sql("DROP FUNCTION audit_refuse()")
