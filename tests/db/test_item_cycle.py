"""A whole 用编申请 → joint review → approval → 上编 cycle through the item services."""

from __future__ import annotations

from datetime import date

from pwa.domain import quota
from pwa.domain.items import payloads as p
from pwa.domain.items import service
from pwa.extensions import db
from pwa.models import (
    EntryMode,
    Funding,
    ItemState,
    ItemType,
    Occupancy,
    QuotaKind,
    QuotaReservation,
    Verdict,
)
from pwa.models.item import Item
from tests.item_helpers import make_world, new_key


def _vacant(world, kind=QuotaKind.ADMINISTRATIVE, funding=Funding.FULL) -> int:
    def read(session):
        for pos in quota.unit_positions(session, world.unit_id, world.ctx().clock.today):
            if pos.kind == kind and pos.funding == funding:
                return pos.vacant
        return 0

    return world.read(read)


def test_quota_use_then_staff_entry(seeded_app):
    world = make_world(seeded_app)
    vacant_before = _vacant(world)
    assert vacant_before >= 1
    draft = service.Draft(
        ItemType.QUOTA_USE,
        world.unit_id,
        p.QuotaUse(
            QuotaKind.ADMINISTRATIVE,
            Funding.FULL,
            1,
            EntryMode.CIVIL_SERVICE_EXAM,
            "科员",
            "补充人员",
        ),
    )
    item = world.run(
        service.create, world.who("clerk"), draft, idempotency_key=new_key(), submit=True
    )
    item_id, version = item.id, item.version
    assert item.state is ItemState.SUBMITTED
    staff = world.who("staff")
    version = world.run(service.accept, staff, item_id, expected_version=version).version
    version = world.run(service.begin_review, staff, item_id, expected_version=version).version
    item = world.run(service.forward, staff, item_id, comment="材料齐全", expected_version=version)
    assert item.state is ItemState.JOINT_REVIEW
    assert {t.stage.value for t in service.open_tasks(item)} == {"joint_org", "joint_finance"}
    item = world.opinions(item)
    assert item.state is ItemState.AWAITING_DECISION
    seen = world.read(lambda s: service.version_hash(s.get(Item, item_id)))
    outcome = world.run(
        service.decide,
        world.who("leader"),
        item_id,
        verdict=Verdict.APPROVE,
        comment="同意",
        version_hash_seen=seen,
        signed_with="totp",
    )
    assert outcome.final and outcome.item.state is ItemState.APPROVED
    assert outcome.item.document_number.endswith("号")
    assert _vacant(world) == vacant_before - 1
    reservation_id = outcome.item.reservation_id

    entry = service.Draft(
        ItemType.STAFF_ENTRY,
        world.unit_id,
        p.StaffEntry(
            reservation_id,
            "张三",
            "male",
            date(1998, 5, 1),
            "130702********1234",
            "bachelor",
            "科员",
            EntryMode.CIVIL_SERVICE_EXAM,
            "招录",
        ),
        sealed={"id_number": "130702199805011238"},
    )
    from pwa.domain import idnumber

    entry.sealed["id_number"] = idnumber.make("130702", date(1998, 5, 1), 123)
    item2 = world.run(
        service.create, world.who("clerk"), entry, idempotency_key=new_key(), submit=True
    )
    v = item2.version
    v = world.run(service.accept, staff, item2.id, expected_version=v).version
    v = world.run(service.begin_review, staff, item2.id, expected_version=v).version
    item2 = world.run(service.forward, staff, item2.id, comment="", expected_version=v)
    item2 = world.opinions(item2)
    assert item2.state is ItemState.AWAITING_DECISION
    seen = world.read(lambda s: service.version_hash(s.get(Item, item2.id)))
    outcome = world.run(
        service.decide,
        world.who("leader"),
        item2.id,
        verdict=Verdict.APPROVE,
        comment="",
        version_hash_seen=seen,
        signed_with="totp",
    )
    assert outcome.item.state is ItemState.COMPLETED
    with seeded_app.app_context():
        res = db.session.get(QuotaReservation, reservation_id)
        assert res.consumed == 1
        occ = db.session.get(Occupancy, outcome.item.occupancy_id)
        assert occ.exit_date is None and occ.unit_id == world.unit_id
        origin = db.session.get(Item, item_id)
        assert origin.state is ItemState.COMPLETED
    assert _vacant(world) == vacant_before - 1
