"""Routing rules as data: which departments review each item type, who decides, what may be
delegated. Pure: no database."""

from __future__ import annotations

from datetime import date

import pytest

from auth.roles import Role
from pwa.domain.items import payloads as p
from pwa.domain.items.routing import (
    CIVIL_SERVICE_KINDS,
    DECISION_RULES,
    DECISION_STAGES,
    JOINT_STAGES,
    STAGE_ROLE,
    Mode,
    WorkflowPolicy,
    decision_stages,
    delegable,
    joint_mode,
    joint_stages,
    needs_committee,
)
from pwa.models.enums import (
    Education,
    EntryMode,
    ExitReason,
    Funding,
    Gender,
    ItemType,
    LeadershipLevel,
    LeadershipPosition,
    QuotaKind,
    TaskStage,
    UnitKind,
    UnitNature,
    UnitRank,
)

T, K, F = ItemType, QuotaKind, Funding
ORG, FIN, HR = TaskStage.JOINT_ORG, TaskStage.JOINT_FINANCE, TaskStage.JOINT_HR
L, D, C = TaskStage.DECIDE_LEADER, TaskStage.DECIDE_DIRECTOR, TaskStage.COMMITTEE
POLICY = WorkflowPolicy()


def quota_use(kind=K.ADMINISTRATIVE, funding=F.FULL, count=1) -> p.QuotaUse:
    return p.QuotaUse(kind, funding, count, EntryMode.OPEN_RECRUITMENT, "科员", "补员")


def staff_entry() -> p.StaffEntry:
    return p.StaffEntry(
        1,
        "张三",
        Gender.MALE,
        date(1998, 5, 1),
        "130702********1234",
        Education.BACHELOR,
        "科员",
        EntryMode.CIVIL_SERVICE_EXAM,
        "招录",
    )


def establish(funding=F.FULL) -> p.UnitEstablish:
    return p.UnitEstablish(
        "张家口市教育考试院",
        "市考试院",
        UnitKind.PUBLIC_INSTITUTION,
        UnitNature.PUBLIC_WELFARE_1,
        UnitRank.SECTION_FULL,
        funding,
        "组织考试",
        K.INSTITUTION,
        5,
        "职能需要",
    )


def quota_adjust(kind=K.ADMINISTRATIVE, funding=F.FULL, delta=2) -> p.QuotaAdjust:
    return p.QuotaAdjust(kind, funding, delta, "职能增加")


OTHER_PAYLOADS: dict[ItemType, p.Payload] = {
    T.STAFF_EXIT: p.StaffExit(1, 1, ExitReason.RETIREMENT, "到龄退休"),
    T.UNIT_ADJUST: p.UnitAdjust("", "新简称", None, "", "更名"),
    T.UNIT_ABOLISH: p.UnitAbolish("职能划转"),
    T.LEADERSHIP_POSTS: p.LeadershipPosts(
        LeadershipLevel.DIVISION, LeadershipPosition.DEPUTY, "副局长", 3, "核定"
    ),
    T.DATA_QUERY: p.DataQuery("核查", "全市在编人员", 5000, 7, "专项检查"),
}


# -- joint review ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(CIVIL_SERVICE_KINDS))
@pytest.mark.parametrize("item_type", [T.QUOTA_USE, T.STAFF_ENTRY])
def test_civil_service_recruitment_goes_to_the_organisation_department(item_type, kind):
    payload = quota_use(kind) if item_type is T.QUOTA_USE else staff_entry()
    stages = joint_stages(item_type, payload, kind, F.FULL)
    assert stages == (ORG, FIN)  # 公务员 are the 组织部's: never the 人社局


@pytest.mark.parametrize("kind", [K.INSTITUTION, K.LOGISTICS])
@pytest.mark.parametrize("item_type", [T.QUOTA_USE, T.STAFF_ENTRY])
def test_institution_and_logistics_recruitment_goes_to_the_hr_bureau(item_type, kind):
    payload = quota_use(kind) if item_type is T.QUOTA_USE else staff_entry()
    assert joint_stages(item_type, payload, kind, F.FULL) == (FIN, HR)


@pytest.mark.parametrize(
    ("funding", "finance"), [(F.FULL, True), (F.PARTIAL, True), (F.SELF_FINANCED, False)]
)
def test_finance_reviews_quota_use_only_when_funded(funding, finance):
    stages = joint_stages(T.QUOTA_USE, quota_use(K.INSTITUTION, funding))
    assert (FIN in stages) is finance
    assert HR in stages and ORG not in stages


def test_quota_use_takes_kind_and_funding_from_its_payload():
    assert joint_stages(T.QUOTA_USE, quota_use(K.POLITICAL_LEGAL, F.SELF_FINANCED)) == (ORG,)
    assert joint_stages(T.QUOTA_USE, quota_use(K.LOGISTICS, F.SELF_FINANCED)) == (HR,)


def test_staff_entry_takes_kind_and_funding_from_its_reservation():
    """A 上编 names no kind: the reservation's kind and funding decide the departments."""
    entry = staff_entry()
    assert joint_stages(T.STAFF_ENTRY, entry, K.ADMINISTRATIVE, F.SELF_FINANCED) == (ORG,)
    assert joint_stages(T.STAFF_ENTRY, entry, K.INSTITUTION, F.PARTIAL) == (FIN, HR)


def test_explicit_kind_and_funding_override_the_payload():
    payload = quota_use(K.ADMINISTRATIVE, F.FULL)
    assert joint_stages(T.QUOTA_USE, payload, K.INSTITUTION, F.SELF_FINANCED) == (HR,)


@pytest.mark.parametrize(
    ("funding", "expected"),
    [(F.FULL, (ORG, FIN)), (F.PARTIAL, (ORG, FIN)), (F.SELF_FINANCED, (ORG,))],
)
def test_unit_establishment_org_always_finance_when_funded(funding, expected):
    assert joint_stages(T.UNIT_ESTABLISH, establish(funding)) == expected


def test_unit_adjustment_goes_to_the_organisation_department_only():
    assert joint_stages(T.UNIT_ADJUST, OTHER_PAYLOADS[T.UNIT_ADJUST]) == (ORG,)


def test_unit_abolition_goes_to_all_three_departments():
    """The people of an abolished unit must be placed (人社) and its funding ends (财政)."""
    assert joint_stages(T.UNIT_ABOLISH, OTHER_PAYLOADS[T.UNIT_ABOLISH]) == (ORG, FIN, HR)


def test_leadership_posts_go_to_the_organisation_department_only():
    assert joint_stages(T.LEADERSHIP_POSTS, OTHER_PAYLOADS[T.LEADERSHIP_POSTS]) == (ORG,)


@pytest.mark.parametrize(
    ("funding", "expected"), [(F.FULL, (FIN,)), (F.PARTIAL, (FIN,)), (F.SELF_FINANCED, ())]
)
@pytest.mark.parametrize("kind", [K.ADMINISTRATIVE, K.INSTITUTION])
def test_quota_adjustment_goes_to_finance_only_when_funded(kind, funding, expected):
    assert joint_stages(T.QUOTA_ADJUST, quota_adjust(kind, funding)) == expected


@pytest.mark.parametrize("item_type", [T.STAFF_EXIT, T.DATA_QUERY])
def test_exits_and_data_queries_have_no_joint_review(item_type):
    assert joint_stages(item_type, OTHER_PAYLOADS[item_type]) == ()


def test_joint_stages_are_in_a_fixed_order_without_duplicates():
    for item_type in ItemType:
        payload = OTHER_PAYLOADS.get(item_type) or quota_use()
        stages = joint_stages(item_type, payload)
        assert len(set(stages)) == len(stages)
        assert list(stages) == sorted(stages, key=JOINT_STAGES.index)


@pytest.mark.parametrize(("item_type", "mode"), [(t, Mode.ALL) for t in ItemType])
def test_departments_all_must_agree_by_default(item_type, mode):
    assert joint_mode(item_type) is mode


def test_each_stage_is_held_by_its_role():
    assert STAGE_ROLE[ORG] is Role.ORG_REVIEWER
    assert STAGE_ROLE[FIN] is Role.FINANCE_REVIEWER
    assert STAGE_ROLE[HR] is Role.HR_REVIEWER
    assert STAGE_ROLE[TaskStage.INTAKE] is Role.OFFICE_STAFF
    assert STAGE_ROLE[L] is Role.OFFICE_LEADER
    assert STAGE_ROLE[D] is Role.OFFICE_DIRECTOR
    assert STAGE_ROLE[C] is Role.OFFICE_DIRECTOR  # the director records the 编委 outcome


# -- decision -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item_type", "stages"),
    [
        (T.STAFF_ENTRY, (L,)),
        (T.STAFF_EXIT, (L,)),
        (T.DATA_QUERY, (L,)),
        (T.UNIT_ADJUST, (L, D)),
        (T.LEADERSHIP_POSTS, (L, D)),
        (T.UNIT_ESTABLISH, (L, D, C)),
        (T.UNIT_ABOLISH, (L, D, C)),
        (T.QUOTA_ADJUST, (L, D, C)),
    ],
)
def test_decision_stages_per_type(item_type, stages):
    payload = {
        T.STAFF_ENTRY: staff_entry(),
        T.UNIT_ESTABLISH: establish(),
        T.QUOTA_ADJUST: quota_adjust(),
    }.get(item_type) or OTHER_PAYLOADS[item_type]
    assert decision_stages(item_type, payload, POLICY, committee=False) == stages
    assert needs_committee(item_type) is (C in stages)


def test_quota_use_up_to_the_threshold_is_decided_by_the_leader_alone():
    threshold = POLICY.director_threshold
    assert decision_stages(T.QUOTA_USE, quota_use(count=1), POLICY, False) == (L,)
    assert decision_stages(T.QUOTA_USE, quota_use(count=threshold), POLICY, False) == (L,)


def test_quota_use_above_the_threshold_also_goes_to_the_director():
    count = POLICY.director_threshold + 1
    assert decision_stages(T.QUOTA_USE, quota_use(count=count), POLICY, False) == (L, D)


def test_the_threshold_is_the_offices_setting():
    strict = WorkflowPolicy(director_threshold=1)
    assert decision_stages(T.QUOTA_USE, quota_use(count=2), strict, False) == (L, D)
    assert decision_stages(T.QUOTA_USE, quota_use(count=1), strict, False) == (L,)
    lenient = WorkflowPolicy(director_threshold=50)
    assert decision_stages(T.QUOTA_USE, quota_use(count=20), lenient, False) == (L,)


@pytest.mark.parametrize("count", [1, POLICY.director_threshold + 1])
def test_committee_flag_adds_director_and_committee_once(count):
    stages = decision_stages(T.QUOTA_USE, quota_use(count=count), POLICY, committee=True)
    assert stages == (L, D, C)


@pytest.mark.parametrize("item_type", list(OTHER_PAYLOADS))
def test_committee_flag_sends_any_type_to_the_meeting(item_type):
    stages = decision_stages(item_type, OTHER_PAYLOADS[item_type], POLICY, committee=True)
    assert stages[0] is L and stages[-2:] == (D, C)
    assert len(set(stages)) == len(stages)


def test_committee_flag_does_not_duplicate_a_committee_stage():
    assert decision_stages(T.QUOTA_ADJUST, quota_adjust(), POLICY, committee=True) == (L, D, C)


def test_every_type_has_a_rule_starting_with_the_leader():
    assert set(DECISION_RULES) == set(ItemType)
    for rule in DECISION_RULES.values():
        assert rule.stages[0] is L
        assert set(rule.stages) <= set(DECISION_STAGES)


# -- delegation -----------------------------------------------------------------------------


@pytest.mark.parametrize("stage", list(TaskStage))
@pytest.mark.parametrize("item_type", list(ItemType))
def test_delegable(stage, item_type):
    expected = (
        stage not in (TaskStage.DECIDE_DIRECTOR, TaskStage.COMMITTEE)
        and item_type is not T.DATA_QUERY
    )
    assert delegable(stage, item_type) is expected


def test_the_leaders_authority_may_be_delegated_the_directors_may_not():
    assert delegable(L, T.QUOTA_USE)
    assert delegable(TaskStage.INTAKE, T.UNIT_ESTABLISH)
    assert not delegable(D, T.QUOTA_USE)
    assert not delegable(C, T.UNIT_ESTABLISH)
    assert not delegable(L, T.DATA_QUERY)  # 数据查询签批 is personal
