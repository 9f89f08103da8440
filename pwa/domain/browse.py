"""Browsing: region → 系统/主管部门 → unit tree, with counts, within a scope."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from auth.scope import Scope
from pwa.domain.quota import QuotaStatus, positions_for_units, summarize
from pwa.models import Region, Unit, UnitKind


@dataclass(frozen=True)
class RegionNode:
    region: Region
    units: int  # units in scope directly in this region
    children: list[RegionNode]

    @property
    def total(self) -> int:
        return self.units + sum(child.total for child in self.children)


@dataclass(frozen=True)
class UnitNode:
    unit_id: int
    short_name: str
    full_name: str
    kind: UnitKind
    subordinates: int
    status: QuotaStatus


def region_tree(session: Session, scope: Scope) -> list[RegionNode]:
    """The regions holding units in scope, as a forest, with unit counts."""
    counts = dict(
        session.execute(
            select(Unit.region_id, func.count())
            .where(scope.unit_clause(), Unit.abolished_on.is_(None))
            .group_by(Unit.region_id)
        ).all()
    )
    if not counts:
        return []
    regions = {r.id: r for r in session.scalars(select(Region).order_by(Region.code))}
    # Keep every region with units in scope plus its ancestors, so the tree stays connected.
    keep: set[int] = set()
    for region_id in counts:
        current = regions.get(region_id)
        while current is not None and current.id not in keep:
            keep.add(current.id)
            current = regions.get(current.parent_id) if current.parent_id else None
    children: dict[int | None, list[int]] = defaultdict(list)
    for rid in sorted(keep, key=lambda i: regions[i].code):
        parent = regions[rid].parent_id if regions[rid].parent_id in keep else None
        children[parent].append(rid)

    def build(rid: int) -> RegionNode:
        return RegionNode(regions[rid], counts.get(rid, 0), [build(c) for c in children[rid]])

    return [build(rid) for rid in children[None]]


def units_under(
    session: Session,
    scope: Scope,
    today: date,
    *,
    region_id: int | None = None,
    parent_id: int | None = None,
) -> list[UnitNode]:
    """Top-level units of a region (主管部门 and independent units), or the units under one
    parent, with how many units each has under it and a quota badge."""
    child = aliased(Unit)
    subordinate_count = (
        select(func.count())
        .select_from(child)
        .where(child.parent_id == Unit.id, child.abolished_on.is_(None))
        .correlate(Unit)
        .scalar_subquery()
    )
    statement = select(
        Unit.id, Unit.short_name, Unit.full_name, Unit.kind, subordinate_count.label("subordinates")
    ).where(scope.unit_clause(), Unit.abolished_on.is_(None))
    if parent_id is not None:
        statement = statement.where(Unit.parent_id == parent_id)
    else:
        statement = statement.where(Unit.region_id == region_id, Unit.parent_id.is_(None))
    rows = session.execute(statement.order_by(Unit.kind, Unit.sort_order, Unit.id)).all()
    positions = positions_for_units(session, [r.id for r in rows], today)
    return [
        UnitNode(
            r.id,
            r.short_name,
            r.full_name,
            r.kind,
            r.subordinates,
            summarize(positions[r.id]).status,
        )
        for r in rows
    ]
