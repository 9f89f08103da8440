"""Recently viewed and pinned units per account (pins prepare an inspection trip)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from auth.scope import Scope
from pwa.models import Unit, UnitPin, UnitVisit

RECENT_LIMIT = 8
MAX_PINS = 50
VISIT_RESOLUTION = timedelta(minutes=5)  # re-reading a card minutes later writes nothing


class TooManyPins(ValueError):
    pass


@dataclass(frozen=True)
class ListedUnit:
    unit_id: int
    short_name: str
    full_name: str
    at: datetime


@dataclass(frozen=True)
class CardState:
    """What the card needs to know of the viewer's lists, in one query."""

    pinned: bool
    last_visit: datetime | None

    def visit_is_stale(self, now: datetime) -> bool:
        """Record a view only now and then: card views stay read-only most of the time."""
        return self.last_visit is None or now - self.last_visit >= VISIT_RESOLUTION


def card_state(session: Session, account_id: int, unit_id: int) -> CardState:
    pinned = (
        select(UnitPin.unit_id)
        .where(UnitPin.account_id == account_id, UnitPin.unit_id == unit_id)
        .exists()
    )
    last = (
        select(UnitVisit.visited_at)
        .where(UnitVisit.account_id == account_id, UnitVisit.unit_id == unit_id)
        .scalar_subquery()
    )
    row = session.execute(select(pinned, last)).one()
    return CardState(bool(row[0]), row[1])


def record_visit(session: Session, account_id: int, unit_id: int, now: datetime) -> None:
    visit = session.get(UnitVisit, (account_id, unit_id))
    if visit is None:
        session.add(UnitVisit(account_id=account_id, unit_id=unit_id, visited_at=now))
    else:
        visit.visited_at = now
    session.flush()
    # Keep the list short: forget visits beyond the most recent few dozen.
    stale = (
        select(UnitVisit.unit_id)
        .where(UnitVisit.account_id == account_id)
        .order_by(UnitVisit.visited_at.desc())
        .offset(RECENT_LIMIT * 4)
    )
    session.execute(
        delete(UnitVisit).where(
            UnitVisit.account_id == account_id, UnitVisit.unit_id.in_(stale.scalar_subquery())
        )
    )


def recent_units(session: Session, account_id: int, scope: Scope) -> list[ListedUnit]:
    rows = session.execute(
        select(Unit.id, Unit.short_name, Unit.full_name, UnitVisit.visited_at)
        .join(UnitVisit, UnitVisit.unit_id == Unit.id)
        .where(UnitVisit.account_id == account_id, scope.unit_clause())
        .order_by(UnitVisit.visited_at.desc())
        .limit(RECENT_LIMIT)
    ).all()
    return [ListedUnit(*row) for row in rows]


def pinned_units(session: Session, account_id: int, scope: Scope) -> list[ListedUnit]:
    rows = session.execute(
        select(Unit.id, Unit.short_name, Unit.full_name, UnitPin.pinned_at)
        .join(UnitPin, UnitPin.unit_id == Unit.id)
        .where(UnitPin.account_id == account_id, scope.unit_clause())
        .order_by(UnitPin.pinned_at.desc())
    ).all()
    return [ListedUnit(*row) for row in rows]


def is_pinned(session: Session, account_id: int, unit_id: int) -> bool:
    return session.get(UnitPin, (account_id, unit_id)) is not None


def pin(session: Session, account_id: int, unit_id: int, now: datetime) -> None:
    if session.get(UnitPin, (account_id, unit_id)) is not None:
        return
    count = len(
        session.scalars(select(UnitPin.unit_id).where(UnitPin.account_id == account_id)).all()
    )
    if count >= MAX_PINS:
        raise TooManyPins(MAX_PINS)
    session.add(UnitPin(account_id=account_id, unit_id=unit_id, pinned_at=now))
    session.flush()


def unpin(session: Session, account_id: int, unit_id: int) -> None:
    session.execute(
        delete(UnitPin).where(UnitPin.account_id == account_id, UnitPin.unit_id == unit_id)
    )
