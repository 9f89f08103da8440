"""The life of an item: one state machine for every item type, pure and total.

::

    草稿 → 已提交 → 已受理 → 审核中 → 联审中 → 待决定 → 已批准 → 执行中 → 已办结
    branches: 退回补正, 撤回, 不予批准, 已撤销, 已过期

``TRANSITIONS`` is the whole machine: a (state, action) pair that is not in it cannot happen,
and ``advance`` is the only way the item services change a state. Who may take an action is
``ACTION_PARTY``; whether *this* person may is decided by the item services (requester,
jurisdiction, role, delegation).
"""

from __future__ import annotations

from enum import StrEnum

from pwa.models.enums import ItemState


class Action(StrEnum):
    SUBMIT = "submit"  # 提交 (applicant)
    ACCEPT = "accept"  # 受理 (office)
    BEGIN_REVIEW = "begin_review"  # 开始审核 (office)
    SEND_TO_JOINT_REVIEW = "send_to_joint_review"  # 审核通过，送联审 (office)
    SEND_TO_DECISION = "send_to_decision"  # 审核通过，送领导 (office)
    FINISH_JOINT_REVIEW = "finish_joint_review"  # the last needed opinion arrived (system)
    APPROVE = "approve"  # 同意 at the final stage (decider)
    REJECT = "reject"  # 不予批准 / 不予受理 (decider, or office at intake)
    RETURN = "return"  # 退回补正 (office or decider)
    RESUBMIT = "resubmit"  # 补正后重新提交 (applicant)
    WITHDRAW = "withdraw"  # 撤回 (applicant, before a decision)
    EXECUTE = "execute"  # 开始执行 (office, or the first 上编 against a reservation)
    COMPLETE = "complete"  # 办结
    REVOKE = "revoke"  # 撤销 an approval (decider; frees a reservation)
    EXPIRE = "expire"  # the reservation lapsed (system)


class Party(StrEnum):
    APPLICANT = "applicant"
    OFFICE = "office"
    DECIDER = "decider"
    SYSTEM = "system"


S, A = ItemState, Action

TRANSITIONS: dict[tuple[ItemState, Action], ItemState] = {
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.DRAFT, A.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, A.ACCEPT): S.ACCEPTED,
    (S.SUBMITTED, A.RETURN): S.RETURNED,
    (S.SUBMITTED, A.REJECT): S.REJECTED,
    (S.SUBMITTED, A.WITHDRAW): S.WITHDRAWN,
    (S.ACCEPTED, A.BEGIN_REVIEW): S.UNDER_REVIEW,
    (S.ACCEPTED, A.RETURN): S.RETURNED,
    (S.ACCEPTED, A.WITHDRAW): S.WITHDRAWN,
    (S.UNDER_REVIEW, A.SEND_TO_JOINT_REVIEW): S.JOINT_REVIEW,
    (S.UNDER_REVIEW, A.SEND_TO_DECISION): S.AWAITING_DECISION,
    (S.UNDER_REVIEW, A.RETURN): S.RETURNED,
    (S.UNDER_REVIEW, A.WITHDRAW): S.WITHDRAWN,
    (S.JOINT_REVIEW, A.FINISH_JOINT_REVIEW): S.AWAITING_DECISION,
    (S.JOINT_REVIEW, A.RETURN): S.RETURNED,
    (S.JOINT_REVIEW, A.WITHDRAW): S.WITHDRAWN,
    (S.AWAITING_DECISION, A.APPROVE): S.APPROVED,
    (S.AWAITING_DECISION, A.REJECT): S.REJECTED,
    (S.AWAITING_DECISION, A.RETURN): S.RETURNED,
    (S.AWAITING_DECISION, A.WITHDRAW): S.WITHDRAWN,
    (S.APPROVED, A.EXECUTE): S.EXECUTING,
    (S.APPROVED, A.COMPLETE): S.COMPLETED,
    (S.APPROVED, A.REVOKE): S.REVOKED,
    (S.APPROVED, A.EXPIRE): S.EXPIRED,
    (S.EXECUTING, A.COMPLETE): S.COMPLETED,
    (S.EXECUTING, A.REVOKE): S.REVOKED,
    (S.EXECUTING, A.EXPIRE): S.EXPIRED,
    (S.RETURNED, A.RESUBMIT): S.SUBMITTED,
    (S.RETURNED, A.WITHDRAW): S.WITHDRAWN,
}

_APPLICANT, _OFFICE = frozenset({Party.APPLICANT}), frozenset({Party.OFFICE})
_DECIDER, _SYSTEM = frozenset({Party.DECIDER}), frozenset({Party.SYSTEM})
# Who may take each action: 退回补正 and 不予… come from the office at intake and from the
# decider at the decision stage.
ACTION_PARTY: dict[Action, frozenset[Party]] = {
    A.SUBMIT: _APPLICANT,
    A.RESUBMIT: _APPLICANT,
    A.WITHDRAW: _APPLICANT,
    A.ACCEPT: _OFFICE,
    A.BEGIN_REVIEW: _OFFICE,
    A.SEND_TO_JOINT_REVIEW: _OFFICE,
    A.SEND_TO_DECISION: _OFFICE,
    A.RETURN: _OFFICE | _DECIDER,
    A.EXECUTE: _OFFICE | _SYSTEM,  # the first 上编 against a reservation starts it
    A.COMPLETE: _OFFICE | _SYSTEM,
    A.APPROVE: _DECIDER,
    A.REJECT: _OFFICE | _DECIDER,
    A.REVOKE: _DECIDER,
    A.FINISH_JOINT_REVIEW: _SYSTEM,
    A.EXPIRE: _SYSTEM,
}

TERMINAL = frozenset({S.COMPLETED, S.WITHDRAWN, S.REJECTED, S.REVOKED, S.EXPIRED})
# States in which the office has not decided yet: the applicant may still withdraw.
UNDECIDED = frozenset(
    {S.SUBMITTED, S.ACCEPTED, S.UNDER_REVIEW, S.JOINT_REVIEW, S.AWAITING_DECISION}
)
# States in which an approval is in force (a reservation may be held).
IN_FORCE = frozenset({S.APPROVED, S.EXECUTING})
# States in which the applicant may edit the content.
EDITABLE = frozenset({S.DRAFT, S.RETURNED})


class IllegalTransition(ValueError):
    def __init__(self, state: ItemState, action: Action) -> None:
        super().__init__(f"{action} is not possible in state {state}")
        self.state = state
        self.action = action


def advance(state: ItemState, action: Action) -> ItemState:
    """The state after ``action``, or IllegalTransition."""
    try:
        return TRANSITIONS[(ItemState(state), Action(action))]
    except (KeyError, ValueError):
        raise IllegalTransition(state, action) from None


def can(state: ItemState, action: Action) -> bool:
    return (state, action) in TRANSITIONS


def actions_from(state: ItemState) -> frozenset[Action]:
    return frozenset(a for (s, a) in TRANSITIONS if s == state)
