"""Recently viewed and pinned units per account (pins prepare an inspection trip)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from auth.scope import Scope
from pwa.db import core
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


_visits = UnitVisit.__table__.c
# Built once: the card reads these on every view (and writes now and then).
_CARD_STATE = select(
    select(UnitPin.unit_id)
    .where(UnitPin.account_id == bindparam("account_id"), UnitPin.unit_id == bindparam("unit_id"))
    .exists(),
    select(_visits.visited_at)
    .where(_visits.account_id == bindparam("account_id"), _visits.unit_id == bindparam("unit_id"))
    .scalar_subquery(),
)


def _visit_upsert(dialect: type[sqlite.Insert] | type[postgresql.Insert]):
    insert = dialect(UnitVisit.__table__)
    return insert.on_conflict_do_update(
        index_elements=[_visits.account_id, _visits.unit_id],
        set_={"visited_at": insert.excluded.visited_at},
    )


_RECORD_VISIT = {
    "sqlite": _visit_upsert(sqlite.Insert),
    "postgresql": _visit_upsert(postgresql.Insert),
}
# Keep the list short: forget visits beyond the most recent few dozen.
_FORGET_OLD_VISITS = delete(UnitVisit.__table__).where(
    _visits.account_id == bindparam("account_id"),
    _visits.unit_id.in_(
        select(_visits.unit_id)
        .where(_visits.account_id == bindparam("account_id"))
        .order_by(_visits.visited_at.desc())
        .offset(RECENT_LIMIT * 4)
        .scalar_subquery()
    ),
)


def card_state(session: Session, account_id: int, unit_id: int) -> CardState:
    row = core(session).execute(_CARD_STATE, {"account_id": account_id, "unit_id": unit_id}).one()
    return CardState(bool(row[0]), row[1])


def record_visit(session: Session, account_id: int, unit_id: int, now: datetime) -> None:
    """One upsert and one trim, as prebuilt statements: a card view that writes holds the
    write lock for as short a time as possible."""
    connection = core(session)
    connection.execute(
        _RECORD_VISIT[connection.dialect.name],
        {"account_id": account_id, "unit_id": unit_id, "visited_at": now},
    )
    connection.execute(_FORGET_OLD_VISITS, {"account_id": account_id})


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
