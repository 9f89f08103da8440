"""Reading an item: loading it for someone who may see it, who may act on its open steps
(in their own right or through a 委托), where it goes next, what a decider signs and the
automatic checks."""

from __future__ import annotations

import hashlib
import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from auth.i18n import N_
from auth.models import Account
from auth.roles import Role
from auth.scope import scope_for
from pwa.models import ItemCopy, ItemState, ItemTask, QuotaReservation, TaskStage, Unit
from pwa.models.item import Item

from . import checks as item_checks
from . import effects
from . import payloads as p
from .context import JOINT_ROLES, Context, Participant
from .delegation import active_delegators
from .errors import ItemError, ItemNotFound, NotAllowed
from .routing import CLERK_TYPES, DECISION_STAGES, decision_stages, delegable, joint_stages
from .steps import open_tasks


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
    if item.state is ItemState.DRAFT or (
        item.state is ItemState.WITHDRAWN and item.submitted_at is None
    ):
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


def decision_plan(item: Item, payload: p.Payload, ctx: Context) -> tuple[TaskStage, ...]:
    return decision_stages(item.item_type, payload, ctx.policy, item.committee)


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
