"""Who reviews and who decides each item type: routing rules as data, and the office's
configurable policy (⚙) for deadlines, reservations, reminders and batch approval.

- Joint review (联合审查): 组织部 for 职数 and structure (leadership posts follow it) and for
  civil-service recruitment (行政编制, 政法专项编制, 参公事业编制: 公务员 are managed by the
  组织部 since 2018); 财政局 for anything that changes funded headcount; 人社局 for the
  recruitment of 事业单位 staff and 工勤 and for the placement of people of an abolished unit.
  会签 means every department must pass; 或签 means any one opinion closes the stage.
- Decision: 分管领导, then 编办主任 where the rule says so, then the 编委 meeting for items
  that need it (the director records its outcome).
- 委托: the 编办主任's and the 编委's authority, and 数据查询签批, cannot be delegated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType

from auth.roles import Role
from pwa.models.enums import Funding, ItemType, QuotaKind, TaskStage

from .payloads import Payload, QuotaUse


class Mode(StrEnum):
    ALL = "all"  # 会签
    ANY = "any"  # 或签


STAGE_ROLE: Mapping[TaskStage, Role] = MappingProxyType(
    {
        TaskStage.INTAKE: Role.OFFICE_STAFF,
        TaskStage.JOINT_ORG: Role.ORG_REVIEWER,
        TaskStage.JOINT_FINANCE: Role.FINANCE_REVIEWER,
        TaskStage.JOINT_HR: Role.HR_REVIEWER,
        TaskStage.DECIDE_LEADER: Role.OFFICE_LEADER,
        TaskStage.DECIDE_DIRECTOR: Role.OFFICE_DIRECTOR,
        TaskStage.COMMITTEE: Role.OFFICE_DIRECTOR,
    }
)
JOINT_STAGES = (TaskStage.JOINT_ORG, TaskStage.JOINT_FINANCE, TaskStage.JOINT_HR)
DECISION_STAGES = (TaskStage.DECIDE_LEADER, TaskStage.DECIDE_DIRECTOR, TaskStage.COMMITTEE)
NON_DELEGABLE_STAGES = frozenset({TaskStage.DECIDE_DIRECTOR, TaskStage.COMMITTEE})
NON_DELEGABLE_TYPES = frozenset({ItemType.DATA_QUERY})

FUNDED = frozenset({Funding.FULL, Funding.PARTIAL})
ALL_TYPES = frozenset(ItemType)
STRUCTURAL = frozenset({ItemType.UNIT_ESTABLISH, ItemType.UNIT_ADJUST, ItemType.UNIT_ABOLISH})


@dataclass(frozen=True)
class JointRule:
    """``stage`` reviews ``types``; ``when`` names a condition on the payload ("" = always)."""

    stage: TaskStage
    types: frozenset[ItemType]
    when: str = ""


@dataclass(frozen=True)
class DecisionRule:
    stages: tuple[TaskStage, ...]
    joint_mode: Mode = Mode.ALL


RECRUITMENT = frozenset({ItemType.QUOTA_USE, ItemType.STAFF_ENTRY})
CIVIL_SERVICE_KINDS = frozenset(
    {QuotaKind.ADMINISTRATIVE, QuotaKind.POLITICAL_LEGAL, QuotaKind.CIVIL_SERVICE_INSTITUTION}
)

JOINT_RULES: tuple[JointRule, ...] = (
    JointRule(TaskStage.JOINT_ORG, frozenset({ItemType.LEADERSHIP_POSTS}) | STRUCTURAL),
    JointRule(TaskStage.JOINT_ORG, RECRUITMENT, when="civil_service"),
    JointRule(
        TaskStage.JOINT_FINANCE,
        frozenset(
            {
                ItemType.QUOTA_USE,
                ItemType.STAFF_ENTRY,
                ItemType.QUOTA_ADJUST,
                ItemType.UNIT_ESTABLISH,
                ItemType.UNIT_ABOLISH,
            }
        ),
        when="funded",
    ),
    JointRule(TaskStage.JOINT_HR, RECRUITMENT, when="not_civil_service"),
    JointRule(TaskStage.JOINT_HR, frozenset({ItemType.UNIT_ABOLISH})),
)

L, D, C = TaskStage.DECIDE_LEADER, TaskStage.DECIDE_DIRECTOR, TaskStage.COMMITTEE
DECISION_RULES: Mapping[ItemType, DecisionRule] = MappingProxyType(
    {
        ItemType.QUOTA_USE: DecisionRule((L,)),  # + 主任 above the policy's threshold
        ItemType.STAFF_ENTRY: DecisionRule((L,)),
        ItemType.STAFF_EXIT: DecisionRule((L,)),
        ItemType.UNIT_ESTABLISH: DecisionRule((L, D, C)),
        ItemType.UNIT_ADJUST: DecisionRule((L, D)),
        ItemType.UNIT_ABOLISH: DecisionRule((L, D, C)),
        ItemType.QUOTA_ADJUST: DecisionRule((L, D, C)),
        ItemType.LEADERSHIP_POSTS: DecisionRule((L, D)),
        ItemType.DATA_QUERY: DecisionRule((L,)),
    }
)
# Copied (抄送) at approval: 下编 "tells 财政 and 人社"; the others keep them informed.
COPY_ON_APPROVAL: Mapping[ItemType, tuple[Role, ...]] = MappingProxyType(
    {
        ItemType.STAFF_EXIT: (Role.FINANCE_REVIEWER, Role.HR_REVIEWER),
        ItemType.STAFF_ENTRY: (Role.FINANCE_REVIEWER, Role.HR_REVIEWER),
        ItemType.QUOTA_USE: (Role.HR_REVIEWER,),
        ItemType.UNIT_ESTABLISH: (Role.ORG_REVIEWER, Role.FINANCE_REVIEWER),
        ItemType.UNIT_ABOLISH: (Role.ORG_REVIEWER, Role.FINANCE_REVIEWER, Role.HR_REVIEWER),
        ItemType.LEADERSHIP_POSTS: (Role.ORG_REVIEWER,),
    }
)
# Item types a unit clerk may declare; the office may declare every type.
CLERK_TYPES = frozenset(
    {
        ItemType.QUOTA_USE,
        ItemType.STAFF_ENTRY,
        ItemType.STAFF_EXIT,
        ItemType.UNIT_ADJUST,
        ItemType.QUOTA_ADJUST,
        ItemType.LEADERSHIP_POSTS,
    }
)
# Approval takes effect and ends the item at once (nothing left to execute).
COMPLETE_ON_APPROVAL = frozenset({ItemType.STAFF_ENTRY, ItemType.STAFF_EXIT})


def _default_stage_days() -> Mapping[TaskStage, int]:
    return MappingProxyType(
        {
            TaskStage.INTAKE: 5,
            TaskStage.JOINT_ORG: 5,
            TaskStage.JOINT_FINANCE: 5,
            TaskStage.JOINT_HR: 5,
            TaskStage.DECIDE_LEADER: 3,
            TaskStage.DECIDE_DIRECTOR: 3,
            TaskStage.COMMITTEE: 30,
        }
    )


@dataclass(frozen=True)
class WorkflowPolicy:
    """⚙ The office's settings (``WORKFLOW_POLICY`` in the app config)."""

    reservation_months: int = 6  # 预占 valid this long after approval
    director_threshold: int = 5  # 用编 of more places also goes to the 编办主任
    stage_days: Mapping[TaskStage, int] = field(default_factory=_default_stage_days)
    reminder_interval: timedelta = timedelta(hours=4)  # 催办 at most this often per item
    # Low-risk types the office lets leaders approve in a batch with one code.
    batch_types: frozenset[ItemType] = frozenset({ItemType.STAFF_EXIT})
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachment_max_count: int = 10


def joint_stages(
    item_type: ItemType,
    payload: Payload,
    kind: QuotaKind | None = None,
    funding: Funding | None = None,
) -> tuple[TaskStage, ...]:
    """The departments that review, in a fixed order. ``kind`` and ``funding`` describe the
    places concerned when the payload does not (a 上编 takes them from its reservation)."""
    kind = getattr(payload, "kind", None) if kind is None else kind
    funding = getattr(payload, "funding", None) if funding is None else funding
    stages: list[TaskStage] = []
    for rule in JOINT_RULES:
        if (
            item_type in rule.types
            and _holds(rule.when, kind, funding)
            and rule.stage not in stages
        ):
            stages.append(rule.stage)
    return tuple(stages)


def joint_mode(item_type: ItemType) -> Mode:
    return DECISION_RULES[item_type].joint_mode


def decision_stages(
    item_type: ItemType, payload: Payload, policy: WorkflowPolicy, committee: bool
) -> tuple[TaskStage, ...]:
    """The decision stages in order; ``committee`` adds the 编委 for any type."""
    stages = list(DECISION_RULES[item_type].stages)
    if (
        isinstance(payload, QuotaUse)
        and payload.count > policy.director_threshold
        and D not in stages
    ):
        stages.append(D)
    if committee and C not in stages:
        if D not in stages:
            stages.append(D)
        stages.append(C)
    return tuple(stages)


def needs_committee(item_type: ItemType) -> bool:
    return C in DECISION_RULES[item_type].stages


def delegable(stage: TaskStage, item_type: ItemType) -> bool:
    return stage not in NON_DELEGABLE_STAGES and item_type not in NON_DELEGABLE_TYPES


def _holds(condition: str, kind: object, funding: object) -> bool:
    if not condition:
        return True
    if condition == "funded":
        return funding is None or funding in FUNDED
    if condition == "civil_service":
        return kind in CIVIL_SERVICE_KINDS
    if condition == "not_civil_service":
        return kind not in CIVIL_SERVICE_KINDS
    raise ValueError(f"unknown routing condition {condition!r}")
