"""Jurisdiction as a value domain queries take: which units an account may see at all.

Out-of-scope objects are answered with 404 by the routes, exactly like missing ones.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from auth.models import Account
from auth.roles import RoleClass
from pwa.models import Region, Unit


@dataclass(frozen=True)
class Scope:
    """``region_ids`` is a region subtree; ``unit_id`` one unit; ``everything`` for system
    jobs only (CLI, seeding); an admin account's scope is empty."""

    region_ids: frozenset[int] = frozenset()
    unit_id: int | None = None
    everything: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.region_ids and self.unit_id is None

    def unit_clause(self) -> ColumnElement[bool]:
        """A WHERE clause on ``Unit`` selecting exactly the units in scope."""
        if self.everything:
            return true()
        if self.unit_id is not None:
            return Unit.id == self.unit_id
        if self.region_ids:
            return Unit.region_id.in_(sorted(self.region_ids))
        return false()

    def covers_unit(self, unit: Unit) -> bool:
        if self.everything:
            return True
        if self.unit_id is not None:
            return unit.id == self.unit_id
        return unit.region_id in self.region_ids


EVERYTHING = Scope(everything=True)
NOTHING = Scope()


_TREE_TTL = 60.0  # seconds; administrative divisions change by decree, not by the minute
_tree_cache: dict[str, tuple[float, dict[int | None, list[int]]]] = {}


def _region_children(session: Session) -> dict[int | None, list[int]]:
    """Parent → children of the whole region table, cached per database for a minute (it is
    read on every request and almost never changes)."""
    bind = session.get_bind()
    key = str(getattr(bind, "url", None) or bind.engine.url)
    cached = _tree_cache.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    children: dict[int | None, list[int]] = {}
    for rid, parent in session.execute(select(Region.id, Region.parent_id)):
        children.setdefault(parent, []).append(rid)
    _tree_cache[key] = (time.monotonic() + _TREE_TTL, children)
    return children


def region_parents(session: Session) -> dict[int, int | None]:
    """Child → parent of every region, from the same cached tree."""
    return {
        child: parent
        for parent, children in _region_children(session).items()
        for child in children
    }


def forget_region_tree() -> None:
    """Drop the cached tree (after regions were replaced wholesale: reseeding, tests)."""
    _tree_cache.clear()


def region_subtree(session: Session, region_id: int) -> frozenset[int]:
    """The region and all below it (a province has ~200 regions)."""
    children = _region_children(session)
    found, frontier = {region_id}, [region_id]
    while frontier:
        nxt = [c for r in frontier for c in children.get(r, [])]
        found.update(nxt)
        frontier = nxt
    return frozenset(found)


def scope_for(session: Session, account: Account) -> Scope:
    if account.role_class is not RoleClass.BUSINESS or account.disabled_at is not None:
        return NOTHING
    if account.unit_id is not None:
        return Scope(unit_id=account.unit_id)
    if account.region_id is not None:
        return Scope(region_ids=region_subtree(session, account.region_id))
    return NOTHING
