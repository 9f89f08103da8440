"""Server-side sessions: revocable, rotated at each privilege change, idle and absolute limits.

The cookie carries 256 random bits; the table keeps only their SHA-256, so a copy of the
database does not hand out live sessions.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, Row, bindparam, select, update
from sqlalchemy.orm import Session

from auth.models import WebSession
from auth.policies import SessionPolicy


class Stage(StrEnum):
    ANONYMOUS = "anonymous"  # a visitor: holds only the CSRF token
    PASSWORD = "password"  # noqa: S105 - a stage: password done, code pending (≤ 5 min)
    FULL = "full"  # both factors


class Lookup(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    ENDED = "ended"  # revoked (logout, admin) or expired: a replayed cookie


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def expiry(row: WebSession | Row, policy: SessionPolicy) -> datetime:
    """The moment the session stops being valid, whichever limit comes first."""
    if row.stage == Stage.ANONYMOUS:
        return row.created_at + policy.anonymous
    if row.stage == Stage.PASSWORD:
        return row.created_at + policy.pre_auth
    return min(row.expires_at, row.last_seen_at + policy.idle)


# Read on every request: built once, run as Core (a plain row, not a tracked entity).
_BY_HASH = select(*WebSession.__table__.c).where(
    WebSession.__table__.c.id_hash == bindparam("id_hash")
)


def lookup(
    connection: Connection, token: str | None, now: datetime, policy: SessionPolicy
) -> tuple[Lookup, Row | None]:
    """The session row a cookie names (read-only: its columns as a Core row)."""
    if not token or len(token) > 128:
        return Lookup.UNKNOWN, None
    row = connection.execute(_BY_HASH, {"id_hash": hash_token(token)}).first()
    if row is None:
        return Lookup.UNKNOWN, None
    if row.revoked_at is not None or expiry(row, policy) <= now:
        return Lookup.ENDED, row
    return Lookup.OK, row


def create(
    session: Session,
    *,
    stage: Stage,
    account_id: int | None,
    data: dict,
    now: datetime,
    policy: SessionPolicy,
    ip: str = "",
    user_agent: str = "",
    via_recovery_code: bool = False,
) -> tuple[str, WebSession]:
    token = new_token()
    row = WebSession(
        id_hash=hash_token(token),
        account_id=account_id,
        stage=stage.value,
        data=json.dumps(data, ensure_ascii=False),
        created_at=now,
        last_seen_at=now,
        expires_at=now + policy.absolute,
        ip=ip[:64],
        user_agent=user_agent[:255],
        via_recovery_code=via_recovery_code,
    )
    session.add(row)
    session.flush()
    return token, row


def revoke(session: Session, id_hash: str, now: datetime) -> None:
    """End a session and drop what it held; the row stays so a replayed cookie is recognised."""
    session.execute(
        update(WebSession)
        .where(WebSession.id_hash == id_hash, WebSession.revoked_at.is_(None))
        .values(revoked_at=now, data="{}")
    )


def revoke_all(
    session: Session, account_id: int, now: datetime, except_hash: str | None = None
) -> int:
    statement = update(WebSession).where(
        WebSession.account_id == account_id, WebSession.revoked_at.is_(None)
    )
    if except_hash:
        statement = statement.where(WebSession.id_hash != except_hash)
    return session.execute(statement.values(revoked_at=now, data="{}")).rowcount or 0


def live_sessions(
    session: Session, account_id: int, now: datetime, policy: SessionPolicy
) -> list[WebSession]:
    rows = session.scalars(
        select(WebSession)
        .where(
            WebSession.account_id == account_id,
            WebSession.stage == Stage.FULL.value,
            WebSession.revoked_at.is_(None),
        )
        .order_by(WebSession.last_seen_at.desc())
    ).all()
    return [row for row in rows if expiry(row, policy) > now]


def enforce_limit(
    session: Session, account_id: int, keep_hash: str, now: datetime, policy: SessionPolicy
) -> int:
    """Keep at most N live full sessions: the new one and the most recently used others."""
    live = [r for r in live_sessions(session, account_id, now, policy) if r.id_hash != keep_hash]
    surplus = live[policy.max_live_per_account - 1 :]
    for row in surplus:
        revoke(session, row.id_hash, now)
    return len(surplus)


def purge(session: Session, now: datetime, policy: SessionPolicy) -> int:
    """Forget rows past any possible use (revoked or expired beyond the absolute limit)."""
    horizon = now - policy.absolute
    result = session.execute(WebSession.__table__.delete().where(WebSession.last_seen_at < horizon))
    return result.rowcount or 0
