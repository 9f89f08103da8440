"""Failure counting and lockout, in the database so that every app instance agrees.

⚙ After ``max_failures`` wrong passwords (per username, known or not) or wrong codes (per
account), the key is locked for ``base_lock``, doubling with each further lock. A success
clears the failures; only a security administrator clears the lock count.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from auth.models import LoginThrottle
from auth.policies import ThrottlePolicy


def password_key(username: str) -> str:
    normalized = username.strip().lower()
    return "pw:" + hashlib.sha256(normalized.encode()).hexdigest()


def totp_key(account_id: int) -> str:
    return f"totp:{account_id}"


def locked_until(session: Session, key: str, now: datetime) -> datetime | None:
    """When the key unlocks, or None if it is not locked now."""
    row = session.get(LoginThrottle, key)
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return row.locked_until


def record_failure(
    session: Session, key: str, now: datetime, policy: ThrottlePolicy
) -> datetime | None:
    """Count a failure (caller holds a write transaction); returns the lock end if it locked."""
    # Insert-if-missing then lock: concurrent first failures must not collide on the key.
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(LoginThrottle).values(key=key, failures=0, lock_count=0).on_conflict_do_nothing()
    )
    row = session.execute(
        select(LoginThrottle)
        .where(LoginThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    if row.locked_until is not None and row.locked_until <= now:
        row.locked_until = None
        row.failures = 0
    row.failures = (row.failures or 0) + 1
    row.last_failure_at = now
    if row.failures >= policy.max_failures:
        row.lock_count = (row.lock_count or 0) + 1
        row.locked_until = now + policy.lock_duration(row.lock_count)
        row.failures = 0
        session.flush()
        return row.locked_until
    session.flush()
    return None


def record_success(session: Session, key: str) -> None:
    row = session.get(LoginThrottle, key)
    if row is not None:
        row.failures = 0
        row.locked_until = None


def unlock(session: Session, keys: list[str]) -> int:
    """Security administrator's unlock: clears failures, lock and the doubling history."""
    count = 0
    for key in keys:
        row = session.get(LoginThrottle, key)
        if row is not None:
            count += 1 if row.locked_until is not None else 0
            session.delete(row)
    return count
