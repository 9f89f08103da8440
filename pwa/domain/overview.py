"""What the database holds, at a glance: the home page's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth.scope import Scope
from pwa.domain.quota import QuotaSummary, totals_by_kind
from pwa.models import (
    InternalDepartment,
    Occupancy,
    OffQuotaEngagement,
    QuotaKind,
    Region,
    RegionLevel,
    Unit,
    UnitKind,
)


@dataclass(frozen=True)
class Overview:
    regions: dict[RegionLevel, int]
    units_by_kind: dict[UnitKind, int]
    departments: int
    on_establishment: int
    off_quota: int
    quota: dict[QuotaKind, QuotaSummary]

    @property
    def units(self) -> int:
        return sum(self.units_by_kind.values())

    @property
    def is_empty(self) -> bool:
        return self.units == 0


def overview(session: Session, today: date, scope: Scope) -> Overview:
    """Counts and quota totals over the units in ``scope`` only."""
    in_scope = select(Unit.id).where(scope.unit_clause()).scalar_subquery()
    region_ids = select(Unit.region_id).where(scope.unit_clause()).distinct().scalar_subquery()
    regions = dict(
        session.execute(
            select(Region.level, func.count())
            .where(Region.id.in_(region_ids))
            .group_by(Region.level)
        ).all()
    )
    units = dict(
        session.execute(
            select(Unit.kind, func.count())
            .where(Unit.abolished_on.is_(None), scope.unit_clause())
            .group_by(Unit.kind)
        ).all()
    )
    departments = session.scalar(
        select(func.count())
        .select_from(InternalDepartment)
        .where(InternalDepartment.unit_id.in_(in_scope))
    )
    on_establishment = session.scalar(
        select(func.count())
        .select_from(Occupancy)
        .where(Occupancy.exit_date.is_(None), Occupancy.unit_id.in_(in_scope))
    )
    off_quota = session.scalar(
        select(func.count())
        .select_from(OffQuotaEngagement)
        .where(OffQuotaEngagement.ended_on.is_(None), OffQuotaEngagement.unit_id.in_(in_scope))
    )
    return Overview(
        regions={level: regions.get(level, 0) for level in RegionLevel},
        units_by_kind={kind: units[kind] for kind in UnitKind if units.get(kind)},
        departments=departments or 0,
        on_establishment=on_establishment or 0,
        off_quota=off_quota or 0,
        quota=totals_by_kind(session, today, scope),
    )
