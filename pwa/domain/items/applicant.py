"""The applicant's steps: declaring an item (a draft, or submitted at once), editing a draft
or a returned item (补正), submitting, withdrawing and attaching files."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.i18n import N_
from auth.roles import Role
from pwa.domain import workflow
from pwa.domain.workflow import Action
from pwa.models import ItemAttachment, ItemState, ItemType, TaskStage, Unit
from pwa.models.item import Item

from . import checks as item_checks
from . import effects
from . import payloads as p
from .context import Context, Participant
from .errors import ItemConflict, ItemError, ItemNotFound, NotAllowed
from .reading import checks_for, get_visible
from .routing import CLERK_TYPES
from .steps import (
    advance,
    cancel_open_tasks,
    expect_version,
    guard_text,
    payload_texts,
    record_event,
    start_task,
)


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
    guard_text(*payload_texts(draft.payload))
    if not may_declare(who, draft.item_type):
        raise NotAllowed(N_("您不能申报此类事项"))
    unit = session.get(Unit, draft.unit_id)
    if unit is None or not who.scope.covers_unit(unit):
        raise ItemNotFound()
    if unit.abolished_on is not None:
        raise ItemError(N_("单位已撤销，不能申报"))
    item = Item(
        item_type=draft.item_type,
        state=ItemState.DRAFT,
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
    record_event(session, item, who.account_id, "create", ctx)
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
    expect_version(item, expected_version)
    if draft.item_type is not item.item_type or draft.unit_id != item.unit_id:
        raise ItemError(N_("不能更改事项类型或单位"))
    guard_text(*payload_texts(draft.payload))
    item.payload = p.dump(draft.payload)
    if draft.sealed:
        item.sealed_payload = effects.seal(ctx.keys.cipher, draft.sealed)
    item.committee = draft.committee
    item.version += 1
    item.updated_at = ctx.clock.now
    _flag(session, item, ctx)
    record_event(session, item, who.account_id, "edit", ctx)
    if submit:
        _submit(session, who, item, ctx)
    session.flush()
    return item


def _submit(session: Session, who: Participant, item: Item, ctx: Context) -> None:
    action = Action.RESUBMIT if item.state is ItemState.RETURNED else Action.SUBMIT
    before = advance(item, action, ctx)
    item.submitted_at = ctx.clock.now
    start_task(session, item, TaskStage.INTAKE, ctx)
    record_event(session, item, who.account_id, action.value, ctx, before=before)


def submit(
    session: Session, who: Participant, item_id: int, *, expected_version: int, ctx: Context
) -> Item:
    item = get_visible(session, who, item_id, lock=True)
    if item.requester_id != who.account_id:
        raise NotAllowed(N_("只有申报人可以提交"))
    expect_version(item, expected_version)
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
    expect_version(item, expected_version)
    cancel_open_tasks(item, ctx)
    before = advance(item, Action.WITHDRAW, ctx)
    record_event(session, item, who.account_id, "withdraw", ctx, before=before, comment=comment)
    return item


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
    record_event(session, item, who.account_id, "attach", ctx, detail={"sha256": sha256})
    return attachment
