"""What approvals change, on SQLite and on PostgreSQL: reservations, 在编记录 and people,
ledger entries with their 文号, 领导职数, units and the search index; and what they refuse,
writing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from pwa import create_app
from pwa.domain import idnumber, quota
from pwa.domain.items import effects, service
from pwa.domain.items import payloads as p
from pwa.domain.items.effects import EffectRefused, add_months, next_document_number
from pwa.domain.search import search_units
from pwa.extensions import db
from pwa.models import (
    EntryMode,
    ExitReason,
    Funding,
    ItemEvent,
    ItemState,
    ItemType,
    LeadershipAppointment,
    LeadershipLevel,
    LeadershipPosition,
    LeadershipQuota,
    Occupancy,
    Person,
    QuotaKind,
    QuotaLedgerEntry,
    QuotaReservation,
    Region,
    Unit,
    UnitKind,
    UnitNature,
    UnitRank,
)
from pwa.models.item import Item, ItemCopy
from pwa.seed.codes import is_valid_credit_code
from tests.auth_helpers import Clock, unit_id_by_short_name
from tests.conftest import AS_OF, make_config, seed
from tests.item_helpers import (
    World,
    approve_all,
    decide,
    declare,
    make_world,
    review,
    staff_entry,
)

S = ItemState
ADMIN, FULL = QuotaKind.ADMINISTRATIVE, Funding.FULL
MORNING = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    app: Flask = create_app(make_config(database_url))
    app.config["FROZEN_NOW"] = MORNING
    seed(app)
    yield make_world(app)
    app.extensions["pwa.db"][0].dispose()


# -- helpers ----------------------------------------------------------------------------------


def use(count: int = 1, kind: QuotaKind = ADMIN, funding: Funding = FULL) -> p.QuotaUse:
    return p.QuotaUse(kind, funding, count, EntryMode.CIVIL_SERVICE_EXAM, "科员", "补充人员")


def approved(world: World, who: str, item_type: ItemType, payload, **declared) -> Item:
    """Declared by ``who``, reviewed by staff (or staff2 when staff declared), approved at
    every stage."""
    item = declare(world, who, item_type, payload, **declared)
    item = review(world, item, "staff2" if who == "staff" else "staff")
    item = approve_all(world, item)
    assert item.state in (S.APPROVED, S.COMPLETED), item.state
    return item


def to_decision(world: World, who: str, item_type: ItemType, payload, **declared) -> Item:
    item = review(world, declare(world, who, item_type, payload, **declared), "staff")
    assert item.state is S.AWAITING_DECISION
    return item


def today(world: World) -> date:
    return world.ctx().clock.today


def position(world: World, unit_id: int, kind=ADMIN, funding=FULL) -> quota.QuotaPosition:
    positions = world.read(quota.unit_positions, unit_id, today(world))
    found = [x for x in positions if (x.kind, x.funding) == (kind, funding)]
    return found[0] if found else quota.QuotaPosition(kind, funding, 0, 0, 0)


def count(world: World, model, *where) -> int:
    return world.read(lambda s: s.scalar(select(func.count()).select_from(model).where(*where)))


def load(world: World, model, key):
    return world.read(lambda s: s.get(model, key))


def apply_directly(world: World, item_id: int) -> None:
    """The effect alone, as a concurrent approval would meet it (its own re-check under the
    unit lock); the transaction rolls back with the refusal."""
    ctx = world.ctx()
    with world.app.app_context(), db.write() as session:
        item = session.get(Item, item_id)
        effects.apply(
            session,
            item,
            service.payload_of(item),
            document_number="测编办〔2026〕999号",
            today=ctx.clock.today,
            now=ctx.clock.now,
            keys=ctx.keys,
            policy=ctx.policy,
        )


def refused_at_decision(world: World, item: Item) -> list[str]:
    """The codes of the failed checks when the leader tries to approve."""
    with pytest.raises(service.ChecksFailed) as refused:
        decide(world, "leader", item.id)
    return sorted(c.code for c in refused.value.failures)


# -- add_months -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 6, 1), 6, date(2026, 12, 1)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # leap year
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 10, 31), 6, date(2027, 4, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 7, 31), 12, date(2027, 7, 31)),
        (date(2026, 3, 31), 0, date(2026, 3, 31)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(day, months, expected):
    assert add_months(day, months) == expected


# -- 用编, 上编, 下编 ---------------------------------------------------------------------------


def test_quota_use_approval_reserves_the_places_for_six_months(world):
    Clock(world.app, datetime(2026, 8, 31, 2, tzinfo=UTC))  # 31 August in Beijing
    before = position(world, world.unit_id)
    assert before.free == 1
    item = approved(world, "clerk", ItemType.QUOTA_USE, use(1))
    assert item.state is S.APPROVED
    reservation = load(world, QuotaReservation, item.reservation_id)
    assert (reservation.unit_id, reservation.kind, reservation.funding) == (
        world.unit_id,
        ADMIN,
        FULL,
    )
    assert (reservation.granted, reservation.consumed, reservation.cancelled_on) == (1, 0, None)
    assert reservation.document_number == item.document_number
    assert reservation.granted_on == date(2026, 8, 31)
    assert reservation.valid_until == date(2027, 2, 28)  # not 31 February
    after = position(world, world.unit_id)
    assert (after.reserved, after.free) == (before.reserved + 1, 0)


def test_staff_entry_consumes_a_place_and_keeps_the_id_number_sealed(world):
    unit = unit_id_by_short_name(world.app, "市委办")
    assert position(world, unit).free >= 2
    origin = approved(world, "staff2", ItemType.QUOTA_USE, use(2), unit_id=unit)
    before = position(world, unit)
    payload, sealed = staff_entry(origin.reservation_id, 21)
    number = sealed["id_number"]
    item = declare(world, "staff2", ItemType.STAFF_ENTRY, payload, sealed=sealed, unit_id=unit)
    assert not item.flagged
    item = approve_all(world, review(world, item, "staff"))
    assert item.state is S.COMPLETED and item.document_number

    reservation = load(world, QuotaReservation, origin.reservation_id)
    assert reservation.consumed == 1
    after = position(world, unit)
    assert (after.actual, after.reserved, after.free) == (
        before.actual + 1,
        before.reserved - 1,
        before.free,
    )
    occupancy = load(world, Occupancy, item.occupancy_id)
    assert (occupancy.unit_id, occupancy.person_id) == (unit, item.person_id)
    assert (occupancy.kind, occupancy.funding) == (ADMIN, FULL)
    assert occupancy.entry_document_number == item.document_number
    assert (occupancy.entry_date, occupancy.exit_date) == (today(world), None)
    assert load(world, Item, origin.id).state is S.EXECUTING  # one place left

    person = load(world, Person, item.person_id)
    cipher, blind_index = world.app.extensions["pwa.secrets"]
    assert cipher.decrypt(person.id_number_ciphertext, effects.ID_CONTEXT) == number
    assert number.encode() not in person.id_number_ciphertext
    assert person.id_number_masked == idnumber.mask(number) != number
    assert person.id_number_index == blind_index.of(number)
    assert person.birth_date == date(1998, 5, 1)
    stored = load(world, Item, item.id)
    assert number not in stored.payload and number[:14] not in stored.payload
    assert number.encode() not in stored.sealed_payload
    history = world.read(
        lambda s: list(s.scalars(select(ItemEvent).where(ItemEvent.item_id == item.id)))
    )
    assert history and all(number not in e.detail + e.comment for e in history)

    # The same person a second time: flagged, refused by the checks and by the effect.
    occupancies = count(world, Occupancy, Occupancy.unit_id == unit)
    again = declare(world, "staff2", ItemType.STAFF_ENTRY, payload, sealed=sealed, unit_id=unit)
    assert again.flagged
    again = review(world, again, "staff")
    assert refused_at_decision(world, again) == ["not_on_establishment"]
    with pytest.raises(EffectRefused):
        apply_directly(world, again.id)
    assert load(world, QuotaReservation, origin.reservation_id).consumed == 1
    assert count(world, Occupancy, Occupancy.unit_id == unit) == occupancies
    assert count(world, Person, Person.id_number_index == blind_index.of(number)) == 1
    assert count(world, Occupancy, Occupancy.person_id == item.person_id) == 1


def _leader_in_unit(world: World) -> tuple[int, int]:
    """A person on the clerk's unit's establishment who holds a leadership post there."""

    def find(session):
        return session.execute(
            select(Occupancy.person_id, Occupancy.id)
            .join(LeadershipAppointment, LeadershipAppointment.person_id == Occupancy.person_id)
            .join(LeadershipQuota, LeadershipQuota.id == LeadershipAppointment.quota_id)
            .where(
                Occupancy.unit_id == world.unit_id,
                Occupancy.exit_date.is_(None),
                LeadershipQuota.unit_id == world.unit_id,
                LeadershipAppointment.ended_on.is_(None),
            )
            .order_by(Occupancy.id)
            .limit(1)
        ).one()

    row = world.read(find)
    return row.person_id, row.id


def test_staff_exit_closes_the_occupancy_and_the_leadership_posts_once(world):
    person_id, occupancy_id = _leader_in_unit(world)
    before = position(world, world.unit_id)
    exit_payload = p.StaffExit(occupancy_id, person_id, ExitReason.RETIREMENT, "到龄退休")
    item = approved(world, "clerk", ItemType.STAFF_EXIT, exit_payload)
    assert item.state is S.COMPLETED

    occupancy = load(world, Occupancy, occupancy_id)
    assert occupancy.exit_date == today(world)
    assert occupancy.exit_reason is ExitReason.RETIREMENT
    assert occupancy.exit_document_number == item.document_number
    assert position(world, world.unit_id).actual == before.actual - 1
    open_posts = count(
        world,
        LeadershipAppointment,
        LeadershipAppointment.person_id == person_id,
        LeadershipAppointment.ended_on.is_(None),
    )
    ended_today = count(
        world,
        LeadershipAppointment,
        LeadershipAppointment.person_id == person_id,
        LeadershipAppointment.ended_on == today(world),
    )
    assert (open_posts, ended_today) == (0, 1)
    copies = world.read(
        lambda s: set(s.scalars(select(ItemCopy.role).where(ItemCopy.item_id == item.id)))
    )
    assert copies == {"finance_reviewer", "hr_reviewer"}

    again = declare(world, "clerk", ItemType.STAFF_EXIT, exit_payload)
    assert again.flagged
    again = review(world, again, "staff")
    assert refused_at_decision(world, again) == ["on_establishment"]
    with pytest.raises(EffectRefused):
        apply_directly(world, again.id)
    assert load(world, Occupancy, occupancy_id).exit_document_number == item.document_number


# -- 编制调整 and 职数核定 --------------------------------------------------------------------


def adjust(delta: int) -> p.QuotaAdjust:
    return p.QuotaAdjust(ADMIN, FULL, delta, "职能调整")


def test_quota_adjustments_write_the_ledger_and_never_cut_below_the_people(world):
    ledger = QuotaLedgerEntry
    start = position(world, world.unit_id)
    entries = count(world, ledger, ledger.unit_id == world.unit_id)

    plus = approved(world, "staff2", ItemType.QUOTA_ADJUST, adjust(+2))
    assert plus.state is S.APPROVED
    rows = world.read(
        lambda s: s.scalars(
            select(ledger).where(ledger.document_number == plus.document_number)
        ).all()
    )
    assert [(r.unit_id, r.kind, r.funding, r.delta, r.effective_on) for r in rows] == [
        (world.unit_id, ADMIN, FULL, 2, today(world))
    ]
    assert position(world, world.unit_id).approved == start.approved + 2

    cut = start.approved + 2 - (start.actual + start.reserved)  # down to exactly the people
    minus = approved(world, "staff2", ItemType.QUOTA_ADJUST, adjust(-cut))
    rows = world.read(
        lambda s: s.scalars(
            select(ledger).where(ledger.document_number == minus.document_number)
        ).all()
    )
    assert [r.delta for r in rows] == [-cut]
    now = position(world, world.unit_id)
    assert now.approved == now.actual + now.reserved and now.free == 0
    assert count(world, ledger, ledger.unit_id == world.unit_id) == entries + 2

    too_far = to_decision(world, "staff2", ItemType.QUOTA_ADJUST, adjust(-1))
    assert load(world, Item, too_far.id).flagged
    assert refused_at_decision(world, too_far) == ["no_overcut"]
    with pytest.raises(EffectRefused):
        apply_directly(world, too_far.id)
    assert count(world, ledger, ledger.unit_id == world.unit_id) == entries + 2
    assert position(world, world.unit_id).approved == now.approved


def _leadership_row(world: World, level, position_):
    return world.read(
        lambda s: s.scalars(
            select(LeadershipQuota).where(
                LeadershipQuota.unit_id == world.unit_id,
                LeadershipQuota.department_id.is_(None),
                LeadershipQuota.level == level,
                LeadershipQuota.position == position_,
            )
        ).one_or_none()
    )


def _filled(world: World, row_id: int) -> int:
    return count(
        world,
        LeadershipAppointment,
        LeadershipAppointment.quota_id == row_id,
        LeadershipAppointment.ended_on.is_(None),
    )


def test_leadership_posts_are_set_created_and_never_below_the_filled(world):
    division, section = LeadershipLevel.DIVISION, LeadershipLevel.SECTION
    deputy = LeadershipPosition.DEPUTY
    existing = _leadership_row(world, division, deputy)
    filled = _filled(world, existing.id)
    assert filled >= 2
    rows = count(world, LeadershipQuota, LeadershipQuota.unit_id == world.unit_id)

    raised = approved(
        world,
        "clerk",
        ItemType.LEADERSHIP_POSTS,
        p.LeadershipPosts(division, deputy, "副局长", filled + 1, "增设分管"),
    )
    row = _leadership_row(world, division, deputy)
    assert row.id == existing.id
    assert (row.approved, row.document_number) == (filled + 1, raised.document_number)

    assert _leadership_row(world, section, deputy) is None
    created = approved(
        world,
        "clerk",
        ItemType.LEADERSHIP_POSTS,
        p.LeadershipPosts(section, deputy, "副主任", 2, "新设"),
    )
    new_row = _leadership_row(world, section, deputy)
    assert (new_row.approved, new_row.title, new_row.document_number) == (
        2,
        "副主任",
        created.document_number,
    )
    assert count(world, LeadershipQuota, LeadershipQuota.unit_id == world.unit_id) == rows + 1

    below = to_decision(
        world,
        "clerk",
        ItemType.LEADERSHIP_POSTS,
        p.LeadershipPosts(division, deputy, "副局长", filled - 1, "压减"),
    )
    assert load(world, Item, below.id).flagged
    assert refused_at_decision(world, below) == ["leadership_limit"]
    with pytest.raises(EffectRefused):
        apply_directly(world, below.id)
    assert _leadership_row(world, division, deputy).approved == filled + 1


# -- units ------------------------------------------------------------------------------------


def _found(world: World, query: str) -> set[int]:
    scope = world.who("staff").scope
    return {hit.unit_id for hit in world.read(search_units, query, scope)}


def test_a_unit_is_established_under_the_applicant_and_can_be_abolished_when_empty(world):
    parent = load(world, Unit, world.unit_id)
    establish = p.UnitEstablish(
        "张家口市教育考试院",
        "市考试院",
        UnitKind.PUBLIC_INSTITUTION,
        UnitNature.PUBLIC_WELFARE_1,
        UnitRank.SECTION_FULL,
        FULL,
        "组织教育考试",
        QuotaKind.INSTITUTION,
        5,
        "职能需要",
    )
    assert _found(world, "市考试院") == set()
    item = approved(world, "staff2", ItemType.UNIT_ESTABLISH, establish)
    assert item.state is S.APPROVED and item.created_unit_id

    unit = load(world, Unit, item.created_unit_id)
    assert (unit.parent_id, unit.region_id) == (parent.id, parent.region_id)
    assert (unit.full_name, unit.short_name) == ("张家口市教育考试院", "市考试院")
    assert (unit.kind, unit.nature, unit.rank, unit.funding) == (
        UnitKind.PUBLIC_INSTITUTION,
        UnitNature.PUBLIC_WELFARE_1,
        UnitRank.SECTION_FULL,
        FULL,
    )
    assert unit.established_on == today(world) and unit.abolished_on is None
    assert is_valid_credit_code(unit.credit_code)
    assert unit.credit_code[:8] == "12130700"  # 事业单位, registered in 张家口市
    assert count(world, Unit, Unit.credit_code == unit.credit_code) == 1
    ledger = world.read(
        lambda s: s.scalars(
            select(QuotaLedgerEntry).where(QuotaLedgerEntry.unit_id == unit.id)
        ).all()
    )
    assert [(e.kind, e.funding, e.delta, e.document_number) for e in ledger] == [
        (QuotaKind.INSTITUTION, FULL, 5, item.document_number)
    ]
    assert position(world, unit.id, QuotaKind.INSTITUTION).vacant == 5
    assert unit.id in _found(world, "市考试院")
    assert unit.id in _found(world, "张家口市教育考试院")

    gone = approved(
        world, "staff", ItemType.UNIT_ABOLISH, p.UnitAbolish("职能划转"), unit_id=unit.id
    )
    unit = load(world, Unit, unit.id)
    assert unit.abolished_on == today(world)
    withdrawn = world.read(
        lambda s: s.scalars(
            select(QuotaLedgerEntry.delta).where(
                QuotaLedgerEntry.document_number == gone.document_number
            )
        ).all()
    )
    assert withdrawn == [-5]
    assert position(world, unit.id, QuotaKind.INSTITUTION).approved == 0
    assert unit.id not in _found(world, "市考试院")


def test_a_unit_adjustment_renames_it_and_the_search_follows(world):
    version = load(world, Unit, world.unit_id).version
    rename = p.UnitAdjust(
        "张家口市教育和体育局", "市教体局", UnitRank.DIVISION_FULL, "", "职能整合"
    )
    item = approved(world, "clerk", ItemType.UNIT_ADJUST, rename)
    assert item.state is S.APPROVED
    unit = load(world, Unit, world.unit_id)
    assert (unit.full_name, unit.short_name, unit.rank) == (
        "张家口市教育和体育局",
        "市教体局",
        UnitRank.DIVISION_FULL,
    )
    assert unit.functions  # "" keeps the current functions
    assert unit.version > version
    assert world.unit_id in _found(world, "市教体局")
    assert world.unit_id in _found(world, "教育和体育")


def test_a_unit_with_people_cannot_be_abolished(world):
    entries = count(world, QuotaLedgerEntry)
    item = to_decision(world, "staff2", ItemType.UNIT_ABOLISH, p.UnitAbolish("撤并"))
    assert load(world, Item, item.id).flagged
    assert refused_at_decision(world, item) == ["no_subordinates", "unit_empty"]
    with pytest.raises(EffectRefused):
        apply_directly(world, item.id)
    assert load(world, Unit, world.unit_id).abolished_on is None
    assert count(world, QuotaLedgerEntry) == entries
    assert world.unit_id in _found(world, "市教育局")


# -- 文号 -------------------------------------------------------------------------------------


def _exit_of(world: World, n: int) -> p.StaffExit:
    def find(session):
        return session.execute(
            select(Occupancy.person_id, Occupancy.id)
            .where(Occupancy.unit_id == world.unit_id, Occupancy.exit_date.is_(None))
            .order_by(Occupancy.id)
            .offset(n)
            .limit(1)
        ).one()

    row = world.read(find)
    return p.StaffExit(row.id, row.person_id, ExitReason.TRANSFER_OUT, "调出")


def test_document_numbers_run_per_office_and_year(world):
    numbers = [
        approved(world, "clerk", ItemType.STAFF_EXIT, _exit_of(world, 0)).document_number,
        approved(world, "clerk", ItemType.STAFF_EXIT, _exit_of(world, 0)).document_number,
    ]
    assert numbers == ["张编办〔2026〕1号", "张编办〔2026〕2号"]
    Clock(world.app, datetime(2026, 12, 31, 17, tzinfo=UTC))  # 1 January 2027 in Beijing
    new_year = approved(world, "clerk", ItemType.STAFF_EXIT, _exit_of(world, 0))
    assert new_year.document_number == "张编办〔2027〕1号"

    def region(code: str) -> int:
        return world.read(lambda s: s.scalar(select(Region.id).where(Region.code == code)))

    city, district = region("130700"), region("130702")
    with world.app.app_context(), db.write() as session:
        issued = [
            next_document_number(session, city, 2026),
            next_document_number(session, district, 2026),
            next_document_number(session, city, 2027),
            next_document_number(session, district, 2026),
            next_document_number(session, city, 2025),
        ]
    assert issued == [
        "张编办〔2026〕3号",
        "桥东区编办〔2026〕1号",
        "张编办〔2027〕2号",
        "桥东区编办〔2026〕2号",
        "张编办〔2025〕1号",
    ]
    # A refused approval takes no number: the counter is in the decision's transaction.
    with pytest.raises(RuntimeError), world.app.app_context(), db.write() as session:
        next_document_number(session, city, 2026)
        raise RuntimeError("the decision failed")
    with world.app.app_context(), db.write() as session:
        assert next_document_number(session, city, 2026) == "张编办〔2026〕4号"
