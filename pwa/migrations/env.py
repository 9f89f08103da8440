"""Alembic environment: always run through ``pwa.migrate`` with a live connection."""

from __future__ import annotations

from alembic import context

import auth.models  # noqa: F401 - registers the account tables on Base.metadata
from pwa.models import Base
from pwa.models.base import UTCDateTime


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    # The FTS5 virtual table and its shadow tables exist only through migration 0004, and
    # indexes declared for the other engine are not this database's business.
    if type_ == "table" and name and name.startswith("unit_search_fts"):
        return False
    if type_ == "index" and getattr(obj, "dialect_options", None) is not None:
        ddl_if = getattr(obj, "_ddl_if", None)
        if ddl_if is not None and ddl_if.dialect and ddl_if.dialect != connection.dialect.name:
            return False
    return True


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations must not import app types: UTCDateTime is a timezone-aware DateTime.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `flask --app pwa db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
    compare_type=True,
    render_item=render_item,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
