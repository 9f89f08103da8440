"""Quota arithmetic: the one place approved, actual, reserved, vacant and over are derived.

Figures are never stored: approved is the sum of the ledger, actual the count of open
occupancies, reserved the unused part of live reservations. Each (kind, funding) pair is its
own account: a vacancy funded one way never covers a person funded another way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import Session

from auth.scope import Scope
from pwa.db import core
from pwa.models import Funding, Occupancy, QuotaKind, QuotaLedgerEntry, QuotaReservation, Unit

_KIND_ORDER = {kind: i for i, kind in enumerate(QuotaKind)}
_FUNDING_ORDER = {funding: i for i, funding in enumerate(Funding)}


class QuotaStatus(StrEnum):
    VACANT = "vacant"  # 空编
    FULL = "full"  # 满编
    OVER = "over"  # 超编


@dataclass(frozen=True)
class Reservation:
    granted: int
    consumed: int
    valid_until: date
    cancelled_on: date | None = None

    def held_on(self, today: date) -> int:
        """Places still held on ``today``: none once cancelled, expired or used up."""
        if self.cancelled_on is not None and self.cancelled_on <= today:
            return 0
        if self.valid_until < today:
            return 0
        return max(self.granted - self.consumed, 0)


@dataclass(frozen=True)
class QuotaPosition:
    kind: QuotaKind
    funding: Funding
    approved: int
    actual: int
    reserved: int

    @property
    def free(self) -> int:
        """Signed headroom; negative when people plus reservations exceed the approval."""
        return self.approved - self.actual - self.reserved

    @property
    def vacant(self) -> int:
        return max(self.free, 0)

    @property
    def over(self) -> int:
        return max(self.actual - self.approved, 0)

    @property
    def overcommitted(self) -> bool:
        """Reservations promise places that are not there (e.g. after a quota cut)."""
        return self.reserved > 0 and self.free < 0

    @property
    def status(self) -> QuotaStatus:
        if self.over:
            return QuotaStatus.OVER
        return QuotaStatus.VACANT if self.vacant else QuotaStatus.FULL

    @property
    def used_share(self) -> float:
        """Actual plus reserved over approved, for bars; 1.0 when nothing is approved."""
        if self.approved <= 0:
            return 1.0
        return (self.actual + self.reserved) / self.approved


Key = tuple[QuotaKind, Funding]


def compute_positions(
    ledger: Iterable[tuple[QuotaKind, Funding, int]],
    occupied: Iterable[tuple[QuotaKind, Funding, int]],
    reservations: Iterable[tuple[QuotaKind, Funding, Reservation]],
    today: date,
) -> list[QuotaPosition]:
    """Positions per (kind, funding) for one unit, in the order the 三定 lists them."""
    approved: dict[Key, int] = defaultdict(int)
    actual: dict[Key, int] = defaultdict(int)
    reserved: dict[Key, int] = defaultdict(int)
    for kind, funding, delta in ledger:
        approved[(kind, funding)] += delta
    for kind, funding, count in occupied:
        actual[(kind, funding)] += count
    for kind, funding, reservation in reservations:
        reserved[(kind, funding)] += reservation.held_on(today)
    keys = set(approved) | set(actual) | {k for k, v in reserved.items() if v}
    ordered = sorted(keys, key=lambda k: (_KIND_ORDER[k[0]], _FUNDING_ORDER[k[1]]))
    return [
        QuotaPosition(
            kind,
            funding,
            approved[(kind, funding)],
            actual[(kind, funding)],
            reserved[(kind, funding)],
        )
        for kind, funding in ordered
    ]


@dataclass(frozen=True)
class QuotaSummary:
    """Several positions added up (a unit's total, a kind across a region)."""

    approved: int
    actual: int
    reserved: int
    vacant: int
    over: int

    @property
    def status(self) -> QuotaStatus:
        if self.over:
            return QuotaStatus.OVER
        return QuotaStatus.VACANT if self.vacant else QuotaStatus.FULL


def summarize(positions: Sequence[QuotaPosition]) -> QuotaSummary:
    """Totals that keep each account's vacancy and overage apart (they do not cancel out)."""
    return QuotaSummary(
        approved=sum(p.approved for p in positions),
        actual=sum(p.actual for p in positions),
        reserved=sum(p.reserved for p in positions),
        vacant=sum(p.vacant for p in positions),
        over=sum(p.over for p in positions),
    )


Figures = tuple[
    list[tuple[QuotaKind, Funding, int]],
    list[tuple[QuotaKind, Funding, int]],
    list[tuple[QuotaKind, Funding, Reservation]],
]


def _figure_statements(
    units: Callable[[ColumnElement[int]], ColumnElement[bool]],
) -> tuple[Select, Select, Select]:
    """Ledger sums, open occupancies and live reservations of the units that
    ``units(unit_id_column)`` selects (parameter: ``today``)."""
    e, o, r = QuotaLedgerEntry.__table__.c, Occupancy.__table__.c, QuotaReservation.__table__.c
    return (
        select(e.unit_id, e.kind, e.funding, func.sum(e.delta))
        .where(units(e.unit_id))
        .group_by(e.unit_id, e.kind, e.funding),
        select(o.unit_id, o.kind, o.funding, func.count())
        .where(units(o.unit_id), o.exit_date.is_(None))
        .group_by(o.unit_id, o.kind, o.funding),
        select(
            r.unit_id, r.kind, r.funding, r.granted, r.consumed, r.valid_until, r.cancelled_on
        ).where(units(r.unit_id), r.valid_until >= bindparam("today"), r.consumed < r.granted),
    )


# Built once: search results, browse lists and cards ask for a handful of units at a time,
# and constructing these statements cost more than SQLite spends answering them.
_FOR_UNIT_IDS = _figure_statements(lambda column: column.in_(bindparam("unit_ids", expanding=True)))


def _figures_by_unit(
    session: Session, statements: tuple[Select, Select, Select], params: dict
) -> dict[int, Figures]:
    """The raw sources per unit, from the three ``statements``."""
    connection = core(session)
    ledger, occupied, reserved = statements
    per_unit: dict[int, Figures] = defaultdict(lambda: ([], [], []))
    for unit_id, kind, funding, total in connection.execute(ledger, params):
        per_unit[unit_id][0].append((kind, funding, int(total)))
    for unit_id, kind, funding, count in connection.execute(occupied, params):
        per_unit[unit_id][1].append((kind, funding, int(count)))
    for unit_id, kind, funding, granted, consumed, valid_until, cancelled_on in connection.execute(
        reserved, params
    ):
        reservation = Reservation(granted, consumed, valid_until, cancelled_on)
        per_unit[unit_id][2].append((kind, funding, reservation))
    return per_unit


def positions_for_units(
    session: Session, unit_ids: Sequence[int], today: date
) -> dict[int, list[QuotaPosition]]:
    """Positions for many units with three grouped queries, whatever the number of units."""
    if not unit_ids:
        return {}
    figures = _figures_by_unit(session, _FOR_UNIT_IDS, {"unit_ids": list(unit_ids), "today": today})
    return {unit_id: compute_positions(*figures[unit_id], today) for unit_id in unit_ids}


def unit_positions(session: Session, unit_id: int, today: date) -> list[QuotaPosition]:
    return positions_for_units(session, [unit_id], today)[unit_id]


def position_of(
    session: Session, unit_id: int, kind: QuotaKind, funding: Funding, today: date
) -> QuotaPosition:
    """One (kind, funding) account of a unit; all zeros when the unit has none."""
    for position in unit_positions(session, unit_id, today):
        if position.kind == kind and position.funding == funding:
            return position
    return QuotaPosition(kind, funding, 0, 0, 0)


def totals_by_kind(session: Session, today: date, scope: Scope) -> dict[QuotaKind, QuotaSummary]:
    """Totals per kind over the units in ``scope``, each unit's accounts kept apart first."""
    in_scope = select(Unit.id).where(scope.unit_clause()).scalar_subquery()
    statements = _figure_statements(lambda column: column.in_(in_scope))
    figures = _figures_by_unit(session, statements, {"today": today})
    by_kind: dict[QuotaKind, list[QuotaPosition]] = defaultdict(list)
    for led, occ, res in figures.values():
        for position in compute_positions(led, occ, res, today):
            by_kind[position.kind].append(position)
    return {kind: summarize(by_kind[kind]) for kind in QuotaKind if kind in by_kind}
