"""Item services: every change to an item goes through one of these functions.

Each runs inside the caller's write transaction, locks the item row first (``FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers), checks who may act,
moves the state through ``workflow.advance`` and writes the history, so the state change,
its effects and its records commit together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from auth.i18n import N_, UserFacingError
from auth.models import Account
from auth.roles import Role
from auth.scope import Scope, scope_for
from pwa.domain import audit, workflow
from pwa.domain.idnumber import find_valid_numbers
from pwa.domain.workflow import Action
from pwa.models import (
    Decision,
    Delegation,
    ItemAttachment,
    ItemCopy,
    ItemEvent,
    ItemState,
    ItemTask,
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
from .routing import (
    CLERK_TYPES,
    COMPLETE_ON_APPROVAL,
    COPY_ON_APPROVAL,
    DECISION_STAGES,
    JOINT_STAGES,
    STAGE_ROLE,
    Mode,
    WorkflowPolicy,
    decision_stages,
    delegable,
    joint_mode,
    joint_stages,
)

S = ItemState
OFFICE_ROLES = frozenset({Role.OFFICE_STAFF, Role.OFFICE_LEADER, Role.OFFICE_DIRECTOR})
DECIDER_ROLES = frozenset({Role.OFFICE_LEADER, Role.OFFICE_DIRECTOR})
# Who may hand their steps to a colleague for a while (委托).
DELEGATING_ROLES = DECIDER_ROLES | {Role.OFFICE_STAFF}
JOINT_ROLES = {STAGE_ROLE[stage]: stage for stage in JOINT_STAGES}


class ItemError(UserFacingError):
    status = 400


class ItemNotFound(ItemError):
    status = 404

    def __init__(self) -> None:
        super().__init__(N_("事项不存在或不在您的权限范围内"))


class NotAllowed(ItemError):
    status = 403


class ItemConflict(ItemError):
    """Someone else changed or decided the item first."""

    status = 409


class ChecksFailed(ItemError):
    status = 409

    def __init__(self, failures: list[item_checks.Check]) -> None:
        super().__init__(N_("自动校验未通过，不能批准"))
        self.failures = failures


@dataclass(frozen=True)
class Participant:
    """Who acts: an account, its roles and its jurisdiction."""

    account_id: int
    roles: frozenset[Role]
    scope: Scope

    @property
    def is_office(self) -> bool:
        return bool(self.roles & OFFICE_ROLES)


@dataclass(frozen=True)
class Clock:
    now: datetime
    today: date


@dataclass
class Context:
    """What every service call needs besides the item: time, keys and the office's policy."""

    clock: Clock
    keys: effects.Keys
    policy: WorkflowPolicy = field(default_factory=WorkflowPolicy)
    # Who is acting, for the audit log: every history event is also an audit record, in the
    # same transaction (a change whose record cannot be written does not happen).
    actor: audit.Actor | None = None


# -- reading ------------------------------------------------------------------------------


def version_hash(item: Item) -> str:
    """What a decider signs: the item's identity, content, state and version."""
    sealed = hashlib.sha256(item.sealed_payload or b"").hexdigest()
    canonical = json.dumps(
        [
            item.id,
            item.item_type.value,
            item.unit_id,
            item.state.value,
            item.version,
            item.payload,
            sealed,
            item.committee,
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def payload_of(item: Item) -> p.Payload:
    return p.load(item.item_type, item.payload)


def _load(session: Session, item_id: int, *, lock: bool) -> Item | None:
    query = (
        select(Item)
        .where(Item.id == item_id)
        .options(selectinload(Item.tasks))
        .execution_options(populate_existing=True)
    )
    if lock:
        query = query.with_for_update(of=Item)
    return session.scalars(query).one_or_none()


def can_see(session: Session, who: Participant, item: Item, unit: Unit | None = None) -> bool:
    if item.requester_id == who.account_id:
        return True
    if item.state is S.DRAFT or (item.state is S.WITHDRAWN and item.submitted_at is None):
        return False  # a draft, even a discarded one, is the applicant's own
    unit = unit or session.get(Unit, item.unit_id)
    if unit is None or not who.scope.covers_unit(unit):
        return False
    if who.is_office:
        return True
    if Role.UNIT_CLERK in who.roles and item.item_type in CLERK_TYPES:
        return True  # the unit's own applications (not the office's 数据查询签批 about it)
    stages = {JOINT_ROLES[r] for r in who.roles if r in JOINT_ROLES}
    if any(t.stage in stages for t in item.tasks):
        return True
    copied = session.scalar(
        select(ItemCopy.item_id).where(
            ItemCopy.item_id == item.id, ItemCopy.role.in_([r.value for r in who.roles])
        )
    )
    return copied is not None


def get_visible(session: Session, who: Participant, item_id: int, *, lock: bool = False) -> Item:
    item = _load(session, item_id, lock=lock)
    if item is None or not can_see(session, who, item):
        raise ItemNotFound()
    return item


def open_tasks(item: Item) -> list[ItemTask]:
    return [t for t in item.tasks if t.closed_at is None]


def active_delegators(session: Session, delegate_id: int, today: date) -> list[int]:
    return list(
        session.scalars(
            select(Delegation.delegator_id).where(
                Delegation.delegate_id == delegate_id,
                Delegation.starts_on <= today,
                Delegation.ends_on >= today,
                Delegation.revoked_at.is_(None),
            )
        )
    )


def acting_for(
    session: Session, who: Participant, item: Item, task: ItemTask, today: date
) -> int | None:
    """Whether ``who`` may act on ``task``: None when in their own right, the delegator's
    account id when through a 委托; NotAllowed otherwise."""
    unit = session.get(Unit, item.unit_id)
    if unit is None or not who.scope.covers_unit(unit):
        raise ItemNotFound()
    if item.requester_id == who.account_id:
        raise NotAllowed(N_("不能审核或审批本人提交的事项"))
    role = Role(task.required_role)
    if task.stage in DECISION_STAGES and task.stage is not TaskStage.COMMITTEE:
        round_start = max((t.id or 0 for t in item.tasks if t.stage is TaskStage.INTAKE), default=0)
        done = [
            t
            for t in item.tasks
            if t.closed_at is not None and (t.id or 0) >= round_start and t.stage != task.stage
        ]
        earlier = {t.acted_by_id for t in done} | {t.on_behalf_of_id for t in done}
        if who.account_id in earlier:
            # 审批 and 审核 of one item are different people's (the 编委 stage only records
            # the meeting's decision, so the director who signed before may record it).
            raise NotAllowed(N_("同一事项的审核、审批须由不同人员办理"))
    if role in who.roles and task.assignee_id in (None, who.account_id):
        return None
    if delegable(task.stage, item.item_type):
        for delegator_id in active_delegators(session, who.account_id, today):
            if delegator_id == item.requester_id:
                continue
            if task.assignee_id is not None and task.assignee_id != delegator_id:
                continue
            delegator = session.get(Account, delegator_id)
            if (
                delegator is not None
                and delegator.disabled_at is None
                and role in delegator.role_set
                and scope_for(session, delegator).covers_unit(unit)
            ):
                return delegator_id
    raise NotAllowed(N_("您没有办理此环节的权限"))


def my_open_task(
    session: Session, who: Participant, item: Item, today: date, stages: tuple[TaskStage, ...]
) -> tuple[ItemTask, int | None] | None:
    """The open task of ``stages`` that ``who`` may act on now, with the delegator if any."""
    for task in open_tasks(item):
        if task.stage not in stages:
            continue
        try:
            return task, acting_for(session, who, item, task, today)
        except ItemError:
            continue
    return None


def decision_refusal(
    session: Session, who: Participant, item: Item, today: date
) -> ItemError | None:
    """Why ``who`` may not decide the open decision stage (None when they may); ``decide``
    checks again inside its transaction."""
    refusals: list[ItemError] = []
    for task in open_tasks(item):
        if task.stage not in DECISION_STAGES:
            continue
        try:
            acting_for(session, who, item, task, today)
        except ItemError as refused:
            refusals.append(refused)
        else:
            return None
    return refusals[0] if refusals else NotAllowed(N_("您没有决定此事项的权限"))


def joint_route(session: Session, item: Item) -> tuple[TaskStage, ...]:
    """The departments 审核通过 sends the item to for joint review (none: on to decision)."""
    payload = payload_of(item)
    kind = funding = None
    if isinstance(payload, p.StaffEntry) and (
        res := session.get(QuotaReservation, payload.reservation_id)
    ):
        kind, funding = res.kind, res.funding
    return joint_stages(item.item_type, payload, kind, funding)


def checks_for(
    session: Session, item: Item, ctx: Context, *, with_joint_review: bool = True
) -> list[item_checks.Check]:
    payload = payload_of(item)
    person_index = None
    if item_checks.needs_person_index(item.item_type) and item.sealed_payload:
        id_number = effects.unseal(ctx.keys.cipher, item.sealed_payload).get("id_number", "")
        person_index = ctx.keys.blind_index.of(id_number) if id_number else None
    return item_checks.run(
        session,
        item,
        payload,
        ctx.clock.today,
        person_index=person_index,
        with_joint_review=with_joint_review,
    )


# -- writing helpers ----------------------------------------------------------------------


def guard_text(*texts: str) -> None:
    """Free text (reasons, comments, notes) must not carry an ID number: those are only
    typed into their own field, and stored encrypted."""
    for text in texts:
        if text and find_valid_numbers(text):
            raise ItemError(N_("文字中不能包含身份证号：身份证号只能填写在专门的栏目中"))


def _payload_texts(payload: p.Payload) -> list[str]:
    return [v for v in vars(payload).values() if isinstance(v, str)]


def _event(
    session: Session,
    item: Item,
    actor_id: int | None,
    action: str,
    ctx: Context,
    *,
    before: ItemState | None = None,
    comment: str = "",
    on_behalf_of: int | None = None,
    detail: dict | None = None,
) -> None:
    guard_text(comment)
    if ctx.actor is not None:
        audit.record(
            session,
            ctx.actor,
            f"item.step.{action}",
            now=ctx.clock.now,
            object_type="item",
            object_id=item.id,
            detail={"from": before.value if before else "", "to": item.state.value}
            | ({"on_behalf_of": on_behalf_of} if on_behalf_of else {}),
        )
    session.add(
        ItemEvent(
            item_id=item.id,
            occurred_at=ctx.clock.now,
            actor_id=actor_id,
            on_behalf_of_id=on_behalf_of,
            action=action,
            from_state=before,
            to_state=item.state if before is not None else None,
            version=item.version,
            comment=comment[:2000],
            detail=json.dumps(detail, ensure_ascii=False) if detail else "",
        )
    )


def _move(item: Item, action: Action, ctx: Context) -> ItemState:
    before = item.state
    item.state = workflow.advance(item.state, action)
    item.version += 1
    item.updated_at = ctx.clock.now
    return before


def _open_task(session: Session, item: Item, stage: TaskStage, ctx: Context) -> ItemTask:
    due = ctx.clock.today + timedelta(days=ctx.policy.stage_days[stage])
    task = ItemTask(
        item=item,
        stage=stage,
        required_role=STAGE_ROLE[stage].value,
        opened_at=ctx.clock.now,
        due_on=due,
        comment="",
        reminders=0,
    )
    session.add(task)
    _refresh_due(item)
    return task


def _refresh_due(item: Item) -> None:
    """The item's deadline is its earliest open step's (none when nothing is open)."""
    item.due_on = min((t.due_on for t in open_tasks(item)), default=None)


def _close(
    task: ItemTask,
    outcome: TaskOutcome,
    ctx: Context,
    who: int | None = None,
    on_behalf_of: int | None = None,
    comment: str = "",
) -> None:
    guard_text(comment)
    task.closed_at = ctx.clock.now
    task.outcome = outcome
    task.acted_by_id = who
    task.on_behalf_of_id = on_behalf_of
    task.comment = comment[:2000]
    _refresh_due(task.item)


def _cancel_open(item: Item, ctx: Context) -> None:
    for task in open_tasks(item):
        _close(task, TaskOutcome.CANCELLED, ctx)
    item.due_on = None


def _expect(item: Item, expected_version: int | None) -> None:
    if expected_version is not None and item.version != expected_version:
        raise ItemConflict(N_("事项已被他人更新，请刷新后再操作"))


def _require_comment(comment: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise ItemError(N_("请填写意见或理由"))
    return comment


# -- the applicant ------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    item_type: ItemType
    unit_id: int
    payload: p.Payload
    sealed: dict[str, str] = field(default_factory=dict)
    committee: bool = False


def may_declare(who: Participant, item_type: ItemType) -> bool:
    if who.is_office:
        return Role.OFFICE_STAFF in who.roles
    return Role.UNIT_CLERK in who.roles and item_type in CLERK_TYPES


def create(
    session: Session,
    who: Participant,
    draft: Draft,
    *,
    idempotency_key: str,
    submit: bool,
    ctx: Context,
) -> Item:
    """A new item (a draft, or submitted at once). The same idempotency key from the same
    person returns the item it created the first time: a double-submit makes one item."""
    key = (idempotency_key or "")[:64]
    if not key:
        raise ItemError(N_("表单已过期，请重新打开后填写"))
    existing = session.scalar(
        select(Item).where(Item.requester_id == who.account_id, Item.idempotency_key == key)
    )
    if existing is not None:
        return existing
    guard_text(*_payload_texts(draft.payload))
    if not may_declare(who, draft.item_type):
        raise NotAllowed(N_("您不能申报此类事项"))
    unit = session.get(Unit, draft.unit_id)
    if unit is None or not who.scope.covers_unit(unit):
        raise ItemNotFound()
    if unit.abolished_on is not None:
        raise ItemError(N_("单位已撤销，不能申报"))
    item = Item(
        item_type=draft.item_type,
        state=S.DRAFT,
        unit_id=unit.id,
        payload=p.dump(draft.payload),
        sealed_payload=effects.seal(ctx.keys.cipher, draft.sealed) if draft.sealed else None,
        version=1,
        requester_id=who.account_id,
        idempotency_key=key,
        committee=draft.committee,
        flagged=False,
        created_at=ctx.clock.now,
        updated_at=ctx.clock.now,
    )
    session.add(item)
    session.flush()
    _flag(session, item, ctx)
    _event(session, item, who.account_id, "create", ctx)
    if submit:
        _submit(session, who, item, ctx)
    session.flush()
    return item


def _flag(session: Session, item: Item, ctx: Context) -> None:
    item.flagged = bool(
        item_checks.blocking_failures(checks_for(session, item, ctx, with_joint_review=False))
    )


def update(
    session: Session,
    who: Participant,
    item_id: int,
    draft: Draft,
    *,
    expected_version: int,
    submit: bool,
    ctx: Context,
) -> Item:
    """Edit a draft or a returned item (补正); only its applicant may."""
    item = get_visible(session, who, item_id, lock=True)
    if item.requester_id != who.account_id:
        raise NotAllowed(N_("只有申报人可以修改"))
    if item.state not in workflow.EDITABLE:
        raise ItemConflict(N_("事项已提交，不能修改"))
    _expect(item, expected_version)
    if draft.item_type is not item.item_type or draft.unit_id != item.unit_id:
        raise ItemError(N_("不能更改事项类型或单位"))
    guard_text(*_payload_texts(draft.payload))
    item.payload = p.dump(draft.payload)
    if draft.sealed:
        item.sealed_payload = effects.seal(ctx.keys.cipher, draft.sealed)
    item.committee = draft.committee
    item.version += 1
    item.updated_at = ctx.clock.now
    _flag(session, item, ctx)
    _event(session, item, who.account_id, "edit", ctx)
    if submit:
        _submit(session, who, item, ctx)
    session.flush()
    return item


def _submit(session: Session, who: Participant, item: Item, ctx: Context) -> None:
    action = Action.RESUBMIT if item.state is S.RETURNED else Action.SUBMIT
    before = _move(item, action, ctx)
    item.submitted_at = ctx.clock.now
    _open_task(session, item, TaskStage.INTAKE, ctx)
    _event(session, item, who.account_id, action.value, ctx, before=before)


def submit(
    session: Session, who: Participant, item_id: int, *, expected_version: int, ctx: Context
) -> Item:
    item = get_visible(session, who, item_id, lock=True)
    if item.requester_id != who.account_id:
        raise NotAllowed(N_("只有申报人可以提交"))
    _expect(item, expected_version)
    if item.state not in workflow.EDITABLE:
        raise ItemConflict(N_("事项已提交"))
    _submit(session, who, item, ctx)
    return item


def withdraw(
    session: Session,
    who: Participant,
    item_id: int,
    *,
    comment: str,
    expected_version: int | None,
    ctx: Context,
) -> Item:
    item = get_visible(session, who, item_id, lock=True)
    if item.requester_id != who.account_id:
        raise NotAllowed(N_("只有申报人可以撤回"))
    if not workflow.can(item.state, Action.WITHDRAW):
        raise ItemConflict(N_("事项已有决定，不能撤回"))
    _expect(item, expected_version)
    _cancel_open(item, ctx)
    before = _move(item, Action.WITHDRAW, ctx)
    _event(session, item, who.account_id, "withdraw", ctx, before=before, comment=comment)
    return item


# -- the office ---------------------------------------------------------------------------


def _intake(session: Session, who: Participant, item: Item, ctx: Context):
    found = my_open_task(session, who, item, ctx.clock.today, (TaskStage.INTAKE,))
    if found is None:
        if not open_tasks(item) or item.state not in (S.SUBMITTED, S.ACCEPTED, S.UNDER_REVIEW):
            raise ItemConflict(N_("此环节已办理，请刷新查看最新状态"))
        acting_for(session, who, item, open_tasks(item)[0], ctx.clock.today)
        raise NotAllowed(N_("您没有办理此环节的权限"))
    return found


def accept(
    session: Session, who: Participant, item_id: int, *, expected_version: int, ctx: Context
) -> Item:
    """受理: the application is complete; the reviewer takes it on."""
    item = get_visible(session, who, item_id, lock=True)
    task, on_behalf = _intake(session, who, item, ctx)
    _expect(item, expected_version)
    if not workflow.can(item.state, Action.ACCEPT):
        raise ItemConflict(N_("此环节已办理，请刷新查看最新状态"))
    before = _move(item, Action.ACCEPT, ctx)
    task.assignee_id = who.account_id
    _event(session, item, who.account_id, "accept", ctx, before=before, on_behalf_of=on_behalf)
    return item


def begin_review(
    session: Session, who: Participant, item_id: int, *, expected_version: int, ctx: Context
) -> Item:
    item = get_visible(session, who, item_id, lock=True)
    task, on_behalf = _intake(session, who, item, ctx)
    _expect(item, expected_version)
    if not workflow.can(item.state, Action.BEGIN_REVIEW):
        raise ItemConflict(N_("此环节已办理，请刷新查看最新状态"))
    before = _move(item, Action.BEGIN_REVIEW, ctx)
    task.assignee_id = who.account_id
    _event(
        session, item, who.account_id, "begin_review", ctx, before=before, on_behalf_of=on_behalf
    )
    return item


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
    _expect(item, expected_version)
    if item.state is not S.UNDER_REVIEW:
        raise ItemConflict(N_("请先受理并开始审核"))
    item.committee = item.committee or committee
    payload = payload_of(item)
    _close(task, TaskOutcome.PASSED, ctx, who.account_id, on_behalf, comment)
    stages = joint_route(session, item)
    item.due_on = None
    if stages:
        before = _move(item, Action.SEND_TO_JOINT_REVIEW, ctx)
        for stage in stages:
            _open_task(session, item, stage, ctx)
    else:
        before = _move(item, Action.SEND_TO_DECISION, ctx)
        _open_task(session, item, _decision_plan(item, payload, ctx)[0], ctx)
    _event(
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
    comment = _require_comment(comment)
    item = get_visible(session, who, item_id, lock=True)
    task, on_behalf = _intake(session, who, item, ctx)
    _expect(item, expected_version)
    _close(task, TaskOutcome.RETURNED, ctx, who.account_id, on_behalf, comment)
    _cancel_open(item, ctx)
    before = _move(item, Action.RETURN, ctx)
    _event(
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
    comment = _require_comment(comment)
    item = get_visible(session, who, item_id, lock=True)
    task, on_behalf = _intake(session, who, item, ctx)
    _expect(item, expected_version)
    if item.state is not S.SUBMITTED:
        raise ItemConflict(N_("已受理的事项不能不予受理，请退回补正或提交领导决定"))
    _close(task, TaskOutcome.REJECTED, ctx, who.account_id, on_behalf, comment)
    before = _move(item, Action.REJECT, ctx)
    item.due_on = None
    _event(
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
    if item.state is not S.JOINT_REVIEW:
        raise ItemConflict(N_("联审已结束，请刷新查看最新状态"))
    found = my_open_task(session, who, item, ctx.clock.today, JOINT_STAGES)
    if found is None:
        raise NotAllowed(N_("您没有办理此环节的权限"))
    task, on_behalf = found
    _expect(item, expected_version)
    if not agree:
        comment = _require_comment(comment)
    outcome = TaskOutcome.PASSED if agree else TaskOutcome.OBJECTED
    _close(task, outcome, ctx, who.account_id, on_behalf, comment)
    item.version += 1
    item.updated_at = ctx.clock.now
    _event(
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
        _cancel_open(item, ctx)
        done = True
    if done:
        before = _move(item, Action.FINISH_JOINT_REVIEW, ctx)
        _open_task(session, item, _decision_plan(item, payload_of(item), ctx)[0], ctx)
        _event(session, item, None, "joint_review_done", ctx, before=before)
    return item


# -- decisions ----------------------------------------------------------------------------


def _decision_plan(item: Item, payload: p.Payload, ctx: Context) -> tuple[TaskStage, ...]:
    return decision_stages(item.item_type, payload, ctx.policy, item.committee)


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
    if item.state is not S.AWAITING_DECISION:
        raise ItemConflict(N_("此事项已有决定或已不在待决定环节，您的意见未保存"))
    if version_hash(item) != version_hash_seen:
        raise ItemConflict(N_("事项在您打开页面后已被修改或已由他人处理，请刷新后重新核对"))
    found = my_open_task(session, who, item, ctx.clock.today, DECISION_STAGES)
    if found is None:
        raise NotAllowed(N_("您没有决定此事项的权限"))
    task, on_behalf = found
    if verdict is not Verdict.APPROVE:
        comment = _require_comment(comment)
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
        plan = _decision_plan(item, payload, ctx)
        failures = item_checks.blocking_failures(checks_for(session, item, ctx))
        if failures:
            raise ChecksFailed(failures)
        _close(task, TaskOutcome.APPROVED, ctx, who.account_id, on_behalf, comment)
        remaining = plan[plan.index(task.stage) + 1 :] if task.stage in plan else ()
        if remaining:
            item.version += 1
            item.updated_at = ctx.clock.now
            _open_task(session, item, remaining[0], ctx)
            _event(
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
    _close(task, outcome, ctx, who.account_id, on_behalf, comment)
    _cancel_open(item, ctx)
    before = _move(item, Action.REJECT if verdict is Verdict.REJECT else Action.RETURN, ctx)
    item.decided_at = ctx.clock.now if verdict is Verdict.REJECT else None
    _event(
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
    _cancel_open(item, ctx)
    before = _move(item, Action.APPROVE, ctx)
    _event(
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
        before = _move(item, Action.COMPLETE, ctx)
        _event(session, item, None, "complete", ctx, before=before)
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
    if origin.state is S.APPROVED:
        before = _move(origin, Action.EXECUTE, ctx)
        _event(session, origin, None, "execute", ctx, before=before)
    if reservation.consumed >= reservation.granted:
        before = _move(origin, Action.COMPLETE, ctx)
        _event(session, origin, None, "complete", ctx, before=before)


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
    comment = _require_comment(comment)
    item = get_visible(session, who, item_id, lock=True)
    if item.item_type is not ItemType.QUOTA_USE or not workflow.can(item.state, Action.REVOKE):
        raise ItemConflict(N_("此事项不能撤销"))
    final_stage = _decision_plan(item, payload_of(item), ctx)[-1]
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
    before = _move(item, Action.REVOKE, ctx)
    _event(session, item, who.account_id, "revoke", ctx, before=before, comment=comment)
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
    _expect(item, expected_version)
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
    before = _move(item, Action.COMPLETE, ctx)
    _event(session, item, who.account_id, "complete", ctx, before=before, comment=comment)
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
        before = _move(item, Action.EXPIRE, ctx)
        _event(session, item, None, "expire", ctx, before=before)
    return len(lapsed)


# -- the inbox verbs ----------------------------------------------------------------------


def urge(session: Session, who: Participant, item_id: int, *, ctx: Context) -> int:
    """催办: remind whoever holds the open steps; at most once per ⚙ interval per item."""
    item = get_visible(session, who, item_id, lock=True)
    if not (item.requester_id == who.account_id or who.is_office):
        raise NotAllowed(N_("只有申报人或编办可以催办"))
    tasks = open_tasks(item)
    if not tasks:
        raise ItemConflict(N_("事项没有待办环节，无需催办"))
    last = max((t.last_reminded_at for t in tasks if t.last_reminded_at), default=None)
    if last is not None and ctx.clock.now - last < ctx.policy.reminder_interval:
        hours = ctx.policy.reminder_interval.total_seconds() / 3600
        raise ItemError(N_("已催办过，%(hours)g 小时内不能重复催办"), hours=hours)
    for task in tasks:
        task.reminders += 1
        task.last_reminded_at = ctx.clock.now
    _event(
        session,
        item,
        who.account_id,
        "urge",
        ctx,
        detail={"stages": [t.stage.value for t in tasks]},
    )
    return len(tasks)


def transfer(
    session: Session,
    who: Participant,
    item_id: int,
    *,
    to_account_id: int,
    comment: str,
    ctx: Context,
) -> Item:
    """转交: hand the step ``who`` holds to a colleague who holds the same authority."""
    item = get_visible(session, who, item_id, lock=True)
    found = my_open_task(session, who, item, ctx.clock.today, tuple(TaskStage))
    if found is None:
        raise NotAllowed(N_("您没有可转交的待办"))
    task, on_behalf = found
    target = session.get(Account, to_account_id)
    unit = session.get(Unit, item.unit_id)
    role = Role(task.required_role)
    if (
        target is None
        or target.id == who.account_id
        or target.disabled_at is not None
        or role not in target.role_set
        or target.id == item.requester_id
        or not scope_for(session, target).covers_unit(unit)
    ):
        raise ItemError(N_("只能转交给对本单位有同等权限的其他同事"))
    task.assignee_id = target.id
    _event(
        session,
        item,
        who.account_id,
        "transfer",
        ctx,
        comment=comment,
        on_behalf_of=on_behalf,
        detail={"to": target.id, "stage": task.stage.value},
    )
    return item


def colleagues_for(session: Session, who: Participant, item: Item, task: ItemTask) -> list[Account]:
    """Whom ``task`` could be handed to (转交)."""
    unit = session.get(Unit, item.unit_id)
    role = Role(task.required_role)
    candidates = session.scalars(
        select(Account).where(Account.disabled_at.is_(None), Account.id != who.account_id)
    ).all()
    return [
        a
        for a in candidates
        if role in a.role_set
        and a.id != item.requester_id
        and scope_for(session, a).covers_unit(unit)
    ]


# -- delegation ---------------------------------------------------------------------------


def delegate(
    session: Session,
    who: Participant,
    *,
    to_account_id: int,
    starts_on: date,
    ends_on: date,
    note: str,
    ctx: Context,
) -> Delegation:
    if not who.roles & DELEGATING_ROLES:
        raise NotAllowed(N_("只有编办人员可以委托"))
    if ends_on < starts_on:
        raise ItemError(N_("结束日期不能早于开始日期"))
    if ends_on < ctx.clock.today:
        raise ItemError(N_("结束日期已过"))
    guard_text(note)
    if (ends_on - starts_on).days > 90:
        raise ItemError(N_("委托期限不能超过 90 天"))
    target = session.get(Account, to_account_id)
    if (
        target is None
        or target.id == who.account_id
        or target.disabled_at is not None
        or not target.role_set & OFFICE_ROLES
    ):
        raise ItemError(N_("只能委托给编办的其他同事"))
    delegation = Delegation(
        delegator_id=who.account_id,
        delegate_id=target.id,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note[:200],
        created_at=ctx.clock.now,
    )
    session.add(delegation)
    session.flush()
    return delegation


def end_delegation(session: Session, who: Participant, delegation_id: int, ctx: Context) -> None:
    delegation = session.get(Delegation, delegation_id)
    if delegation is None or delegation.delegator_id != who.account_id:
        raise ItemNotFound()
    if delegation.revoked_at is None:
        delegation.revoked_at = ctx.clock.now


# -- attachments --------------------------------------------------------------------------


def attach(
    session: Session,
    who: Participant,
    item_id: int,
    *,
    filename: str,
    content_type: str,
    size: int,
    sha256: str,
    ctx: Context,
) -> ItemAttachment:
    item = get_visible(session, who, item_id, lock=True)
    if item.requester_id != who.account_id:
        raise NotAllowed(N_("只有申报人可以上传附件"))
    if item.state not in workflow.EDITABLE:
        raise ItemConflict(N_("事项已提交，不能再添加附件；如需补充请联系编办退回补正"))
    count = len(
        session.scalars(select(ItemAttachment.id).where(ItemAttachment.item_id == item.id)).all()
    )
    if count >= ctx.policy.attachment_max_count:
        raise ItemError(N_("附件最多 %(count)d 个"), count=ctx.policy.attachment_max_count)
    attachment = ItemAttachment(
        item_id=item.id,
        filename=filename,
        content_type=content_type,
        size=size,
        sha256=sha256,
        uploaded_by_id=who.account_id,
        uploaded_at=ctx.clock.now,
    )
    session.add(attachment)
    item.version += 1
    item.updated_at = ctx.clock.now
    session.flush()
    _event(session, item, who.account_id, "attach", ctx, detail={"sha256": sha256})
    return attachment
