"""Reading the audit log for the audit administrator: filters, newest first, 50 a page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from auth.models import Account
from pwa.models import AuditEvent

PAGE_SIZE = 50


@dataclass(frozen=True)
class Filters:
    account_id: int | None = None
    # With ``account_id``: also the records about that account (an admin acting on it, a
    # failed sign-in against it), not only the ones it made.
    involving: bool = False
    event_prefix: str = ""
    object_type: str = ""
    object_id: str = ""
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    page: int = 1


@dataclass(frozen=True)
class Row:
    id: int
    seq: int
    occurred_at: datetime
    account_id: int | None
    username: str | None
    role: str
    ip: str
    event: str
    object_type: str
    object_id: str
    outcome: str
    request_id: str
    detail: str


@dataclass(frozen=True)
class Listing:
    rows: list[Row]
    page: int
    has_next: bool


def search(session: Session, filters: Filters) -> Listing:
    e = AuditEvent
    query = (
        select(
            e.id,
            e.seq,
            e.occurred_at,
            e.account_id,
            Account.username,
            e.role,
            e.ip,
            e.event,
            e.object_type,
            e.object_id,
            e.outcome,
            e.request_id,
            e.detail,
        )
        .outerjoin(Account, Account.id == e.account_id)
        .order_by(e.seq.desc())
    )
    if filters.account_id is not None:
        mine = e.account_id == filters.account_id
        if filters.involving:
            about = and_(e.object_type == "account", e.object_id == str(filters.account_id))
            mine = or_(mine, about)
        query = query.where(mine)
    if filters.event_prefix:
        query = query.where(e.event.startswith(filters.event_prefix, autoescape=True))
    if filters.object_type:
        query = query.where(e.object_type == filters.object_type)
    if filters.object_id:
        query = query.where(e.object_id == filters.object_id)
    if filters.since is not None:
        query = query.where(e.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(e.occurred_at < filters.until)
    page = max(1, filters.page)
    rows = session.execute(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return Listing(
        rows=[Row(*row) for row in rows[:PAGE_SIZE]], page=page, has_next=len(rows) > PAGE_SIZE
    )


def account_named(session: Session, username: str) -> Account | None:
    return session.scalar(select(Account).where(Account.username == username.strip().lower()))
