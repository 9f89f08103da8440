"""The unit card: everything the 机构编制管理证 shows, as one value, within a scope.

Figures come from the quota module only; templates never recompute them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

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
class UnitCard:
    unit: Unit
    region: Region
    parent: Unit | None
    positions: list[QuotaPosition]
    total: QuotaSummary
    departments: list[InternalDepartment]
    leadership: list[LeadershipLine]
    ledger: list[QuotaLedgerEntry]
    reservations: list[QuotaReservation]
    subordinates: list[tuple[int, str]]  # (id, short name) of units under it

    @property
    def version_tag(self) -> str:
        """Changes whenever the card's content could have (for caching and binding)."""
        return f"{self.unit.id}-{self.unit.version}-{len(self.ledger)}-{self.total.actual}"


def find_unit(session: Session, unit_id: int, scope: Scope) -> Unit | None:
    """The unit if it exists and lies in ``scope``; None otherwise (the route answers 404)."""
    return session.scalar(select(Unit).where(Unit.id == unit_id, scope.unit_clause()))


def leadership_lines(session: Session, unit_id: int) -> list[LeadershipLine]:
    """Approved and filled posts per quota line, in one grouped query."""
    q, a = LeadershipQuota, LeadershipAppointment
    rows = session.execute(
        select(q.level, q.position, InternalDepartment.name, q.title, q.approved, func.count(a.id))
        .outerjoin(InternalDepartment, InternalDepartment.id == q.department_id)
        .outerjoin(a, (a.quota_id == q.id) & a.ended_on.is_(None))
        .where(q.unit_id == unit_id)
        .group_by(q.id, q.level, q.position, InternalDepartment.name, q.title, q.approved)
        .order_by(q.department_id.is_not(None), q.department_id, q.position, q.id)
    ).all()
    return [
        LeadershipLine(level, position, department, title, approved, filled)
        for level, position, department, title, approved, filled in rows
    ]


def unit_card(session: Session, unit_id: int, scope: Scope, today: date) -> UnitCard | None:
    """The card in a handful of queries: the quota figures are derived from the ledger and
    reservation rows the card lists anyway, plus one count of open occupancies."""
    unit = session.scalar(
        select(Unit)
        .options(
            selectinload(Unit.aliases),
            selectinload(Unit.departments),
            joinedload(Unit.region),
            joinedload(Unit.parent),
        )
        .where(Unit.id == unit_id, scope.unit_clause())
    )
    if unit is None:
        return None
    ledger = session.scalars(
        select(QuotaLedgerEntry)
        .where(QuotaLedgerEntry.unit_id == unit.id)
        .order_by(QuotaLedgerEntry.effective_on.desc(), QuotaLedgerEntry.id.desc())
    ).all()
    reservations = session.scalars(
        select(QuotaReservation)
        .where(QuotaReservation.unit_id == unit.id)
        .order_by(QuotaReservation.granted_on.desc())
    ).all()
    occupied = session.execute(
        select(Occupancy.kind, Occupancy.funding, func.count())
        .where(Occupancy.unit_id == unit.id, Occupancy.exit_date.is_(None))
        .group_by(Occupancy.kind, Occupancy.funding)
    ).all()
    positions = compute_positions(
        [(e.kind, e.funding, e.delta) for e in ledger],
        [(kind, funding, count) for kind, funding, count in occupied],
        [
            (r.kind, r.funding, Reservation(r.granted, r.consumed, r.valid_until, r.cancelled_on))
            for r in reservations
        ],
        today,
    )
    subordinates = session.execute(
        select(Unit.id, Unit.short_name)
        .where(Unit.parent_id == unit.id, scope.unit_clause(), Unit.abolished_on.is_(None))
        .order_by(Unit.sort_order, Unit.id)
    ).all()
    parent = unit.parent
    return UnitCard(
        unit=unit,
        region=unit.region,
        parent=parent if parent is not None and scope.covers_unit(parent) else None,
        positions=positions,
        total=summarize(positions),
        departments=list(unit.departments),
        leadership=leadership_lines(session, unit.id),
        ledger=list(ledger),
        reservations=list(reservations),
        subordinates=[(i, n) for i, n in subordinates],
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
