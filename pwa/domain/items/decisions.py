"""The decision and what follows it: 同意 / 不同意 / 退回补正 by the deciders (with the effects
of a final approval), 撤销, 办结, and the lapse of unused reservations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.i18n import N_
from auth.roles import Role
from pwa.domain import workflow
from pwa.domain.workflow import Action
from pwa.models import (
    Decision,
    ItemCopy,
    ItemState,
    ItemType,
    QuotaReservation,
    TaskOutcome,
    TaskStage,
    Unit,
    Verdict,
)
from pwa.models.item import Item

from . import checks as item_checks
from . import effects
from . import payloads as p
from .context import DECIDER_ROLES, Context, Participant
from .errors import ChecksFailed, ItemConflict, NotAllowed
from .reading import (
    checks_for,
    decision_plan,
    get_visible,
    my_open_task,
    payload_of,
    version_hash,
)
from .routing import COMPLETE_ON_APPROVAL, COPY_ON_APPROVAL, DECISION_STAGES, STAGE_ROLE
from .steps import (
    advance,
    cancel_open_tasks,
    close_task,
    expect_version,
    record_event,
    require_comment,
    start_task,
)


@dataclass(frozen=True)
class Outcome:
    item: Item
    final: bool  # the item left 待决定 (approved, rejected or returned)
    next_stage: TaskStage | None = None


def decide(
    session: Session,
    who: Participant,
    item_id: int,
    *,
    verdict: Verdict,
    comment: str,
    version_hash_seen: str,
    signed_with: str,
    ctx: Context,
) -> Outcome:
    """同意 / 不同意 / 退回补正 on the decision stage ``who`` holds, signed (by the caller's
    step-up) over ``version_hash_seen``. A decision counts only if that is still the item's
    hash; the effects of a final approval are applied here, in the same transaction."""
    item = get_visible(session, who, item_id, lock=True)
    if item.state is not ItemState.AWAITING_DECISION:
        raise ItemConflict(N_("此事项已有决定或已不在待决定环节，您的意见未保存"))
    if version_hash(item) != version_hash_seen:
        raise ItemConflict(N_("事项在您打开页面后已被修改或已由他人处理，请刷新后重新核对"))
    found = my_open_task(session, who, item, ctx.clock.today, DECISION_STAGES)
    if found is None:
        raise NotAllowed(N_("您没有决定此事项的权限"))
    task, on_behalf = found
    if verdict is not Verdict.APPROVE:
        comment = require_comment(comment)
    session.add(
        Decision(
            item_id=item.id,
            task_id=task.id,
            account_id=who.account_id,
            on_behalf_of_id=on_behalf,
            verdict=verdict,
            comment=comment[:2000],
            version_hash=version_hash_seen,
            signed_with=signed_with,
            decided_at=ctx.clock.now,
        )
    )
    payload = payload_of(item)
    if verdict is Verdict.APPROVE:
        plan = decision_plan(item, payload, ctx)
        failures = item_checks.blocking_failures(checks_for(session, item, ctx))
        if failures:
            raise ChecksFailed(failures)
        close_task(task, TaskOutcome.APPROVED, ctx, who.account_id, on_behalf, comment)
        remaining = plan[plan.index(task.stage) + 1 :] if task.stage in plan else ()
        if remaining:
            item.version += 1
            item.updated_at = ctx.clock.now
            start_task(session, item, remaining[0], ctx)
            record_event(
                session,
                item,
                who.account_id,
                "approve_stage",
                ctx,
                comment=comment,
                on_behalf_of=on_behalf,
                detail={"stage": task.stage.value},
            )
            return Outcome(item, final=False, next_stage=remaining[0])
        _approve(session, item, payload, who, on_behalf, comment, ctx)
        return Outcome(item, final=True)
    outcome = TaskOutcome.REJECTED if verdict is Verdict.REJECT else TaskOutcome.RETURNED
    close_task(task, outcome, ctx, who.account_id, on_behalf, comment)
    cancel_open_tasks(item, ctx)
    before = advance(item, Action.REJECT if verdict is Verdict.REJECT else Action.RETURN, ctx)
    item.decided_at = ctx.clock.now if verdict is Verdict.REJECT else None
    record_event(
        session,
        item,
        who.account_id,
        verdict.value,
        ctx,
        before=before,
        comment=comment,
        on_behalf_of=on_behalf,
        detail={"stage": task.stage.value},
    )
    return Outcome(item, final=True)


def _approve(
    session: Session,
    item: Item,
    payload: p.Payload,
    who: Participant,
    on_behalf: int | None,
    comment: str,
    ctx: Context,
) -> None:
    unit = session.get(Unit, item.unit_id)
    number = effects.next_document_number(session, unit.region_id, ctx.clock.today.year)
    effects.apply(
        session,
        item,
        payload,
        document_number=number,
        today=ctx.clock.today,
        now=ctx.clock.now,
        keys=ctx.keys,
        policy=ctx.policy,
    )
    item.document_number = number
    item.decided_at = ctx.clock.now
    cancel_open_tasks(item, ctx)
    before = advance(item, Action.APPROVE, ctx)
    record_event(
        session,
        item,
        who.account_id,
        "approve",
        ctx,
        before=before,
        comment=comment,
        on_behalf_of=on_behalf,
        detail={"document_number": number},
    )
    for role in COPY_ON_APPROVAL.get(item.item_type, ()):
        if session.get(ItemCopy, (item.id, role.value)) is None:
            session.add(ItemCopy(item_id=item.id, role=role.value, copied_at=ctx.clock.now))
    if item.item_type in COMPLETE_ON_APPROVAL:
        before = advance(item, Action.COMPLETE, ctx)
        record_event(session, item, None, "complete", ctx, before=before)
    if isinstance(payload, p.StaffEntry):
        _follow_reservation(session, payload.reservation_id, ctx)
    session.flush()


def _follow_reservation(session: Session, reservation_id: int, ctx: Context) -> None:
    """The 用编 item whose reservation a 上编 used: 执行中, and 已办结 once it is used up."""
    origin = session.scalar(
        select(Item).where(
            Item.reservation_id == reservation_id, Item.item_type == ItemType.QUOTA_USE
        )
    )
    reservation = session.get(QuotaReservation, reservation_id)
    if origin is None or reservation is None or origin.state not in workflow.IN_FORCE:
        return
    if origin.state is ItemState.APPROVED:
        before = advance(origin, Action.EXECUTE, ctx)
        record_event(session, origin, None, "execute", ctx, before=before)
    if reservation.consumed >= reservation.granted:
        before = advance(origin, Action.COMPLETE, ctx)
        record_event(session, origin, None, "complete", ctx, before=before)


def revoke(
    session: Session,
    who: Participant,
    item_id: int,
    *,
    comment: str,
    version_hash_seen: str,
    ctx: Context,
) -> Item:
    """撤销 an approved 用编申请: its unused places are freed at once."""
    comment = require_comment(comment)
    item = get_visible(session, who, item_id, lock=True)
    if item.item_type is not ItemType.QUOTA_USE or not workflow.can(item.state, Action.REVOKE):
        raise ItemConflict(N_("此事项不能撤销"))
    final_stage = decision_plan(item, payload_of(item), ctx)[-1]
    if not who.roles & {STAGE_ROLE[final_stage], Role.OFFICE_DIRECTOR}:
        # Only the authority that gave the final approval (or a higher one) may take it back.
        raise NotAllowed(N_("只有作出批准决定的同级领导可以撤销批准"))
    if item.requester_id == who.account_id:
        raise NotAllowed(N_("不能审核或审批本人提交的事项"))
    if version_hash(item) != version_hash_seen:
        raise ItemConflict(N_("事项在您打开页面后已被修改或已由他人处理，请刷新后重新核对"))
    effects.lock_unit(session, item.unit_id)
    reservation = session.get(QuotaReservation, item.reservation_id)
    if reservation is not None and reservation.cancelled_on is None:
        reservation.cancelled_on = ctx.clock.today
    before = advance(item, Action.REVOKE, ctx)
    record_event(session, item, who.account_id, "revoke", ctx, before=before, comment=comment)
    return item


def complete(
    session: Session,
    who: Participant,
    item_id: int,
    *,
    comment: str,
    expected_version: int,
    ctx: Context,
) -> Item:
    """办结 by the office; a 用编 item's unused places are released with it."""
    item = get_visible(session, who, item_id, lock=True)
    if not who.is_office:
        raise NotAllowed(N_("只有编办可以办结事项"))
    expect_version(item, expected_version)
    if not workflow.can(item.state, Action.COMPLETE):
        raise ItemConflict(N_("此事项现在不能办结"))
    if item.reservation_id is not None and item.item_type is ItemType.QUOTA_USE:
        effects.lock_unit(session, item.unit_id)
        reservation = session.get(QuotaReservation, item.reservation_id)
        unused = reservation is not None and reservation.consumed < reservation.granted
        if unused and reservation.cancelled_on is None:
            if not who.roles & DECIDER_ROLES:
                raise NotAllowed(N_("尚有未使用的预占编制：只有编办领导可以办结并收回"))
            reservation.cancelled_on = ctx.clock.today
    before = advance(item, Action.COMPLETE, ctx)
    record_event(session, item, who.account_id, "complete", ctx, before=before, comment=comment)
    return item


def expire_reservations(session: Session, ctx: Context) -> int:
    """已过期: approved 用编 items whose reservation lapsed with places unused."""
    lapsed = session.scalars(
        select(Item)
        .join(QuotaReservation, QuotaReservation.id == Item.reservation_id)
        .where(
            Item.item_type == ItemType.QUOTA_USE,
            Item.state.in_(list(workflow.IN_FORCE)),
            QuotaReservation.valid_until < ctx.clock.today,
            QuotaReservation.consumed < QuotaReservation.granted,
            QuotaReservation.cancelled_on.is_(None),
        )
        .with_for_update(of=Item)
    ).all()
    for item in lapsed:
        before = advance(item, Action.EXPIRE, ctx)
        record_event(session, item, None, "expire", ctx, before=before)
    return len(lapsed)
