"""The steps before the decision: the office's intake and review (受理, 审核, 审核通过, 退回补正,
不予受理) and the joint reviewers' opinions (联审)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from auth.i18n import N_
from pwa.domain import workflow
from pwa.domain.workflow import Action
from pwa.models import ItemState, TaskOutcome, TaskStage
from pwa.models.item import Item

from .context import Context, Participant
from .errors import ItemConflict, NotAllowed
from .reading import acting_for, decision_plan, get_visible, joint_route, my_open_task, payload_of
from .routing import JOINT_STAGES, Mode, joint_mode
from .steps import (
    advance,
    cancel_open_tasks,
    close_task,
    expect_version,
    open_tasks,
    record_event,
    require_comment,
    start_task,
)


def _intake(session: Session, who: Participant, item: Item, ctx: Context):
    found = my_open_task(session, who, item, ctx.clock.today, (TaskStage.INTAKE,))
    if found is None:
        if not open_tasks(item) or item.state not in (
            ItemState.SUBMITTED,
            ItemState.ACCEPTED,
            ItemState.UNDER_REVIEW,
        ):
            raise ItemConflict(N_("此环节已办理，请刷新查看最新状态"))
        acting_for(session, who, item, open_tasks(item)[0], ctx.clock.today)
        raise NotAllowed(N_("您没有办理此环节的权限"))
    return found


def _take_up(
    session: Session,
    who: Participant,
    item_id: int,
    action: Action,
    expected_version: int,
    ctx: Context,
) -> Item:
    """受理 or 开始审核: the reviewer moves the item on and the intake step becomes theirs."""
    item = get_visible(session, who, item_id, lock=True)
    task, on_behalf = _intake(session, who, item, ctx)
    expect_version(item, expected_version)
    if not workflow.can(item.state, action):
        raise ItemConflict(N_("此环节已办理，请刷新查看最新状态"))
    before = advance(item, action, ctx)
    task.assignee_id = who.account_id
    record_event(
        session, item, who.account_id, action.value, ctx, before=before, on_behalf_of=on_behalf
    )
    return item


def accept(
    session: Session, who: Participant, item_id: int, *, expected_version: int, ctx: Context
) -> Item:
    """受理: the application is complete; the reviewer takes it on."""
    return _take_up(session, who, item_id, Action.ACCEPT, expected_version, ctx)


def begin_review(
    session: Session, who: Participant, item_id: int, *, expected_version: int, ctx: Context
) -> Item:
    return _take_up(session, who, item_id, Action.BEGIN_REVIEW, expected_version, ctx)


def forward(
    session: Session,
    who: Participant,
    item_id: int,
    *,
    comment: str,
    expected_version: int,
    ctx: Context,
    committee: bool = False,
) -> Item:
    """审核通过: on to joint review if the routing rules name departments, else to decision.
    The reviewer may send the item on to the 编委 (the decision plan then ends there)."""
    item = get_visible(session, who, item_id, lock=True)
    task, on_behalf = _intake(session, who, item, ctx)
    expect_version(item, expected_version)
    if item.state is not ItemState.UNDER_REVIEW:
        raise ItemConflict(N_("请先受理并开始审核"))
    item.committee = item.committee or committee
    payload = payload_of(item)
    close_task(task, TaskOutcome.PASSED, ctx, who.account_id, on_behalf, comment)
    stages = joint_route(session, item)
    item.due_on = None
    if stages:
        before = advance(item, Action.SEND_TO_JOINT_REVIEW, ctx)
        for stage in stages:
            start_task(session, item, stage, ctx)
    else:
        before = advance(item, Action.SEND_TO_DECISION, ctx)
        start_task(session, item, decision_plan(item, payload, ctx)[0], ctx)
    record_event(
        session,
        item,
        who.account_id,
        "forward",
        ctx,
        before=before,
        comment=comment,
        on_behalf_of=on_behalf,
        detail={"stages": [s.value for s in stages]},
    )
    return item


def return_for_correction(
    session: Session,
    who: Participant,
    item_id: int,
    *,
    comment: str,
    expected_version: int,
    ctx: Context,
) -> Item:
    """退回补正 by the office reviewer (the decider returns through ``decide``)."""
    comment = require_comment(comment)
    item = get_visible(session, who, item_id, lock=True)
    task, on_behalf = _intake(session, who, item, ctx)
    expect_version(item, expected_version)
    close_task(task, TaskOutcome.RETURNED, ctx, who.account_id, on_behalf, comment)
    cancel_open_tasks(item, ctx)
    before = advance(item, Action.RETURN, ctx)
    record_event(
        session,
        item,
        who.account_id,
        "return",
        ctx,
        before=before,
        comment=comment,
        on_behalf_of=on_behalf,
    )
    return item


def refuse_intake(
    session: Session,
    who: Participant,
    item_id: int,
    *,
    comment: str,
    expected_version: int,
    ctx: Context,
) -> Item:
    """不予受理: only before acceptance, with a reason."""
    comment = require_comment(comment)
    item = get_visible(session, who, item_id, lock=True)
    task, on_behalf = _intake(session, who, item, ctx)
    expect_version(item, expected_version)
    if item.state is not ItemState.SUBMITTED:
        raise ItemConflict(N_("已受理的事项不能不予受理，请退回补正或提交领导决定"))
    close_task(task, TaskOutcome.REJECTED, ctx, who.account_id, on_behalf, comment)
    before = advance(item, Action.REJECT, ctx)
    item.due_on = None
    record_event(
        session,
        item,
        who.account_id,
        "refuse",
        ctx,
        before=before,
        comment=comment,
        on_behalf_of=on_behalf,
    )
    return item


# -- joint review -------------------------------------------------------------------------


def give_opinion(
    session: Session,
    who: Participant,
    item_id: int,
    *,
    agree: bool,
    comment: str,
    expected_version: int,
    ctx: Context,
) -> Item:
    item = get_visible(session, who, item_id, lock=True)
    if item.state is not ItemState.JOINT_REVIEW:
        raise ItemConflict(N_("联审已结束，请刷新查看最新状态"))
    found = my_open_task(session, who, item, ctx.clock.today, JOINT_STAGES)
    if found is None:
        raise NotAllowed(N_("您没有办理此环节的权限"))
    task, on_behalf = found
    expect_version(item, expected_version)
    if not agree:
        comment = require_comment(comment)
    outcome = TaskOutcome.PASSED if agree else TaskOutcome.OBJECTED
    close_task(task, outcome, ctx, who.account_id, on_behalf, comment)
    item.version += 1
    item.updated_at = ctx.clock.now
    record_event(
        session,
        item,
        who.account_id,
        "opinion",
        ctx,
        comment=comment,
        on_behalf_of=on_behalf,
        detail={"stage": task.stage.value, "outcome": outcome.value},
    )
    joint = [t for t in item.tasks if t.stage in JOINT_STAGES]
    done = all(t.closed_at is not None for t in joint)
    if joint_mode(item.item_type) is Mode.ANY and agree:
        cancel_open_tasks(item, ctx)
        done = True
    if done:
        before = advance(item, Action.FINISH_JOINT_REVIEW, ctx)
        start_task(session, item, decision_plan(item, payload_of(item), ctx)[0], ctx)
        record_event(session, item, None, "joint_review_done", ctx, before=before)
    return item
