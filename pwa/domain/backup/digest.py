"""Per-table row counts and content hashes: what a restore is compared against.

Rows are read through the models' own column types, ordered by primary key, and each is
serialised canonically (JSON, bytes as hex, dates in ISO form), so the same data gives the
same hash on the same engine whether read from the live database, a copy or a restore.
"""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import Connection, Table, select, text


def _tables() -> list[Table]:
    import auth.models  # noqa: F401 - registers the account tables on the shared metadata
    from pwa.models import Base

    return list(Base.metadata.sorted_tables)


def _canonical(value: object) -> object:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"hex": bytes(value).hex()}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def table_digest(connection: Connection, table: Table) -> dict[str, object]:
    order = list(table.primary_key.columns) or list(table.columns)
    digest, rows = hashlib.sha256(), 0
    result = connection.execution_options(yield_per=2000).execute(
        select(*table.columns).order_by(*order)
    )
    for row in result:
        line = json.dumps(
            list(row), default=_canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        digest.update(line.encode() + b"\n")
        rows += 1
    return {"rows": rows, "sha256": digest.hexdigest()}


def database_digests(connection: Connection) -> dict[str, dict[str, object]]:
    return {table.name: table_digest(connection, table) for table in _tables()}


def schema_revision(connection: Connection) -> str | None:
    try:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - no alembic_version table: an unmigrated database
        return None


def differences(expected: dict, actual: dict) -> list[str]:
    """Chinese lines naming each table whose count or hash differs."""
    lines = []
    for name in sorted(set(expected) | set(actual)):
        want, got = expected.get(name), actual.get(name)
        if want is None or got is None:
            lines.append(f"表 {name} 只存在于{'恢复结果' if want is None else '备份清单'}中")
        elif want["rows"] != got["rows"]:
            lines.append(f"表 {name} 行数不符：清单 {want['rows']}，恢复后 {got['rows']}")
        elif want["sha256"] != got["sha256"]:
            lines.append(f"表 {name} 内容哈希不符")
    return lines
