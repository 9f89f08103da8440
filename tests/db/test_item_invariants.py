"""Random lives of one unit's items, through the real services on a real SQLite file.

Whatever people do — request places, bring people in, let them go, adjust the quota, revoke,
let time pass — the invariants of "the life of an item" hold: the vacancy never goes below
zero through an approval, a reservation never gives more than it granted, every approval has
its own 文号, a finished item has no open step, and a decision counts once.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select

from pwa import create_app
from pwa.domain import quota, workflow
from pwa.domain.items import payloads as p
from pwa.domain.items import service
from pwa.domain.items.effects import EffectRefused
from pwa.models import (
    Decision,
    EntryMode,
    ExitReason,
    ItemState,
    ItemType,
    Occupancy,
    QuotaReservation,
    Verdict,
)
from pwa.models.item import Item
from tests.conftest import AS_OF, make_config
from tests.item_helpers import approve_all, declare, review, staff_entry

REFUSED = (service.ItemError, EffectRefused)
TEMPLATE: dict[str, Path] = {}


@pytest.fixture(autouse=True)
def _template(seeded_template: Path) -> None:
    TEMPLATE["path"] = seeded_template


class UnitLife(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.mkdtemp()
        path = Path(self.folder) / "life.sqlite3"
        shutil.copy(TEMPLATE["path"], path)
        self.app = create_app(make_config(f"sqlite:///{path}"))
        self.now = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)
        self.app.config["FROZEN_NOW"] = self.now
        from tests.item_helpers import make_world

        self.world = make_world(self.app)
        positions = self._positions()
        self.position = max(positions, key=lambda pos: pos.free)
        assert self.position.free >= 0
        self.sequence = 0
        self.approvals = 0

    def teardown(self) -> None:
        self.app.extensions["pwa.db"][0].dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- helpers --------------------------------------------------------------------------

    def _positions(self) -> list[quota.QuotaPosition]:
        return self.world.read(
            quota.unit_positions, self.world.unit_id, self.world.ctx().clock.today
        )

    def _mine(self) -> quota.QuotaPosition:
        for pos in self._positions():
            if (pos.kind, pos.funding) == (self.position.kind, self.position.funding):
                return pos
        raise AssertionError("the position disappeared")

    def _through(self, item_type: ItemType, payload, sealed=None) -> None:
        try:
            item = declare(self.world, "clerk", item_type, payload, sealed=sealed)
            item = review(self.world, item)
            item = approve_all(self.world, item)
        except REFUSED:
            return
        if item.state in (ItemState.APPROVED, ItemState.COMPLETED):
            self.approvals += 1

    # -- what people do -------------------------------------------------------------------

    @rule(count=st.integers(min_value=1, max_value=4))
    def request_places(self, count: int) -> None:
        pos = self.position
        self._through(
            ItemType.QUOTA_USE,
            p.QuotaUse(pos.kind, pos.funding, count, EntryMode.CIVIL_SERVICE_EXAM, "科员", "补员"),
        )

    @rule()
    def bring_someone_in(self) -> None:
        today = self.world.ctx().clock.today
        reservation_id = self.world.read(
            lambda s: s.scalar(
                select(QuotaReservation.id).where(
                    QuotaReservation.unit_id == self.world.unit_id,
                    QuotaReservation.consumed < QuotaReservation.granted,
                    QuotaReservation.valid_until >= today,
                    QuotaReservation.cancelled_on.is_(None),
                )
            )
        )
        if reservation_id is None:
            return
        self.sequence += 1
        payload, sealed = staff_entry(reservation_id, 500 + self.sequence)
        self._through(ItemType.STAFF_ENTRY, payload, sealed)

    @rule()
    def let_someone_go(self) -> None:
        pos = self.position
        row = self.world.read(
            lambda s: s.execute(
                select(Occupancy.id, Occupancy.person_id).where(
                    Occupancy.unit_id == self.world.unit_id,
                    Occupancy.exit_date.is_(None),
                    Occupancy.kind == pos.kind,
                    Occupancy.funding == pos.funding,
                )
            ).first()
        )
        if row is not None:
            self._through(
                ItemType.STAFF_EXIT,
                p.StaffExit(row.id, row.person_id, ExitReason.RETIREMENT, "退休"),
            )

    @rule(delta=st.integers(min_value=-4, max_value=3).filter(bool))
    def adjust_quota(self, delta: int) -> None:
        pos = self.position
        self._through(ItemType.QUOTA_ADJUST, p.QuotaAdjust(pos.kind, pos.funding, delta, "调整"))

    @rule()
    def revoke_one(self) -> None:
        item_id = self.world.read(
            lambda s: s.scalar(
                select(Item.id).where(
                    Item.item_type == ItemType.QUOTA_USE, Item.state.in_(list(workflow.IN_FORCE))
                )
            )
        )
        if item_id is None:
            return
        seen = self.world.read(lambda s: service.version_hash(s.get(Item, item_id)))
        self.world.run(
            service.revoke,
            self.world.who("director"),
            item_id,
            comment="收回",
            version_hash_seen=seen,
        )

    @rule(days=st.sampled_from([1, 30, 200]))
    def time_passes(self, days: int) -> None:
        self.now += timedelta(days=days)
        self.app.config["FROZEN_NOW"] = self.now
        self.world.run(service.expire_reservations)

    # -- what must always hold ------------------------------------------------------------

    @invariant()
    def approvals_never_overdraw_the_vacancy(self) -> None:
        assert self._mine().free >= 0

    @invariant()
    def every_approval_has_its_own_document_number(self) -> None:
        numbers = self.world.read(
            lambda s: list(
                s.scalars(select(Item.document_number).where(Item.document_number.is_not(None)))
            )
        )
        assert len(numbers) == len(set(numbers))
        assert len(numbers) >= self.approvals

    @invariant()
    def finished_items_have_no_open_steps(self) -> None:
        def check(s):
            for item in s.scalars(select(Item)):
                if item.state in workflow.TERMINAL:
                    assert not service.open_tasks(item), (item.id, item.state)
                if item.state in workflow.IN_FORCE | {ItemState.COMPLETED}:
                    assert item.document_number, (item.id, item.state)

        self.world.read(check)

    @invariant()
    def one_final_decision_per_approved_item(self) -> None:
        approved = self.world.read(
            lambda s: s.scalar(
                select(func.count()).select_from(Item).where(Item.document_number.is_not(None))
            )
        )
        decisions = self.world.read(
            lambda s: s.scalar(
                select(func.count(func.distinct(Decision.item_id))).where(
                    Decision.verdict == Verdict.APPROVE
                )
            )
        )
        assert decisions >= approved


UnitLife.TestCase.settings = settings(
    max_examples=8,
    stateful_step_count=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
test_unit_life = UnitLife.TestCase
