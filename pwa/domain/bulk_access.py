"""Bulk access to personnel is blocked, not only logged (SECURITY.md, Personal data).

Every person an account is shown on a personnel page is counted per account in sliding
windows kept in the database (so the count holds across app instances, sessions and
re-login). A read that would take the account past a limit is refused — the person beyond the
limit is never shown — and blocks the account's personnel access until a security
administrator lifts it.

Counting is serialised per account: the caller runs ``admit`` in a write transaction
(``BEGIN IMMEDIATE`` on SQLite) and ``admit`` locks the account's guard row (``FOR UPDATE``
on PostgreSQL), so K concurrent reads that together cross a limit cannot all get through.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from auth.i18n import N_, UserFacingError
from auth.models import Account
from pwa.models import PersonnelAccess, PersonnelGuard

WINDOW = "window"
DAY = "day"
SEQUENTIAL = "sequential"


@dataclass(frozen=True)
class BulkAccessPolicy:
    """⚙ More than ``window_limit`` distinct persons in ``window``, more than ``day_limit``
    in one office calendar day, or ``run_limit`` consecutive person ids asked for by id
    within ``run_window`` block the account."""

    window: timedelta = timedelta(minutes=10)
    window_limit: int = 30
    day_limit: int = 200
    run_window: timedelta = timedelta(minutes=10)
    run_limit: int = 15
    zone: str = "Asia/Shanghai"  # whose calendar day the daily limit counts
    retention: timedelta = timedelta(days=1)  # access records older than this are pruned

    def day_start(self, now: datetime) -> datetime:
        local = now.astimezone(ZoneInfo(self.zone))
        return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    newly_blocked: bool = False  # this read crossed a limit (audit + alert the admins)
    rule: str = ""
    window_count: int = 0
    day_count: int = 0
    run_length: int = 0


def longest_run(ids: Iterable[int]) -> int:
    """The length of the longest run of consecutive integers among ``ids``."""
    ordered = sorted(set(ids))
    best = run = 0
    previous = None
    for value in ordered:
        run = run + 1 if previous is not None and value == previous + 1 else 1
        best = max(best, run)
        previous = value
    return best


def _lock_guard(session: Session, account_id: int) -> PersonnelGuard:
    """The account's guard row, created if missing, locked for this transaction."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(PersonnelGuard)
        .values(account_id=account_id, rule="", window_count=0, day_count=0, run_length=0)
        .on_conflict_do_nothing(index_elements=["account_id"])
    )
    return session.scalars(
        select(PersonnelGuard)
        .where(PersonnelGuard.account_id == account_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def block_of(session: Session, account_id: int) -> PersonnelGuard | None:
    """The account's current block, or None (a plain read: no lock)."""
    return session.scalar(
        select(PersonnelGuard).where(
            PersonnelGuard.account_id == account_id, PersonnelGuard.blocked_at.is_not(None)
        )
    )


def admit(
    session: Session,
    account_id: int,
    person_ids: Iterable[int],
    *,
    direct: bool,
    now: datetime,
    policy: BulkAccessPolicy,
) -> Verdict:
    """May ``account_id`` be shown ``person_ids`` now? Records the read when it may; blocks
    the account (and refuses) when the read would cross a limit. ``direct``: the persons
    were asked for by id (detail, unmask), which the sequential-id rule watches."""
    guard = _lock_guard(session, account_id)
    if guard.blocked_at is not None:
        return Verdict(False, rule=guard.rule)
    wanted = set(person_ids)
    session.execute(
        delete(PersonnelAccess).where(
            PersonnelAccess.account_id == account_id,
            PersonnelAccess.read_at < now - policy.retention,
        )
    )
    seen = {
        row.person_id: row
        for row in session.scalars(
            select(PersonnelAccess).where(
                PersonnelAccess.account_id == account_id,
                PersonnelAccess.read_at >= min(now - policy.window, policy.day_start(now)),
            )
        )
    }
    in_window = {p for p, row in seen.items() if row.read_at >= now - policy.window} | wanted
    in_day = {p for p, row in seen.items() if row.read_at >= policy.day_start(now)} | wanted
    run_length = 0
    if direct:
        recent = {
            p
            for p, row in seen.items()
            if row.direct_at is not None and row.direct_at >= now - policy.run_window
        }
        run_length = longest_run(recent | wanted)
    rule = ""
    if len(in_window) > policy.window_limit:
        rule = WINDOW
    elif len(in_day) > policy.day_limit:
        rule = DAY
    elif direct and run_length >= policy.run_limit:
        rule = SEQUENTIAL
    verdict = Verdict(
        allowed=not rule,
        newly_blocked=bool(rule),
        rule=rule,
        window_count=len(in_window),
        day_count=len(in_day),
        run_length=run_length,
    )
    if rule:
        guard.blocked_at = now
        guard.rule = rule
        guard.window_count, guard.day_count = verdict.window_count, verdict.day_count
        guard.run_length = run_length
        session.flush()
        return verdict
    existing = {
        row.person_id: row
        for row in session.scalars(
            select(PersonnelAccess).where(
                PersonnelAccess.account_id == account_id, PersonnelAccess.person_id.in_(wanted)
            )
        )
    }
    for person_id in wanted:
        row = existing.get(person_id)
        if row is None:
            row = PersonnelAccess(account_id=account_id, person_id=person_id, read_at=now)
            session.add(row)
        row.read_at = now
        if direct:
            row.direct_at = now
    session.flush()
    return verdict


@dataclass(frozen=True)
class BlockRow:
    account_id: int
    username: str
    display_name: str
    blocked_at: datetime
    rule: str
    window_count: int
    day_count: int
    run_length: int


def current_blocks(session: Session) -> list[BlockRow]:
    rows = session.execute(
        select(PersonnelGuard, Account.username, Account.display_name)
        .join(Account, Account.id == PersonnelGuard.account_id)
        .where(PersonnelGuard.blocked_at.is_not(None))
        .order_by(PersonnelGuard.blocked_at.desc(), PersonnelGuard.account_id)
    ).all()
    return [
        BlockRow(
            g.account_id,
            username,
            display_name,
            g.blocked_at,
            g.rule,
            g.window_count,
            g.day_count,
            g.run_length,
        )
        for g, username, display_name in rows
    ]


def lift(session: Session, account_id: int, *, by_id: int, now: datetime) -> dict[str, object]:
    """Lift ``account_id``'s block and clear its windows so the person can work again.
    Returns what the block was, for the audit record."""
    if by_id == account_id:
        raise UserFacingError(N_("不能解除自己账户的限制"))
    guard = _lock_guard(session, account_id)
    if guard.blocked_at is None:
        raise UserFacingError(N_("该账户的人员信息访问当前未被限制（可能已由他人解除）"))
    session.execute(delete(PersonnelAccess).where(PersonnelAccess.account_id == account_id))
    was = {
        "blocked_at": guard.blocked_at.isoformat(),
        "rule": guard.rule,
        "window_count": guard.window_count,
        "day_count": guard.day_count,
        "run_length": guard.run_length,
    }
    guard.blocked_at = None
    guard.lifted_at = now
    guard.lifted_by_id = by_id
    session.flush()
    return was
