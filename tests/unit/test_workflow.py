"""The item state machine: the table is total, closed and sound, and random lives obey it."""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pwa.domain.workflow import (
    ACTION_PARTY,
    EDITABLE,
    IN_FORCE,
    TERMINAL,
    TRANSITIONS,
    UNDECIDED,
    Action,
    IllegalTransition,
    Party,
    actions_from,
    advance,
    can,
)
from pwa.models.enums import ItemState

S, A = ItemState, Action
EVERY_PAIR = list(itertools.product(ItemState, Action))


def _reachable(start: ItemState) -> set[ItemState]:
    seen, queue = {start}, deque([start])
    while queue:
        state = queue.popleft()
        for action in actions_from(state):
            target = advance(state, action)
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


# -- the table, pair by pair ------------------------------------------------------------------


@pytest.mark.parametrize(("state", "action"), EVERY_PAIR, ids=lambda v: v.value)
def test_every_pair_is_either_a_transition_or_illegal(state, action):
    if (state, action) in TRANSITIONS:
        assert can(state, action)
        assert advance(state, action) is TRANSITIONS[(state, action)]
        assert action in actions_from(state)
    else:
        assert not can(state, action)
        assert action not in actions_from(state)
        with pytest.raises(IllegalTransition) as caught:
            advance(state, action)
        assert caught.value.state is state
        assert caught.value.action is action
        assert isinstance(caught.value, ValueError)
        assert state.value in str(caught.value) and action.value in str(caught.value)


def test_the_table_speaks_only_the_vocabulary():
    for (state, action), target in TRANSITIONS.items():
        assert type(state) is ItemState and type(action) is Action
        assert type(target) is ItemState
        assert target is not state  # no transition is a no-op


def test_actions_from_is_the_table_read_by_state():
    assert sum(len(actions_from(s)) for s in ItemState) == len(TRANSITIONS)


def test_state_sets_are_made_of_states_and_do_not_overlap_where_they_must_not():
    for group in (TERMINAL, UNDECIDED, IN_FORCE, EDITABLE):
        assert group <= set(ItemState)
    assert not TERMINAL & (UNDECIDED | IN_FORCE | EDITABLE)
    assert not UNDECIDED & (IN_FORCE | EDITABLE)
    assert not IN_FORCE & EDITABLE


# -- the graph ------------------------------------------------------------------------------


@pytest.mark.parametrize("state", sorted(TERMINAL), ids=lambda v: v.value)
def test_terminal_states_have_no_way_out(state):
    assert actions_from(state) == frozenset()
    for action in Action:
        with pytest.raises(IllegalTransition):
            advance(state, action)


def test_every_non_terminal_state_has_a_way_out():
    for state in set(ItemState) - TERMINAL:
        assert actions_from(state), state


def test_every_state_is_reachable_from_a_draft():
    assert _reachable(S.DRAFT) == set(ItemState)


@pytest.mark.parametrize("state", sorted(set(ItemState) - TERMINAL), ids=lambda v: v.value)
def test_every_non_terminal_state_can_still_end(state):
    assert _reachable(state) & TERMINAL


def test_nothing_leads_back_to_a_draft():
    assert S.DRAFT not in TRANSITIONS.values()


def test_the_happy_path_walks_the_whole_main_line():
    path = [
        (A.SUBMIT, S.SUBMITTED),
        (A.ACCEPT, S.ACCEPTED),
        (A.BEGIN_REVIEW, S.UNDER_REVIEW),
        (A.SEND_TO_JOINT_REVIEW, S.JOINT_REVIEW),
        (A.FINISH_JOINT_REVIEW, S.AWAITING_DECISION),
        (A.APPROVE, S.APPROVED),
        (A.EXECUTE, S.EXECUTING),
        (A.COMPLETE, S.COMPLETED),
    ]
    state = S.DRAFT
    for action, expected in path:
        state = advance(state, action)
        assert state is expected


# -- the rules the item services rely on --------------------------------------------------


@pytest.mark.parametrize("state", sorted(UNDECIDED), ids=lambda v: v.value)
def test_undecided_states_allow_withdrawal(state):
    assert advance(state, A.WITHDRAW) is S.WITHDRAWN


def test_withdrawal_is_possible_exactly_before_a_decision():
    withdrawable = {s for s in ItemState if can(s, A.WITHDRAW)}
    assert withdrawable == UNDECIDED | {S.DRAFT, S.RETURNED}
    assert not withdrawable & (IN_FORCE | TERMINAL)


def test_approve_only_from_awaiting_decision():
    assert {s for s in ItemState if can(s, A.APPROVE)} == {S.AWAITING_DECISION}
    assert [pair for pair, target in TRANSITIONS.items() if target is S.APPROVED] == [
        (S.AWAITING_DECISION, A.APPROVE)
    ]


def test_in_force_is_entered_only_by_approval_and_left_only_by_ending():
    for (state, action), target in TRANSITIONS.items():
        if target in IN_FORCE and state not in IN_FORCE:
            assert action is A.APPROVE
        if state in IN_FORCE and target not in IN_FORCE:
            assert target in TERMINAL
            assert action in {A.COMPLETE, A.REVOKE, A.EXPIRE}


def test_revoke_and_expire_only_touch_an_approval_in_force():
    for action in (A.REVOKE, A.EXPIRE, A.EXECUTE):
        assert {s for s in ItemState if can(s, action)} <= IN_FORCE


def test_editable_states_are_the_applicants_own():
    for state in EDITABLE:
        for action in actions_from(state):
            assert ACTION_PARTY[action] == {Party.APPLICANT}


def test_a_return_is_answered_by_resubmission():
    assert advance(S.RETURNED, A.RESUBMIT) is S.SUBMITTED
    assert {s for s in ItemState if can(s, A.RESUBMIT)} == {S.RETURNED}


def test_every_action_has_a_party_and_is_used():
    assert set(ACTION_PARTY) == set(Action)
    assert all(p and all(isinstance(x, Party) for x in p) for p in ACTION_PARTY.values())
    assert {a for (_s, a) in TRANSITIONS} == set(Action)


def test_the_system_only_finishes_joint_review_and_expires():
    assert {a for a, p in ACTION_PARTY.items() if p == {Party.SYSTEM}} == {
        A.FINISH_JOINT_REVIEW,
        A.EXPIRE,
    }


# -- random lives ---------------------------------------------------------------------------

WITHDRAWABLE_FROM = UNDECIDED | {S.DRAFT, S.RETURNED}
RELEASING = {A.COMPLETE, A.REVOKE, A.EXPIRE}


@dataclass
class ModelItem:
    """What the item services would keep: a state and the two facts that must stay true."""

    state: ItemState = S.DRAFT
    approvals: int = 0
    reservation_held: bool = False
    ended_in: ItemState | None = None
    history: list[ItemState] = field(default_factory=lambda: [S.DRAFT])


class ItemLives(RuleBasedStateMachine):
    """One item at a time; when its life has ended a new one may begin."""

    def __init__(self) -> None:
        super().__init__()
        self.item = ModelItem()
        self.all_items: list[ModelItem] = [self.item]

    def _apply(self, action: Action, reserve: bool) -> None:
        item, before = self.item, self.item.state
        if not can(before, action):
            try:
                advance(before, action)
            except IllegalTransition as error:
                assert (error.state, error.action) == (before, action)
            else:
                raise AssertionError(f"{action} in {before} should be illegal")
            return  # an illegal action leaves the item as it was
        after = advance(before, action)
        assert before not in TERMINAL, "a terminal state moved"
        if after is S.WITHDRAWN:
            assert before in WITHDRAWABLE_FROM
        if action is A.APPROVE:
            assert item.approvals == 0, "approved twice in one life"
            item.approvals += 1
            item.reservation_held = reserve
        if action in RELEASING:
            item.reservation_held = False
        item.state = after
        item.history.append(after)
        if after in TERMINAL:
            item.ended_in = after

    @rule(action=st.sampled_from(Action), reserve=st.booleans())
    def any_action(self, action: Action, reserve: bool) -> None:
        self._apply(action, reserve)

    @rule(data=st.data(), reserve=st.booleans())
    def a_possible_action(self, data: st.DataObject, reserve: bool) -> None:
        possible = sorted(actions_from(self.item.state))
        if possible:  # an ended item has none; the rule then does nothing
            self._apply(data.draw(st.sampled_from(possible)), reserve)

    @rule(data=st.data(), reserve=st.booleans())
    def a_step_forward(self, data: st.DataObject, reserve: bool) -> None:
        """Bias towards the main line, so that lives reach approval and execution."""
        state = self.item.state
        forward = sorted(
            a for a in actions_from(state) if advance(state, a) not in TERMINAL | {S.RETURNED}
        )
        if forward:
            self._apply(data.draw(st.sampled_from(forward)), reserve)

    @precondition(lambda self: self.item.state in TERMINAL)
    @rule()
    def a_new_life(self) -> None:
        self.item = ModelItem()
        self.all_items.append(self.item)

    @invariant()
    def states_are_states(self) -> None:
        for item in self.all_items:
            assert isinstance(item.state, ItemState)

    @invariant()
    def an_ended_item_stays_ended(self) -> None:
        for item in self.all_items:
            if item.ended_in is not None:
                assert item.state is item.ended_in
                assert item.history[-1] is item.ended_in
                assert not any(s in TERMINAL for s in item.history[:-1])

    @invariant()
    def approval_happens_at_most_once(self) -> None:
        for item in self.all_items:
            assert item.approvals <= 1
            assert item.history.count(S.APPROVED) == item.approvals
            if any(s in IN_FORCE for s in item.history):
                assert item.approvals == 1

    @invariant()
    def a_reservation_is_held_only_while_the_approval_is_in_force(self) -> None:
        for item in self.all_items:
            if item.reservation_held:
                assert item.state in IN_FORCE

    @invariant()
    def withdrawal_only_before_a_decision(self) -> None:
        for item in self.all_items:
            for before, after in itertools.pairwise(item.history):
                if after is S.WITHDRAWN:
                    assert before in WITHDRAWABLE_FROM
                    assert item.approvals == 0


ItemLives.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=30,
    deadline=None,
    database=None,  # keep no .hypothesis directory in the working tree
    suppress_health_check=[HealthCheck.too_slow],
)
TestItemLives = ItemLives.TestCase
