"""数据比对: "which of these ID numbers are on unit X's establishment?" answered row by row
— matched, on another unit in your jurisdiction (no details), not matched, or invalid —
without ever decrypting a stored number (look-ups go through the keyed blind index) and
without handing out a single personnel row.

Limits (⚙): rows per request and per day; past them a person cites an approved
数据查询签批, whose rows count against that grant until it expires. Many misses in a day
raise an alert: ID numbers are guessable, so a comparison is also an oracle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth.i18n import N_
from auth.models import Account
from auth.scope import Scope
from pwa.domain import idnumber
from pwa.domain.crypto import BlindIndex
from pwa.domain.items import payloads
from pwa.domain.workflow import IN_FORCE
from pwa.models import ComparisonRun, ItemType, Occupancy, Person, Unit
from pwa.models.item import Item

from .comparison_files import ComparisonError, Row


class Answer(StrEnum):
    MATCHED = "matched"  # on the unit's establishment (or, without a unit, in scope)
    NAME_DIFFERS = "name_differs"  # the number matches, the name given does not
    ELSEWHERE = "elsewhere"  # on another unit in the asker's jurisdiction; nothing more
    NOT_FOUND = "not_found"  # not on any establishment the asker may see
    INVALID = "invalid"  # wrong length, impossible birth date or check digit


MISSES = frozenset({Answer.NOT_FOUND, Answer.INVALID})
ID_CONTEXT_MAX = 32  # characters of a cell we look at (the rest is junk)


@dataclass(frozen=True)
class ComparisonPolicy:
    max_rows_per_request: int = 50  # ⚙
    max_rows_per_day: int = 500  # ⚙
    misses_alert_per_day: int = 20  # ⚙ not found + invalid in one office day
    max_upload_bytes: int = 1024 * 1024
    longest_grant: timedelta = timedelta(days=7)  # 数据查询签批 is valid ≤ 7 days


@dataclass(frozen=True)
class Grant:
    """An approved 数据查询签批 of the asker's, still in force."""

    item_id: int
    max_rows: int
    used: int
    expires_at: datetime

    @property
    def remaining(self) -> int:
        return max(0, self.max_rows - self.used)


@dataclass
class Outcome:
    rows: list[tuple[Row, Answer]]
    unit_name: str | None
    grant: Grant | None
    used_today: int
    alerted: bool = False
    counts: dict[Answer, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for _row, answer in self.rows:
            self.counts[answer] = self.counts.get(answer, 0) + 1

    @property
    def misses(self) -> int:
        return sum(n for answer, n in self.counts.items() if answer in MISSES)


# --- limits and grants -------------------------------------------------------------------------


def used_today(session: Session, account_id: int, today: date) -> int:
    return session.scalar(
        select(func.coalesce(func.sum(ComparisonRun.rows), 0)).where(
            ComparisonRun.account_id == account_id,
            ComparisonRun.day == today,
            ComparisonRun.item_id.is_(None),
        )
    )


def grants(
    session: Session, account_id: int, now: datetime, policy: ComparisonPolicy
) -> list[Grant]:
    """The asker's approved 数据查询签批 still in force, with what is left of each."""
    found = []
    items = session.scalars(
        select(Item).where(
            Item.requester_id == account_id,
            Item.item_type == ItemType.DATA_QUERY,
            Item.state.in_(sorted(IN_FORCE)),
            Item.decided_at.is_not(None),
        )
    )
    for item in items:
        payload = payloads.load(item.item_type, item.payload)
        days = min(timedelta(days=payload.valid_days), policy.longest_grant)
        expires = item.decided_at + days
        if expires <= now:
            continue
        used = session.scalar(
            select(func.coalesce(func.sum(ComparisonRun.rows), 0)).where(
                ComparisonRun.item_id == item.id
            )
        )
        found.append(Grant(item.id, payload.max_rows, used, expires))
    return found


def allowance(
    session: Session, account_id: int, today: date, policy: ComparisonPolicy, grant: Grant | None
) -> int:
    """How many rows this request may have."""
    if grant is not None:
        return grant.remaining
    left = policy.max_rows_per_day - used_today(session, account_id, today)
    return max(0, min(policy.max_rows_per_request, left))


# --- the comparison ----------------------------------------------------------------------------


def answer_rows(
    session: Session,
    rows: list[Row],
    *,
    unit_id: int | None,
    scope: Scope,
    index: BlindIndex,
) -> list[tuple[Row, Answer]]:
    numbers = {row.line: idnumber.normalize(row.id_number) for row in rows}
    valid = {line: n for line, n in numbers.items() if idnumber.is_valid(n)}
    by_index = {index.of(n): n for n in set(valid.values())}
    persons: dict[str, tuple[int, str]] = {}
    if by_index:
        for person_id, name, key in session.execute(
            select(Person.id, Person.name, Person.id_number_index).where(
                Person.id_number_index.in_(sorted(by_index))
            )
        ):
            persons[by_index[key]] = (person_id, name)
    placed: dict[int, set[int]] = {}
    if persons:
        for person_id, placed_unit in session.execute(
            select(Occupancy.person_id, Occupancy.unit_id)
            .join(Unit, Unit.id == Occupancy.unit_id)
            .where(
                Occupancy.person_id.in_(sorted(p for p, _n in persons.values())),
                Occupancy.exit_date.is_(None),
                scope.unit_clause(),
            )
        ):
            placed.setdefault(person_id, set()).add(placed_unit)
    answers = []
    for row in rows:
        number = valid.get(row.line)
        if number is None:
            answers.append((row, Answer.INVALID))
            continue
        person = persons.get(number)
        units = placed.get(person[0], set()) if person else set()
        if not units:
            answers.append((row, Answer.NOT_FOUND))  # absent, or only outside the jurisdiction
        elif unit_id is not None and unit_id not in units:
            answers.append((row, Answer.ELSEWHERE))
        elif row.name and row.name.replace(" ", "") != person[1]:
            answers.append((row, Answer.NAME_DIFFERS))
        else:
            answers.append((row, Answer.MATCHED))
    return answers


def compare(
    session: Session,
    account_id: int,
    rows: list[Row],
    *,
    unit_id: int | None,
    scope: Scope,
    index: BlindIndex,
    grant_item_id: int | None,
    now: datetime,
    today: date,
    policy: ComparisonPolicy,
) -> Outcome:
    """Answer ``rows`` for ``account_id`` and record the run (caller holds a write
    transaction and writes the audit record in it)."""
    # One comparison per account at a time, so two requests cannot both squeeze under the
    # limits (SQLite's BEGIN IMMEDIATE already serialises writers).
    session.execute(select(Account.id).where(Account.id == account_id).with_for_update())
    grant = None
    if grant_item_id is not None:
        grant = next(
            (g for g in grants(session, account_id, now, policy) if g.item_id == grant_item_id),
            None,
        )
        if grant is None:
            raise ComparisonError(N_("所引用的数据查询签批不存在、未批准或已过期"))
    limit = allowance(session, account_id, today, policy, grant)
    if len(rows) > limit:
        if grant is not None:
            raise ComparisonError(N_("所引用的数据查询签批只剩 %(n)d 行额度"), n=grant.remaining)
        raise ComparisonError(
            N_(
                "超出比对限额：每次最多 %(per)d 行、每天最多 %(day)d 行，今天还可比对 %(left)d 行。如需更多，请申请数据查询签批。"  # noqa: E501 - one msgid
            ),
            per=policy.max_rows_per_request,
            day=policy.max_rows_per_day,
            left=limit,
        )
    unit_name = None
    if unit_id is not None:
        unit = session.scalar(select(Unit).where(Unit.id == unit_id, scope.unit_clause()))
        if unit is None:
            raise ComparisonError(N_("找不到该单位，或该单位不在您的管辖范围内"))
        unit_name = unit.full_name
    answered = answer_rows(session, rows, unit_id=unit_id, scope=scope, index=index)
    misses = sum(1 for _row, answer in answered if answer in MISSES)
    earlier_misses = session.scalar(
        select(func.coalesce(func.sum(ComparisonRun.misses), 0)).where(
            ComparisonRun.account_id == account_id, ComparisonRun.day == today
        )
    )
    already_alerted = session.scalar(
        select(func.count()).where(
            ComparisonRun.account_id == account_id,
            ComparisonRun.day == today,
            ComparisonRun.alerted.is_(True),
        )
    )
    alert = not already_alerted and earlier_misses + misses >= policy.misses_alert_per_day
    session.add(
        ComparisonRun(
            account_id=account_id,
            occurred_at=now,
            day=today,
            rows=len(rows),
            misses=misses,
            unit_id=unit_id,
            item_id=grant.item_id if grant else None,
            alerted=alert,
        )
    )
    session.flush()
    return Outcome(
        answered,
        unit_name,
        grant,
        used_today(session, account_id, today),
        alerted=alert,
    )
