"""Schema pieces SQLAlchemy cannot declare: database-enforced append-only tables.

The quota ledger (and later the audit log) must refuse UPDATE and DELETE whatever code runs
against it, so the guard lives in the database: a trigger on SQLite, a trigger on
PostgreSQL (where production additionally grants the app's role INSERT and SELECT only).
"""

from __future__ import annotations

from alembic import op

APPEND_ONLY_MESSAGE = "append-only table"


def create_append_only_guard(table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is an {APPEND_ONLY_MESSAGE}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION refuse_change_to_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '% is an "
            f"{APPEND_ONLY_MESSAGE}', TG_TABLE_NAME USING ERRCODE = 'restrict_violation'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only()"
        )
    else:  # pragma: no cover - only the two supported engines reach migrations
        raise RuntimeError(f"unsupported dialect {dialect}")


def drop_append_only_guard(table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
    elif dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
