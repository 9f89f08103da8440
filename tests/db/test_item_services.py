"""The item services one by one: who may do what, when, and what each leaves behind; and the
approver's inbox built on them. SQLite (the tiny demo city); the effects of approvals are
tested on both engines in test_item_effects.py."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from auth.roles import Role
from pwa.domain import quota
from pwa.domain.items import inbox, service
from pwa.domain.items import payloads as p
from pwa.domain.items.inbox import Box, Due, Filters
from pwa.models import (
    Decision,
    EntryMode,
    ExitReason,
    Funding,
    ItemEvent,
    ItemState,
    ItemType,
    Occupancy,
    QuotaKind,
    QuotaReservation,
    TaskOutcome,
    TaskStage,
    UnitKind,
    UnitNature,
    UnitRank,
    Verdict,
)
from pwa.models.item import Item
from tests.auth_helpers import Clock, make_account, unit_id_by_short_name
from tests.item_helpers import (
    World,
    add_role,
    approve_all,
    decide,
    declare,
    hash_of,
    make_world,
    open_decision_stage,
    review,
    staff_entry,
)

S = ItemState
ADMIN, FULL = QuotaKind.ADMINISTRATIVE, Funding.FULL


@pytest.fixture
def world(seeded_app) -> World:
    return make_world(seeded_app)


# -- payloads and reads -----------------------------------------------------------------------


def use(count: int = 1, kind: QuotaKind = ADMIN, funding: Funding = FULL) -> p.QuotaUse:
    return p.QuotaUse(kind, funding, count, EntryMode.CIVIL_SERVICE_EXAM, "科员", "补充人员")


def adjust(delta: int = 1) -> p.QuotaAdjust:
    return p.QuotaAdjust(ADMIN, FULL, delta, "职能增加")


def load(world: World, item_id: int) -> Item:
    def read(session):
        return session.scalars(
            select(Item).where(Item.id == item_id).options(selectinload(Item.tasks))
        ).one()

    return world.read(read)


def vacant(world: World, unit_id: int | None = None, kind=ADMIN, funding=FULL) -> int:
    def read(session):
        positions = quota.unit_positions(session, unit_id or world.unit_id, world.ctx().clock.today)
        return next((x.vacant for x in positions if (x.kind, x.funding) == (kind, funding)), 0)

    return world.read(read)


def stages_open(item: Item) -> set[TaskStage]:
    return {t.stage for t in service.open_tasks(item)}


def count_items(world: World) -> int:
    return world.read(lambda s: s.scalar(select(func.count()).select_from(Item)))


def events(world: World, item_id: int) -> list[ItemEvent]:
    return world.read(
        lambda s: list(
            s.scalars(select(ItemEvent).where(ItemEvent.item_id == item_id).order_by(ItemEvent.id))
        )
    )


def staff2_adjustment(world: World, delta: int = 1) -> Item:
    """An office-initiated 编制调整 for the clerk's unit, reviewed by staff: 待决定 (分管领导)."""
    item = declare(world, "staff2", ItemType.QUOTA_ADJUST, adjust(delta))
    item = review(world, item, "staff")
    assert item.state is S.AWAITING_DECISION
    return item


def approved_quota_use(world: World, count: int = 1, unit_id: int | None = None) -> Item:
    if unit_id is None:
        item = declare(world, "clerk", ItemType.QUOTA_USE, use(count))
        item = world.to_decision(item)
    else:
        item = declare(world, "staff2", ItemType.QUOTA_USE, use(count), unit_id=unit_id)
        item = review(world, item, "staff")
    item = approve_all(world, item)
    assert item.state is S.APPROVED
    return item


def clock(world: World) -> Clock:
    return Clock(world.app, world.app.config["FROZEN_NOW"])


def rename() -> p.UnitAdjust:
    return p.UnitAdjust("张家口市教育和体育局", "市教体局", None, "", "职能整合")


def today(world: World) -> date:
    return world.ctx().clock.today


def delegate(world: World, frm: str, to: str, days: int = 0):
    start = today(world)
    return world.run(
        service.delegate,
        world.who(frm),
        to_account_id=world.ids[to],
        starts_on=start,
        ends_on=start + timedelta(days=days),
        note="出差",
    )


def enter(world: World, reservation_id: int, sequence: int, unit_id: int) -> Item:
    payload, sealed = staff_entry(reservation_id, sequence)
    item = declare(world, "staff2", ItemType.STAFF_ENTRY, payload, sealed=sealed, unit_id=unit_id)
    return approve_all(world, review(world, item, "staff"))


def box(world: World, name: str, which: Box, **filters) -> list[int]:
    listing = world.read(inbox.listing, world.who(name), which, Filters(**filters), today(world))
    assert listing.total == len(listing.rows)
    return [row.item_id for row in listing.rows]


def todo_of_everyone(world: World) -> dict[str, list[int]]:
    names = ("clerk", "staff", "staff2", "leader", "leader2", "director", "zzb", "czj", "rsj")
    return {name: box(world, name, Box.TODO) for name in names}


def first_occupant(world: World) -> tuple[int, int]:
    row = world.read(
        lambda s: s.execute(
            select(Occupancy.person_id, Occupancy.id)
            .where(Occupancy.unit_id == world.unit_id, Occupancy.exit_date.is_(None))
            .order_by(Occupancy.id)
            .limit(1)
        ).one()
    )
    return row.person_id, row.id


# -- create -----------------------------------------------------------------------------------


def test_the_same_idempotency_key_twice_makes_one_item(world):
    before = count_items(world)
    first = declare(world, "clerk", ItemType.QUOTA_USE, use(), key="form-123")
    again = declare(world, "clerk", ItemType.QUOTA_USE, use(), key="form-123")
    assert again.id == first.id and again.version == first.version
    assert count_items(world) == before + 1
    other = declare(world, "clerk", ItemType.QUOTA_USE, use(), key="form-456")
    assert other.id != first.id
    assert count_items(world) == before + 2


def test_an_empty_idempotency_key_is_refused(world):
    with pytest.raises(service.ItemError):
        declare(world, "clerk", ItemType.QUOTA_USE, use(), key="")
    assert count_items(world) == 0


@pytest.mark.parametrize(
    ("item_type", "payload"),
    [
        (
            ItemType.UNIT_ESTABLISH,
            p.UnitEstablish(
                "张家口市教育考试院",
                "市考试院",
                UnitKind.PUBLIC_INSTITUTION,
                UnitNature.PUBLIC_WELFARE_1,
                UnitRank.SECTION_FULL,
                FULL,
                "组织考试",
                QuotaKind.INSTITUTION,
                5,
                "职能需要",
            ),
        ),
        (ItemType.UNIT_ABOLISH, p.UnitAbolish("撤并")),
        (ItemType.DATA_QUERY, p.DataQuery("核查", "全市", 100, 7, "检查")),
    ],
)
def test_a_clerk_may_not_declare_office_only_types(world, item_type, payload):
    with pytest.raises(service.NotAllowed):
        declare(world, "clerk", item_type, payload)
    assert count_items(world) == 0
    item = declare(world, "staff", item_type, payload)  # the office may
    assert item.state is S.SUBMITTED


def test_a_clerk_may_not_declare_for_another_unit(world):
    other = unit_id_by_short_name(world.app, "市委办")
    with pytest.raises(service.ItemNotFound):
        declare(world, "clerk", ItemType.QUOTA_USE, use(), unit_id=other)
    assert count_items(world) == 0


def test_a_joint_reviewer_may_not_declare(world):
    with pytest.raises(service.NotAllowed):
        declare(world, "czj", ItemType.QUOTA_USE, use())


def test_a_request_over_the_vacancy_is_kept_as_a_flagged_draft_and_cannot_be_approved(world):
    assert vacant(world) == 1
    fits = declare(world, "clerk", ItemType.QUOTA_USE, use(1), submit=False)
    too_many = declare(world, "clerk", ItemType.QUOTA_USE, use(2), submit=False)
    assert fits.state is S.DRAFT and not fits.flagged
    assert too_many.state is S.DRAFT and too_many.flagged
    item = world.run(
        service.submit, world.who("clerk"), too_many.id, expected_version=too_many.version
    )
    item = world.to_decision(item)
    assert item.state is S.AWAITING_DECISION
    with pytest.raises(service.ChecksFailed) as refused:
        decide(world, "leader", item.id)
    assert [c.code for c in refused.value.failures] == ["vacancy"]
    assert load(world, item.id).state is S.AWAITING_DECISION
    assert vacant(world) == 1


# -- update, submit, withdraw -----------------------------------------------------------------


def test_only_the_requester_may_edit(world):
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(), submit=False)
    draft = service.Draft(ItemType.QUOTA_USE, world.unit_id, use(1))
    with pytest.raises(service.ItemNotFound):  # nobody else even sees a draft
        world.run(
            service.update,
            world.who("staff"),
            item.id,
            draft,
            expected_version=item.version,
            submit=False,
        )
    clerk2, _ = make_account(world.app, "clerk2", Role.UNIT_CLERK, unit_id=world.unit_id)
    world.ids["clerk2"] = clerk2
    item = world.run(service.submit, world.who("clerk"), item.id, expected_version=item.version)
    item = world.run(
        service.return_for_correction,
        world.who("staff"),
        item.id,
        comment="请补充岗位说明",
        expected_version=item.version,
    )
    assert item.state is S.RETURNED
    for name in ("clerk2", "staff"):  # they see it now, but may not edit it
        with pytest.raises(service.NotAllowed):
            world.run(
                service.update,
                world.who(name),
                item.id,
                draft,
                expected_version=item.version,
                submit=False,
            )
    assert load(world, item.id).version == item.version


def test_edits_only_in_draft_or_returned(world):
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1), submit=True)
    draft = service.Draft(ItemType.QUOTA_USE, world.unit_id, use(1))
    with pytest.raises(service.ItemConflict):
        world.run(
            service.update,
            world.who("clerk"),
            item.id,
            draft,
            expected_version=item.version,
            submit=False,
        )


def test_an_edit_on_a_stale_version_is_refused(world):
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1), submit=False)
    clerk = world.who("clerk")
    changed = service.Draft(
        ItemType.QUOTA_USE, world.unit_id, p.QuotaUse(ADMIN, FULL, 1, EntryMode.OTHER, "A", "B")
    )
    edited = world.run(
        service.update, clerk, item.id, changed, expected_version=item.version, submit=False
    )
    assert edited.version == item.version + 1
    with pytest.raises(service.ItemConflict):
        world.run(
            service.update,
            clerk,
            item.id,
            service.Draft(ItemType.QUOTA_USE, world.unit_id, use(1)),
            expected_version=item.version,
            submit=False,
        )
    assert service.payload_of(load(world, item.id)).post == "A"


def test_an_edit_cannot_move_the_item_to_another_type_or_unit(world):
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1), submit=False)
    other = unit_id_by_short_name(world.app, "市委办")
    for draft in (
        service.Draft(ItemType.QUOTA_USE, other, use(1)),
        service.Draft(ItemType.QUOTA_ADJUST, world.unit_id, adjust(1)),
    ):
        with pytest.raises(service.ItemError):
            world.run(
                service.update,
                world.who("clerk"),
                item.id,
                draft,
                expected_version=item.version,
                submit=False,
            )
    stored = load(world, item.id)
    assert (stored.unit_id, stored.item_type, stored.version) == (
        world.unit_id,
        ItemType.QUOTA_USE,
        item.version,
    )


def test_a_tampered_reference_to_another_units_places_or_people_is_refused(world):
    """A 上编 naming another unit's reservation, a 下编 naming another unit's person."""
    other = unit_id_by_short_name(world.app, "市委办")
    reservation_id = approved_quota_use(world, count=1, unit_id=other).reservation_id
    payload, sealed = staff_entry(reservation_id, 31)
    entry = declare(world, "clerk", ItemType.STAFF_ENTRY, payload, sealed=sealed)
    assert entry.flagged
    entry = review(world, entry)
    with pytest.raises(service.ChecksFailed) as refused:
        decide(world, "leader", entry.id)
    assert [c.code for c in refused.value.failures] == ["reservation"]
    assert world.read(lambda s: s.get(QuotaReservation, reservation_id)).consumed == 0

    def occupant_elsewhere(session):
        return session.execute(
            select(Occupancy.person_id, Occupancy.id)
            .where(Occupancy.unit_id == other, Occupancy.exit_date.is_(None))
            .limit(1)
        ).one()

    person_id, occupancy_id = world.read(occupant_elsewhere)
    leave = p.StaffExit(occupancy_id, person_id, ExitReason.RESIGNATION, "辞职")
    leave_item = declare(world, "clerk", ItemType.STAFF_EXIT, leave)
    assert leave_item.flagged
    with pytest.raises(service.ChecksFailed):
        decide(world, "leader", review(world, leave_item).id)


def test_submit_opens_the_intake_step_once(world):
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1), submit=False)
    assert service.open_tasks(load(world, item.id)) == []
    item = world.run(service.submit, world.who("clerk"), item.id, expected_version=item.version)
    assert item.state is S.SUBMITTED and item.submitted_at is not None
    assert [t.stage for t in service.open_tasks(item)] == [TaskStage.INTAKE]
    with pytest.raises(service.ItemConflict):
        world.run(service.submit, world.who("clerk"), item.id, expected_version=item.version)


def test_withdraw_before_a_decision_cancels_the_open_steps(world):
    item = world.to_decision(declare(world, "clerk", ItemType.QUOTA_USE, use(1)))
    with pytest.raises(service.NotAllowed):
        world.run(
            service.withdraw,
            world.who("staff"),
            item.id,
            comment="",
            expected_version=item.version,
        )
    item = world.run(
        service.withdraw, world.who("clerk"), item.id, comment="不再需要", expected_version=None
    )
    assert item.state is S.WITHDRAWN
    assert service.open_tasks(item) == []
    assert {t.outcome for t in item.tasks if t.stage is TaskStage.DECIDE_LEADER} == {
        TaskOutcome.CANCELLED
    }


def test_no_withdrawal_after_approval(world):
    item = approved_quota_use(world)
    with pytest.raises(service.ItemConflict):
        world.run(
            service.withdraw,
            world.who("clerk"),
            item.id,
            comment="算了",
            expected_version=item.version,
        )
    assert load(world, item.id).state is S.APPROVED


# -- intake ---------------------------------------------------------------------------------


def test_staff_accept_review_and_forward(world):
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    staff = world.who("staff")
    item = world.run(service.accept, staff, item.id, expected_version=item.version)
    assert item.state is S.ACCEPTED
    item = world.run(service.begin_review, staff, item.id, expected_version=item.version)
    assert item.state is S.UNDER_REVIEW
    item = world.run(service.forward, staff, item.id, comment="齐全", expected_version=item.version)
    assert item.state is S.JOINT_REVIEW
    assert stages_open(item) == {TaskStage.JOINT_ORG, TaskStage.JOINT_FINANCE}
    intake = [t for t in item.tasks if t.stage is TaskStage.INTAKE]
    assert [(t.outcome, t.acted_by_id) for t in intake] == [(TaskOutcome.PASSED, staff.account_id)]


def test_forward_without_joint_stages_goes_straight_to_the_leader(world):
    item = review(world, declare(world, "staff2", ItemType.UNIT_ADJUST, rename()), opinions=False)
    assert item.state is S.JOINT_REVIEW  # 机构调整: 组织部
    person_id, occupancy_id = first_occupant(world)
    exit_item = declare(
        world,
        "clerk",
        ItemType.STAFF_EXIT,
        p.StaffExit(occupancy_id, person_id, ExitReason.RETIREMENT, "退休"),
    )
    exit_item = review(world, exit_item, opinions=False)
    assert exit_item.state is S.AWAITING_DECISION
    assert stages_open(exit_item) == {TaskStage.DECIDE_LEADER}


def test_intake_may_not_be_done_by_the_requester_or_by_other_roles(world):
    item = declare(world, "staff2", ItemType.QUOTA_ADJUST, adjust(1))
    with pytest.raises(service.NotAllowed):  # staff2 holds the role, but declared it
        world.run(service.accept, world.who("staff2"), item.id, expected_version=item.version)
    with pytest.raises(service.NotAllowed):  # a leader is office, but intake is staff's
        world.run(service.accept, world.who("leader"), item.id, expected_version=item.version)
    with pytest.raises(service.ItemNotFound):  # a joint reviewer does not see it yet
        world.run(service.accept, world.who("zzb"), item.id, expected_version=item.version)
    clerk_item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    with pytest.raises(service.NotAllowed):
        world.run(
            service.accept, world.who("clerk"), clerk_item.id, expected_version=clerk_item.version
        )
    assert load(world, item.id).state is S.SUBMITTED
    assert load(world, clerk_item.id).state is S.SUBMITTED


def test_the_accepting_reviewer_keeps_the_item(world):
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    item = world.run(service.accept, world.who("staff"), item.id, expected_version=item.version)
    with pytest.raises(service.NotAllowed):
        world.run(service.begin_review, world.who("staff2"), item.id, expected_version=item.version)


def test_intake_on_a_stale_version_is_refused(world):
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    staff = world.who("staff")
    accepted = world.run(service.accept, staff, item.id, expected_version=item.version)
    with pytest.raises(service.ItemConflict):
        world.run(service.begin_review, staff, item.id, expected_version=item.version)
    assert load(world, item.id).version == accepted.version


def test_forward_before_review_is_refused(world):
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    staff = world.who("staff")
    item = world.run(service.accept, staff, item.id, expected_version=item.version)
    with pytest.raises(service.ItemConflict):
        world.run(service.forward, staff, item.id, comment="", expected_version=item.version)


def test_review_before_acceptance_is_a_conflict_not_a_crash(world):
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    with pytest.raises(service.ItemConflict):
        world.run(service.begin_review, world.who("staff"), item.id, expected_version=item.version)


def test_return_for_correction_needs_a_reason_then_the_clerk_answers_it(world):
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    staff, clerk = world.who("staff"), world.who("clerk")
    item = world.run(service.accept, staff, item.id, expected_version=item.version)
    with pytest.raises(service.ItemError):
        world.run(
            service.return_for_correction,
            staff,
            item.id,
            comment="  ",
            expected_version=item.version,
        )
    item = world.run(
        service.return_for_correction,
        staff,
        item.id,
        comment="请补充岗位",
        expected_version=item.version,
    )
    assert item.state is S.RETURNED and service.open_tasks(item) == []
    fixed = service.Draft(
        ItemType.QUOTA_USE,
        world.unit_id,
        p.QuotaUse(ADMIN, FULL, 1, EntryMode.CIVIL_SERVICE_EXAM, "一级科员", "补充人员"),
    )
    item = world.run(
        service.update, clerk, item.id, fixed, expected_version=item.version, submit=True
    )
    assert item.state is S.SUBMITTED
    intake = [t for t in item.tasks if t.stage is TaskStage.INTAKE]
    assert [t.outcome for t in intake] == [TaskOutcome.RETURNED, None]
    assert service.payload_of(item).post == "一级科员"
    assert [e.action for e in events(world, item.id)][-2:] == ["edit", "resubmit"]


def test_refuse_intake_only_before_acceptance(world):
    staff = world.who("staff")
    first = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    with pytest.raises(service.ItemError):
        world.run(
            service.refuse_intake, staff, first.id, comment="", expected_version=first.version
        )
    refused = world.run(
        service.refuse_intake,
        staff,
        first.id,
        comment="不属于受理范围",
        expected_version=first.version,
    )
    assert refused.state is S.REJECTED and service.open_tasks(refused) == []
    second = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    second = world.run(service.accept, staff, second.id, expected_version=second.version)
    with pytest.raises(service.ItemConflict):
        world.run(
            service.refuse_intake,
            staff,
            second.id,
            comment="不受理",
            expected_version=second.version,
        )
    assert load(world, second.id).state is S.ACCEPTED


# -- joint review ---------------------------------------------------------------------------


def test_opinions_only_from_the_departments_asked(world):
    item = review(world, declare(world, "clerk", ItemType.QUOTA_USE, use(1)), opinions=False)
    assert stages_open(item) == {TaskStage.JOINT_ORG, TaskStage.JOINT_FINANCE}

    def opinion(name: str, version: int, agree: bool = True, comment: str = ""):
        return world.run(
            service.give_opinion,
            world.who(name),
            item.id,
            agree=agree,
            comment=comment,
            expected_version=version,
        )

    with pytest.raises(service.ItemNotFound):  # 人社局 is not asked for 行政编制
        opinion("rsj", item.version)
    with pytest.raises(service.NotAllowed):  # the office is not a department
        opinion("staff", item.version)
    with pytest.raises(service.ItemError):  # an objection needs a reason
        opinion("czj", item.version, agree=False)
    after_czj = opinion("czj", item.version)
    assert after_czj.state is S.JOINT_REVIEW
    assert stages_open(after_czj) == {TaskStage.JOINT_ORG}
    with pytest.raises(service.NotAllowed):  # 财政局 has given its opinion
        opinion("czj", after_czj.version)
    with pytest.raises(service.ItemConflict):  # stale page
        opinion("zzb", item.version)
    done = opinion("zzb", after_czj.version)
    assert done.state is S.AWAITING_DECISION
    assert stages_open(done) == {TaskStage.DECIDE_LEADER}
    with pytest.raises(service.ItemConflict):  # joint review is over
        opinion("zzb", done.version)


def test_an_objection_in_countersigning_blocks_approval_but_not_rejection(world):
    item = review(world, declare(world, "clerk", ItemType.QUOTA_USE, use(1)), opinions=False)
    item = world.run(
        service.give_opinion,
        world.who("zzb"),
        item.id,
        agree=False,
        comment="不符合招录计划",
        expected_version=item.version,
    )
    item = world.opinions(item)  # 财政局 agrees
    assert item.state is S.AWAITING_DECISION  # 会签: every department has answered
    with pytest.raises(service.ChecksFailed) as refused:
        decide(world, "leader", item.id)
    assert [c.code for c in refused.value.failures] == ["joint_review"]
    with pytest.raises(service.ItemError):  # 不同意 needs a reason
        decide(world, "leader", item.id, Verdict.REJECT)
    outcome = decide(world, "leader", item.id, Verdict.REJECT, "组织部不同意")
    assert outcome.final and outcome.item.state is S.REJECTED
    assert vacant(world) == 1


def test_an_objection_of_an_earlier_round_does_not_block_the_next(world):
    item = review(world, declare(world, "clerk", ItemType.QUOTA_USE, use(1)), opinions=False)
    item = world.run(
        service.give_opinion,
        world.who("zzb"),
        item.id,
        agree=False,
        comment="岗位不明确",
        expected_version=item.version,
    )
    item = world.opinions(item)
    item = decide(world, "leader", item.id, Verdict.RETURN, "请按组织部意见补正").item
    assert item.state is S.RETURNED
    draft = service.Draft(
        ItemType.QUOTA_USE,
        world.unit_id,
        p.QuotaUse(ADMIN, FULL, 1, EntryMode.CIVIL_SERVICE_EXAM, "一级科员（法规）", "补正"),
    )
    item = world.run(
        service.update,
        world.who("clerk"),
        item.id,
        draft,
        expected_version=item.version,
        submit=True,
    )
    item = world.to_decision(item)  # this time both departments agree
    assert item.state is S.AWAITING_DECISION
    assert decide(world, "leader", item.id).item.state is S.APPROVED


# -- decisions ------------------------------------------------------------------------------


def test_the_requester_may_not_decide_even_holding_the_leader_role(world):
    boss, _ = make_account(world.app, "boss", Role.OFFICE_STAFF)
    add_role(world.app, boss, Role.OFFICE_LEADER, granted_by_id=world.ids["director"])
    world.ids["boss"] = boss
    assert world.who("boss").roles == {Role.OFFICE_STAFF, Role.OFFICE_LEADER}
    item = declare(world, "boss", ItemType.QUOTA_ADJUST, adjust(1))
    item = review(world, item, "staff")
    assert open_decision_stage(item) is TaskStage.DECIDE_LEADER
    with pytest.raises(service.NotAllowed):
        decide(world, "boss", item.id)
    outcome = decide(world, "leader", item.id)  # another leader may
    assert outcome.next_stage is TaskStage.DECIDE_DIRECTOR


def test_a_decision_on_a_stale_version_is_refused(world):
    item = staff2_adjustment(world)
    seen = hash_of(world, item.id)
    with pytest.raises(service.ItemConflict):
        decide(world, "leader", item.id, seen="0" * 64)
    world.run(service.urge, world.who("staff2"), item.id)  # a reminder changes nothing
    assert hash_of(world, item.id) == seen
    assert decide(world, "leader", item.id, seen=seen).next_stage is TaskStage.DECIDE_DIRECTOR
    with pytest.raises(service.ItemConflict):  # the director's page was opened before
        decide(world, "director", item.id, seen=seen)


def test_multi_stage_decision_leader_director_committee(world):
    item = staff2_adjustment(world, delta=2)
    first_hash = hash_of(world, item.id)
    outcome = decide(world, "leader", item.id, seen=first_hash)
    assert not outcome.final and outcome.next_stage is TaskStage.DECIDE_DIRECTOR
    item = load(world, item.id)
    assert item.state is S.AWAITING_DECISION and item.document_number is None
    assert stages_open(item) == {TaskStage.DECIDE_DIRECTOR}
    assert hash_of(world, item.id) != first_hash
    with pytest.raises(service.NotAllowed):  # the leader cannot take the director's stage
        decide(world, "leader2", item.id)
    outcome = decide(world, "director", item.id)
    assert outcome.next_stage is TaskStage.COMMITTEE
    outcome = decide(world, "director", item.id, comment="编委会议通过")
    assert outcome.final and outcome.item.state is S.APPROVED
    assert outcome.item.document_number.startswith("张编办〔2026〕")
    decisions = world.read(
        lambda s: [
            (d.verdict, d.account_id)
            for d in s.scalars(select(Decision).where(Decision.item_id == item.id))
        ]
    )
    assert decisions == [
        (Verdict.APPROVE, world.ids["leader"]),
        (Verdict.APPROVE, world.ids["director"]),
        (Verdict.APPROVE, world.ids["director"]),
    ]
    with pytest.raises(service.ItemConflict):
        decide(world, "leader", item.id)


def test_a_decider_may_return_for_correction_with_a_reason(world):
    item = world.to_decision(declare(world, "clerk", ItemType.QUOTA_USE, use(1)))
    with pytest.raises(service.ItemError):
        decide(world, "leader", item.id, Verdict.RETURN, "")
    outcome = decide(world, "leader", item.id, Verdict.RETURN, "请补充岗位说明书")
    assert outcome.item.state is S.RETURNED and service.open_tasks(outcome.item) == []
    assert outcome.item.decided_at is None


def test_a_county_leader_cannot_see_a_city_item(world):
    cleader, _ = make_account(world.app, "cleader", Role.OFFICE_LEADER, region_code="130726")
    world.ids["cleader"] = cleader
    item = world.to_decision(declare(world, "clerk", ItemType.QUOTA_USE, use(1)))
    with pytest.raises(service.ItemNotFound):
        decide(world, "cleader", item.id)
    listing = world.read(inbox.listing, world.who("cleader"), Box.TODO, Filters(), today(world))
    assert listing.total == 0
    assert load(world, item.id).state is S.AWAITING_DECISION


# -- delegation -----------------------------------------------------------------------------


def test_a_delegate_decides_for_the_leader_and_both_are_recorded(world):
    item = world.to_decision(declare(world, "clerk", ItemType.QUOTA_USE, use(1)))
    with pytest.raises(service.NotAllowed):
        decide(world, "staff2", item.id)
    delegate(world, "leader", "staff2")
    outcome = decide(world, "staff2", item.id, comment="代为审批")
    assert outcome.item.state is S.APPROVED
    leader, staff2 = world.ids["leader"], world.ids["staff2"]
    decision = world.read(
        lambda s: s.scalars(select(Decision).where(Decision.item_id == item.id)).one()
    )
    assert (decision.account_id, decision.on_behalf_of_id) == (staff2, leader)
    approve = [e for e in events(world, item.id) if e.action == "approve"]
    assert [(e.actor_id, e.on_behalf_of_id) for e in approve] == [(staff2, leader)]
    task = next(t for t in outcome.item.tasks if t.stage is TaskStage.DECIDE_LEADER)
    assert (task.acted_by_id, task.on_behalf_of_id) == (staff2, leader)
    assert box(world, "staff2", Box.DONE) == [item.id]
    assert box(world, "leader", Box.DONE) == [item.id]  # acted in the leader's name


def test_the_directors_authority_is_not_delegable(world):
    item = staff2_adjustment(world)
    delegate(world, "director", "leader2")
    decide(world, "leader", item.id)
    with pytest.raises(service.NotAllowed):
        decide(world, "leader2", item.id)
    assert open_decision_stage(load(world, item.id)) is TaskStage.DECIDE_DIRECTOR


def test_an_expired_delegation_no_longer_works(world):
    item = world.to_decision(declare(world, "clerk", ItemType.QUOTA_USE, use(1)))
    delegate(world, "leader", "staff", days=0)
    clock(world).advance(days=1)
    with pytest.raises(service.NotAllowed):
        decide(world, "staff", item.id)


def test_a_revoked_delegation_no_longer_works(world):
    item = world.to_decision(declare(world, "clerk", ItemType.QUOTA_USE, use(1)))
    delegation = delegate(world, "leader", "staff2", days=5)
    with pytest.raises(service.ItemNotFound):  # only the delegator ends it
        world.run(service.end_delegation, world.who("staff2"), delegation.id)
    world.run(service.end_delegation, world.who("leader"), delegation.id)
    with pytest.raises(service.NotAllowed):
        decide(world, "staff2", item.id)


@pytest.mark.parametrize(
    ("frm", "to"), [("leader", "leader"), ("leader", "clerk"), ("leader", "zzb")]
)
def test_delegation_only_to_another_office_colleague(world, frm, to):
    with pytest.raises(service.ItemError):
        delegate(world, frm, to)


def test_delegation_dates_are_checked(world):
    start = today(world)
    for starts_on, ends_on in [
        (start, start - timedelta(days=1)),
        (start - timedelta(days=10), start - timedelta(days=1)),
        (start, start + timedelta(days=91)),
    ]:
        with pytest.raises(service.ItemError):
            world.run(
                service.delegate,
                world.who("leader"),
                to_account_id=world.ids["staff2"],
                starts_on=starts_on,
                ends_on=ends_on,
                note="",
            )


def test_a_clerk_may_not_delegate(world):
    with pytest.raises(service.NotAllowed):
        delegate(world, "clerk", "staff")


# -- transfer and reminders -----------------------------------------------------------------


def test_transfer_hands_the_step_to_a_colleague_only(world):
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    staff = world.who("staff")
    item = world.run(service.accept, staff, item.id, expected_version=item.version)

    def colleagues(session):
        stored = session.get(Item, item.id)
        return [a.id for a in service.colleagues_for(session, staff, stored, stored.tasks[0])]

    assert world.read(colleagues) == [world.ids["staff2"]]
    item = world.run(
        service.transfer, staff, item.id, to_account_id=world.ids["staff2"], comment="请假"
    )
    task = service.open_tasks(item)[0]
    assert task.assignee_id == world.ids["staff2"]
    assert (box(world, "staff", Box.TODO), box(world, "staff2", Box.TODO)) == ([], [item.id])
    with pytest.raises(service.NotAllowed):
        world.run(service.begin_review, staff, item.id, expected_version=item.version)
    item = world.run(
        service.begin_review, world.who("staff2"), item.id, expected_version=item.version
    )
    assert item.state is S.UNDER_REVIEW
    transfer = [e for e in events(world, item.id) if e.action == "transfer"]
    assert len(transfer) == 1 and transfer[0].actor_id == staff.account_id


@pytest.mark.parametrize("to", ["leader", "clerk", "staff", "zzb"])
def test_transfer_only_to_someone_holding_the_role(world, to):
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    item = world.run(service.accept, world.who("staff"), item.id, expected_version=item.version)
    with pytest.raises(service.ItemError):
        world.run(
            service.transfer, world.who("staff"), item.id, to_account_id=world.ids[to], comment=""
        )
    assert service.open_tasks(load(world, item.id))[0].assignee_id == world.ids["staff"]


def test_a_decision_step_transferred_to_another_leader(world):
    item = world.to_decision(declare(world, "clerk", ItemType.QUOTA_USE, use(1)))
    world.run(
        service.transfer,
        world.who("leader"),
        item.id,
        to_account_id=world.ids["leader2"],
        comment="",
    )
    with pytest.raises(service.NotAllowed):
        decide(world, "leader", item.id)
    assert decide(world, "leader2", item.id).item.state is S.APPROVED


def test_urging_is_rate_limited(world):
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    assert world.run(service.urge, world.who("clerk"), item.id) == 1
    with pytest.raises(service.ItemError) as again:
        world.run(service.urge, world.who("staff2"), item.id)
    assert type(again.value) is service.ItemError
    interval = world.policy.reminder_interval
    clock(world).advance(seconds=interval.total_seconds() - 60)
    with pytest.raises(service.ItemError):
        world.run(service.urge, world.who("clerk"), item.id)
    clock(world).advance(seconds=61)
    assert world.run(service.urge, world.who("clerk"), item.id) == 1
    task = service.open_tasks(load(world, item.id))[0]
    assert task.reminders == 2
    assert [e.action for e in events(world, item.id)].count("urge") == 2


def test_only_the_requester_or_the_office_may_urge(world):
    item = review(world, declare(world, "clerk", ItemType.QUOTA_USE, use(1)), opinions=False)
    with pytest.raises(service.NotAllowed):
        world.run(service.urge, world.who("zzb"), item.id)
    assert world.run(service.urge, world.who("staff"), item.id) == 2  # both departments
    closed = approve_all(world, world.opinions(item))
    with pytest.raises(service.ItemConflict):  # nothing left to urge
        world.run(service.urge, world.who("clerk"), closed.id)


# -- revoke, complete, expire -----------------------------------------------------------------


def test_revoking_an_approval_frees_its_places(world):
    assert vacant(world) == 1
    item = approved_quota_use(world)
    assert vacant(world) == 0
    seen = hash_of(world, item.id)

    def revoke(name: str, comment: str = "单位撤回计划", hash_seen: str = seen):
        return world.run(
            service.revoke, world.who(name), item.id, comment=comment, version_hash_seen=hash_seen
        )

    for name in ("staff", "clerk"):
        with pytest.raises(service.NotAllowed):
            revoke(name)
    with pytest.raises(service.ItemError):
        revoke("leader", comment="")
    with pytest.raises(service.ItemConflict):
        revoke("leader", hash_seen="f" * 64)
    assert vacant(world) == 0
    item = revoke("leader2")
    assert item.state is S.REVOKED
    assert vacant(world) == 1
    reservation = world.read(lambda s: s.get(QuotaReservation, item.reservation_id))
    assert reservation.cancelled_on == today(world)
    with pytest.raises(service.ItemConflict):
        revoke("leader", hash_seen=hash_of(world, item.id))


def test_only_quota_use_can_be_revoked(world):
    item = approve_all(world, staff2_adjustment(world))
    with pytest.raises(service.ItemConflict):
        world.run(
            service.revoke,
            world.who("leader"),
            item.id,
            comment="撤销",
            version_hash_seen=hash_of(world, item.id),
        )


def test_completing_a_quota_use_releases_the_unused_places(world):
    unit = unit_id_by_short_name(world.app, "市委办")
    start = vacant(world, unit)
    assert start >= 2
    item = approved_quota_use(world, count=2, unit_id=unit)
    assert vacant(world, unit) == start - 2
    assert enter(world, item.reservation_id, 11, unit).state is S.COMPLETED
    item = load(world, item.id)
    assert item.state is S.EXECUTING
    with pytest.raises(service.NotAllowed):
        world.run(
            service.complete,
            world.who("zzb"),
            item.id,
            comment="",
            expected_version=item.version,
        )
    with pytest.raises(service.ItemConflict):
        world.run(
            service.complete,
            world.who("staff"),
            item.id,
            comment="",
            expected_version=item.version - 1,
        )
    with pytest.raises(service.NotAllowed):  # places still reserved: a leader's call
        world.run(
            service.complete,
            world.who("staff"),
            item.id,
            comment="余额不再使用",
            expected_version=item.version,
        )
    item = world.run(
        service.complete,
        world.who("leader2"),
        item.id,
        comment="余额不再使用",
        expected_version=item.version,
    )
    assert item.state is S.COMPLETED
    assert vacant(world, unit) == start - 1  # one person entered, one place back


def test_lapsed_reservations_expire_and_used_ones_are_left_alone(world):
    unit = unit_id_by_short_name(world.app, "市委办")
    start = vacant(world, unit)
    unused = approved_quota_use(world, count=1, unit_id=unit)
    used = approved_quota_use(world, count=1, unit_id=unit)
    enter(world, used.reservation_id, 12, unit)
    assert load(world, used.id).state is S.COMPLETED
    assert vacant(world, unit) == start - 2
    valid_until = world.read(lambda s: s.get(QuotaReservation, unused.reservation_id)).valid_until
    assert world.run(service.expire_reservations) == 0
    days = (valid_until - today(world)).days
    clock(world).advance(days=days)  # the last valid day
    assert world.run(service.expire_reservations) == 0
    clock(world).advance(days=1)
    assert world.run(service.expire_reservations) == 1
    assert load(world, unused.id).state is S.EXPIRED
    assert load(world, used.id).state is S.COMPLETED
    assert vacant(world, unit) == start - 1
    assert world.run(service.expire_reservations) == 0


# -- the version hash -------------------------------------------------------------------------


def test_the_version_hash_changes_with_every_change(world):
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1), submit=False)
    seen = [hash_of(world, item.id)]
    clerk, staff = world.who("clerk"), world.who("staff")
    item = world.run(
        service.update,
        clerk,
        item.id,
        service.Draft(ItemType.QUOTA_USE, world.unit_id, use(1), committee=True),
        expected_version=item.version,
        submit=False,
    )
    seen.append(hash_of(world, item.id))
    item = world.run(service.submit, clerk, item.id, expected_version=item.version)
    seen.append(hash_of(world, item.id))
    for step in (service.accept, service.begin_review):
        item = world.run(step, staff, item.id, expected_version=item.version)
        seen.append(hash_of(world, item.id))
    item = world.run(service.forward, staff, item.id, comment="", expected_version=item.version)
    seen.append(hash_of(world, item.id))
    for name in ("czj", "zzb"):
        item = world.run(
            service.give_opinion,
            world.who(name),
            item.id,
            agree=True,
            comment="",
            expected_version=item.version,
        )
        seen.append(hash_of(world, item.id))
    for name in ("leader", "director", "director"):  # committee=True: three stages
        item = decide(world, name, item.id).item
        seen.append(hash_of(world, item.id))
    assert item.state is S.APPROVED
    assert len(set(seen)) == len(seen) == 11


def test_the_version_hash_covers_identity_content_state_and_flags():
    base = dict(
        id=1,
        item_type=ItemType.QUOTA_USE,
        unit_id=6,
        state=S.AWAITING_DECISION,
        version=5,
        payload=p.dump(use(1)),
        sealed_payload=None,
        committee=False,
    )
    reference = service.version_hash(Item(**base))
    assert service.version_hash(Item(**base)) == reference
    for field, value in [
        ("id", 2),
        ("item_type", ItemType.QUOTA_ADJUST),
        ("unit_id", 7),
        ("state", S.APPROVED),
        ("version", 6),
        ("payload", p.dump(use(2))),
        ("sealed_payload", b"x"),
        ("committee", True),
    ]:
        assert service.version_hash(Item(**{**base, field: value})) != reference, field


# -- the inbox ------------------------------------------------------------------------------


def test_todo_shows_exactly_what_each_person_may_act_on(world):
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    i = item.id
    nobody = dict.fromkeys(
        ("clerk", "staff", "staff2", "leader", "leader2", "director", "zzb", "czj", "rsj"), []
    )
    assert todo_of_everyone(world) == {**nobody, "staff": [i], "staff2": [i]}
    item = world.run(service.accept, world.who("staff"), i, expected_version=item.version)
    assert todo_of_everyone(world) == {**nobody, "staff": [i]}
    item = world.run(service.begin_review, world.who("staff"), i, expected_version=item.version)
    item = world.run(
        service.forward, world.who("staff"), i, comment="", expected_version=item.version
    )
    assert todo_of_everyone(world) == {**nobody, "zzb": [i], "czj": [i]}
    item = world.run(
        service.give_opinion,
        world.who("czj"),
        i,
        agree=True,
        comment="",
        expected_version=item.version,
    )
    assert todo_of_everyone(world) == {**nobody, "zzb": [i]}
    item = world.opinions(item)
    assert todo_of_everyone(world) == {**nobody, "leader": [i], "leader2": [i]}
    decide(world, "leader", i)
    assert todo_of_everyone(world) == nobody


def test_the_requester_never_finds_their_own_item_in_todo(world):
    item = declare(world, "staff2", ItemType.QUOTA_ADJUST, adjust(1))
    assert box(world, "staff", Box.TODO) == [item.id]
    assert box(world, "staff2", Box.TODO) == []
    assert box(world, "staff2", Box.MINE) == [item.id]


def test_done_lists_what_each_person_acted_on(world):
    item = approved_quota_use(world)
    for name in ("staff", "zzb", "czj", "leader"):
        assert box(world, name, Box.DONE) == [item.id], name
    for name in ("clerk", "staff2", "leader2", "director", "rsj"):
        assert box(world, name, Box.DONE) == [], name


def test_mine_lists_the_requesters_items_drafts_included(world):
    draft = declare(world, "clerk", ItemType.QUOTA_USE, use(1), submit=False)
    sent = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    assert sorted(box(world, "clerk", Box.MINE)) == sorted([draft.id, sent.id])
    assert box(world, "staff", Box.MINE) == []
    assert box(world, "staff", Box.TODO) == [sent.id]  # another's draft is nobody's business


def test_an_approved_staff_exit_is_copied_to_finance_and_hr(world):
    person_id, occupancy_id = first_occupant(world)
    item = declare(
        world,
        "clerk",
        ItemType.STAFF_EXIT,
        p.StaffExit(occupancy_id, person_id, ExitReason.RETIREMENT, "到龄退休"),
    )
    item = approve_all(world, review(world, item))
    assert item.state is S.COMPLETED
    assert box(world, "czj", Box.COPIED) == [item.id]
    assert box(world, "rsj", Box.COPIED) == [item.id]
    for name in ("zzb", "clerk", "staff"):
        assert box(world, name, Box.COPIED) == [], name


def test_inbox_filters_by_type_unit_and_deadline(world):
    other_unit = unit_id_by_short_name(world.app, "市委办")
    mine = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    theirs = declare(world, "staff2", ItemType.QUOTA_ADJUST, adjust(1), unit_id=other_unit)
    assert sorted(box(world, "staff", Box.TODO)) == sorted([mine.id, theirs.id])
    assert box(world, "staff", Box.TODO, item_type=ItemType.QUOTA_USE) == [mine.id]
    assert box(world, "staff", Box.TODO, item_type=ItemType.QUOTA_ADJUST) == [theirs.id]
    assert box(world, "staff", Box.TODO, item_type=ItemType.STAFF_EXIT) == []
    assert box(world, "staff", Box.TODO, unit_id=other_unit) == [theirs.id]
    assert box(world, "staff", Box.TODO, unit_id=world.unit_id) == [mine.id]
    assert box(world, "clerk", Box.MINE, unit_id=other_unit) == []
    assert box(world, "staff", Box.TODO, due=Due.OVERDUE) == []
    badges = world.read(inbox.badges, world.who("staff"), today(world))
    assert (badges.todo, badges.overdue, badges.agenda) == (2, 0, 0)

    days = world.policy.stage_days[TaskStage.INTAKE]
    clock(world).advance(days=days)  # the last day: not yet overdue
    assert box(world, "staff", Box.TODO, due=Due.OVERDUE) == []
    assert sorted(box(world, "staff", Box.TODO, due=Due.SOON)) == sorted([mine.id, theirs.id])
    clock(world).advance(days=1)
    assert sorted(box(world, "staff", Box.TODO, due=Due.OVERDUE)) == sorted([mine.id, theirs.id])
    badges = world.read(inbox.badges, world.who("staff"), today(world))
    assert (badges.todo, badges.overdue) == (2, 2)
    listing = world.read(inbox.listing, world.who("staff"), Box.TODO, Filters(), today(world))
    assert all(row.overdue(today(world)) for row in listing.rows)


def test_the_committee_agenda_is_for_the_office(world):
    item = staff2_adjustment(world)
    decide(world, "leader", item.id)
    for name in ("staff", "leader", "director"):
        assert box(world, name, Box.AGENDA) == [], name
    decide(world, "director", item.id)
    for name in ("staff", "staff2", "leader", "director"):
        assert box(world, name, Box.AGENDA) == [item.id], name
    for name in ("zzb", "clerk"):
        assert box(world, name, Box.AGENDA) == [], name
    assert world.read(inbox.badges, world.who("leader"), today(world)).agenda == 1
    assert box(world, "director", Box.TODO) == [item.id]
    decide(world, "director", item.id)
    assert box(world, "director", Box.AGENDA) == []


def test_the_items_deadline_is_the_open_steps(world):
    item = review(world, declare(world, "clerk", ItemType.QUOTA_USE, use(1)), opinions=False)
    joint_due = item.due_on
    clock(world).advance(days=4)  # the departments answer on the fourth day
    item = world.opinions(item)
    step = service.open_tasks(item)[0]
    assert step.stage is TaskStage.DECIDE_LEADER and step.due_on > joint_due
    clock(world).advance(days=2)  # past the joint-review deadline, within the leader's
    assert box(world, "leader", Box.TODO, due=Due.OVERDUE) == []
    assert box(world, "clerk", Box.MINE, due=Due.OVERDUE) == []
    assert load(world, item.id).due_on == step.due_on


def test_a_delegates_todo_holds_the_delegators_delegable_steps(world):
    quota_use = world.to_decision(declare(world, "clerk", ItemType.QUOTA_USE, use(1)))
    adjustment = staff2_adjustment(world)
    decide(world, "leader", adjustment.id)  # now with the director
    assert box(world, "staff", Box.TODO) == []
    delegate(world, "leader", "staff")
    delegate(world, "director", "staff")
    assert box(world, "staff", Box.TODO) == [quota_use.id]  # not the director's step
    badges = world.read(inbox.badges, world.who("staff"), today(world))
    assert badges.todo == 1
    clock(world).advance(days=1)
    assert box(world, "staff", Box.TODO) == []


def test_a_delegates_todo_respects_the_delegators_jurisdiction(world):
    cleader, _ = make_account(world.app, "cleader", Role.OFFICE_LEADER, region_code="130726")
    world.ids["cleader"] = cleader
    item = world.to_decision(declare(world, "clerk", ItemType.QUOTA_USE, use(1)))
    delegate(world, "cleader", "staff2")  # a county leader's authority covers no city unit
    with pytest.raises(service.NotAllowed):
        decide(world, "staff2", item.id)
    assert box(world, "staff2", Box.TODO) == []
