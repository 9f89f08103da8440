"""The unit card: everything the 机构编制管理证 shows, as one value, within a scope.

Figures come from the quota module only; templates never recompute them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.orm import Session

from auth.scope import Scope
from pwa.db import core
from pwa.domain.quota import (
    QuotaPosition,
    QuotaSummary,
    Reservation,
    compute_positions,
    positions_for_units,
    summarize,
)
from pwa.models import (
    InternalDepartment,
    LeadershipAppointment,
    LeadershipLevel,
    LeadershipPosition,
    LeadershipQuota,
    Occupancy,
    QuotaLedgerEntry,
    QuotaReservation,
    Region,
    Unit,
    UnitAlias,
)


@dataclass(frozen=True)
class LeadershipLine:
    level: LeadershipLevel
    position: LeadershipPosition
    department: str | None  # None: the unit's own leadership
    title: str
    approved: int
    filled: int

    @property
    def vacant(self) -> int:
        return max(self.approved - self.filled, 0)

    @property
    def over(self) -> int:
        return max(self.filled - self.approved, 0)


@dataclass(frozen=True)
class CardUnit:
    """The unit as the card shows it: its row plus its other names and departments."""

    row: Row
    aliases: list[Row]
    departments: list[Row]

    def __getattr__(self, name: str) -> object:
        return getattr(self.row, name)


@dataclass(frozen=True)
class UnitCard:
    """Rows, not entities: each carries its model's column names (``CardUnit`` adds the
    unit's other names and departments)."""

    unit: CardUnit
    region: Row  # of Region
    parent: Row | None  # of Unit
    positions: list[QuotaPosition]
    total: QuotaSummary
    departments: list[Row]  # of InternalDepartment
    leadership: list[LeadershipLine]
    ledger: list[Row]  # of QuotaLedgerEntry
    reservations: list[Row]  # of QuotaReservation
    subordinates: list[tuple[int, str]]  # (id, short name) of units under it

    @property
    def version_tag(self) -> str:
        """Changes whenever the card's content could have (for caching and binding)."""
        return f"{self.unit.id}-{self.unit.version}-{len(self.ledger)}-{self.total.actual}"


def find_unit(session: Session, unit_id: int, scope: Scope) -> Unit | None:
    """The unit if it exists and lies in ``scope``; None otherwise (the route answers 404)."""
    return session.scalar(select(Unit).where(Unit.id == unit_id, scope.unit_clause()))


_q, _a = LeadershipQuota.__table__.c, LeadershipAppointment.__table__.c
_dept = InternalDepartment.__table__.c
_LEADERSHIP_LINES = (
    select(_q.level, _q.position, _dept.name, _q.title, _q.approved, func.count(_a.id))
    .select_from(
        LeadershipQuota.__table__.outerjoin(
            InternalDepartment.__table__, _dept.id == _q.department_id
        ).outerjoin(LeadershipAppointment.__table__, (_a.quota_id == _q.id) & _a.ended_on.is_(None))
    )
    .where(_q.unit_id == bindparam("unit_id"))
    .group_by(_q.id, _q.level, _q.position, _dept.name, _q.title, _q.approved)
    .order_by(_q.department_id.is_not(None), _q.department_id, _q.position, _q.id)
)


def leadership_lines(session: Session, unit_id: int) -> list[LeadershipLine]:
    """Approved and filled posts per quota line, in one grouped query."""
    return [
        LeadershipLine(level, position, department, title, approved, filled)
        for level, position, department, title, approved, filled in core(session).execute(
            _LEADERSHIP_LINES, {"unit_id": unit_id}
        )
    ]


# The card's statements, built once and run as Core: the card is read far more often than
# anything on it changes, and building and loading ORM entities cost more than the queries.
# Rows keep the attribute names of the models, so templates read them alike.
_u = Unit.__table__.c
_UNIT = select(*Unit.__table__.c).where(_u.id == bindparam("unit_id"))
_REGION = select(*Region.__table__.c).where(Region.__table__.c.id == bindparam("region_id"))
_ALIASES = (
    select(*UnitAlias.__table__.c)
    .where(UnitAlias.__table__.c.unit_id == bindparam("unit_id"))
    .order_by(UnitAlias.__table__.c.id)
)
_DEPARTMENTS = (
    select(*InternalDepartment.__table__.c)
    .where(_dept.unit_id == bindparam("unit_id"))
    .order_by(_dept.sort_order)
)
_l, _r, _o = QuotaLedgerEntry.__table__.c, QuotaReservation.__table__.c, Occupancy.__table__.c
_LEDGER = (
    select(*QuotaLedgerEntry.__table__.c)
    .where(_l.unit_id == bindparam("unit_id"))
    .order_by(_l.effective_on.desc(), _l.id.desc())
)
_RESERVATIONS = (
    select(*QuotaReservation.__table__.c)
    .where(_r.unit_id == bindparam("unit_id"))
    .order_by(_r.granted_on.desc())
)
_OCCUPIED = (
    select(_o.kind, _o.funding, func.count())
    .where(_o.unit_id == bindparam("unit_id"), _o.exit_date.is_(None))
    .group_by(_o.kind, _o.funding)
)
_SUBORDINATES = (
    select(_u.id, _u.short_name, _u.region_id)
    .where(_u.parent_id == bindparam("unit_id"), _u.abolished_on.is_(None))
    .order_by(_u.sort_order, _u.id)
)


def unit_card(session: Session, unit_id: int, scope: Scope, today: date) -> UnitCard | None:
    """The card in a handful of prebuilt queries: the quota figures are derived from the
    ledger and reservation rows the card lists anyway, plus one count of open occupancies.
    Scope is checked on the unit row itself, exactly as ``scope.unit_clause()`` selects."""
    connection = core(session)
    row = connection.execute(_UNIT, {"unit_id": unit_id}).first()
    if row is None or not scope.covers_unit(row):
        return None
    by_unit = {"unit_id": row.id}
    ledger = connection.execute(_LEDGER, by_unit).all()
    reservations = connection.execute(_RESERVATIONS, by_unit).all()
    occupied = connection.execute(_OCCUPIED, by_unit).all()
    positions = compute_positions(
        [(e.kind, e.funding, e.delta) for e in ledger],
        [(kind, funding, count) for kind, funding, count in occupied],
        [
            (r.kind, r.funding, Reservation(r.granted, r.consumed, r.valid_until, r.cancelled_on))
            for r in reservations
        ],
        today,
    )
    departments = connection.execute(_DEPARTMENTS, by_unit).all()
    unit = CardUnit(row, connection.execute(_ALIASES, by_unit).all(), departments)
    parent = (
        connection.execute(_UNIT, {"unit_id": row.parent_id}).first()
        if row.parent_id is not None
        else None
    )
    subordinates = connection.execute(_SUBORDINATES, by_unit).all()
    return UnitCard(
        unit=unit,
        region=connection.execute(_REGION, {"region_id": row.region_id}).one(),
        parent=parent if parent is not None and scope.covers_unit(parent) else None,
        positions=positions,
        total=summarize(positions),
        departments=list(departments),
        leadership=leadership_lines(session, row.id),
        ledger=list(ledger),
        reservations=list(reservations),
        subordinates=[(sub.id, sub.short_name) for sub in subordinates if scope.covers_unit(sub)],
    )


def leadership_totals(
    lines: list[LeadershipLine],
) -> dict[tuple[LeadershipLevel, LeadershipPosition], tuple]:
    """Approved and filled per level × position, for the compact summary."""
    totals: dict[tuple[LeadershipLevel, LeadershipPosition], list[int]] = defaultdict(
        lambda: [0, 0]
    )
    for line in lines:
        totals[(line.level, line.position)][0] += line.approved
        totals[(line.level, line.position)][1] += line.filled
    return {
        key: (a, f)
        for key, (a, f) in sorted(
            totals.items(),
            key=lambda kv: (
                list(LeadershipLevel).index(kv[0][0]),
                list(LeadershipPosition).index(kv[0][1]),
            ),
        )
    }


@dataclass(frozen=True)
class UnitSummary:
    """A search result or list entry: enough to choose the right unit at a glance."""

    unit_id: int
    full_name: str
    short_name: str
    kind: object
    rank: object
    region_name: str
    status: object
    matched: str = ""


_SUMMARY_ROWS = (
    select(
        Unit.id,
        Unit.full_name,
        Unit.short_name,
        Unit.kind,
        Unit.rank,
        Region.short_name.label("region_name"),
    )
    .join(Region, Region.id == Unit.region_id)
    .where(Unit.id.in_(bindparam("unit_ids", expanding=True)))
)


def summaries(
    session: Session, unit_ids: list[int], today: date, matched: dict[int, str] | None = None
) -> list[UnitSummary]:
    """Kind, rank, region and quota badge for ``unit_ids``, in the order given."""
    if not unit_ids:
        return []
    rows = {r.id: r for r in core(session).execute(_SUMMARY_ROWS, {"unit_ids": list(unit_ids)})}
    positions = positions_for_units(session, unit_ids, today)
    matched = matched or {}
    return [
        UnitSummary(
            i,
            rows[i].full_name,
            rows[i].short_name,
            rows[i].kind,
            rows[i].rank,
            rows[i].region_name,
            summarize(positions[i]).status,
            matched.get(i, ""),
        )
        for i in unit_ids
        if i in rows
    ]
