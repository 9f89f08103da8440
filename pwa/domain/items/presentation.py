"""What the item pages show, as plain data: the payload fields within the reader's remit, the
quota position an item changes, the joint-review opinions, the history and what the viewer
may do now.

Names, enum members, dates and times only: the web layer labels and formats them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Account
from pwa.domain import quota, workflow
from pwa.models import (
    Funding,
    ItemEvent,
    ItemState,
    ItemTask,
    ItemType,
    Occupancy,
    QuotaKind,
    QuotaReservation,
    TaskOutcome,
    TaskStage,
)
from pwa.models.item import Item

from . import checks as item_checks
from . import payloads as p
from . import service
from .routing import DECISION_STAGES, JOINT_STAGES

# Internal references that mean nothing to a reader (the person is shown instead).
HIDDEN_FIELDS = frozenset({"occupancy_id"})
LONG_FIELDS = frozenset({"reason", "functions", "scope_description", "purpose"})
# Never on the printed sheet.
SHEET_EXCLUDED = frozenset({"id_number_masked", "birth_date"})
# The states an approval sheet exists in.
SHEET_STATES = frozenset({ItemState.APPROVED, ItemState.EXECUTING, ItemState.COMPLETED})


def account_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = session.execute(select(Account.id, Account.display_name).where(Account.id.in_(wanted)))
    return {row.id: row.display_name for row in rows}


def is_undecided(item: Item) -> bool:
    """Still open to a decision (or to editing by the applicant)."""
    return item.state in workflow.UNDECIDED or item.state in workflow.EDITABLE


def sheet_available(item: Item, who: service.Participant) -> bool:
    return item.state in SHEET_STATES and (item.requester_id == who.account_id or who.is_office)


# -- the payload within the reader's remit ----------------------------------------------------


def visible_groups(item: Item, who: service.Participant) -> frozenset[p.FieldGroup]:
    if item.requester_id == who.account_id:
        return frozenset(p.FieldGroup)  # the applicant sees what they declared
    return p.visible_groups(who.roles)


@dataclass(frozen=True)
class PayloadField:
    name: str
    value: Any
    long: bool


def visible_fields(
    item: Item, groups: frozenset[p.FieldGroup], *, sheet: bool = False
) -> list[PayloadField]:
    """The payload's fields that ``groups`` may see; nothing else of it reaches the page."""
    payload = service.payload_of(item)
    return [
        PayloadField(f.name, getattr(payload, f.name), long=f.name in LONG_FIELDS)
        for f in fields(payload)
        if f.name not in HIDDEN_FIELDS
        and not (sheet and f.name in SHEET_EXCLUDED)
        and p.group_of(item.item_type, f.name) in groups
    ]


# -- the quota position the item changes ------------------------------------------------------


@dataclass(frozen=True)
class QuotaView:
    kind: QuotaKind
    funding: Funding
    before: quota.QuotaPosition
    after: quota.QuotaPosition | None  # None once the item is decided


@dataclass(frozen=True)
class QuotaShift:
    """How an approval moves one (kind, funding) account: places approved, people on it,
    places reserved."""

    kind: QuotaKind
    funding: Funding
    approved: int = 0
    actual: int = 0
    reserved: int = 0

    def applied_to(self, pos: quota.QuotaPosition) -> quota.QuotaPosition:
        return quota.QuotaPosition(
            pos.kind,
            pos.funding,
            pos.approved + self.approved,
            max(pos.actual + self.actual, 0),
            max(pos.reserved + self.reserved, 0),
        )


def _quota_shift(session: Session, item: Item, payload: p.Payload) -> QuotaShift | None:
    if isinstance(payload, p.QuotaUse):
        return QuotaShift(payload.kind, payload.funding, reserved=payload.count)
    if isinstance(payload, p.QuotaAdjust):
        return QuotaShift(payload.kind, payload.funding, approved=payload.delta)
    if isinstance(payload, p.StaffEntry):
        reservation = session.get(QuotaReservation, payload.reservation_id)
        if reservation is None or reservation.unit_id != item.unit_id:
            return None
        return QuotaShift(reservation.kind, reservation.funding, actual=1, reserved=-1)
    if isinstance(payload, p.StaffExit):
        occupancy = session.get(Occupancy, payload.occupancy_id)
        if occupancy is None or occupancy.unit_id != item.unit_id:
            return None
        return QuotaShift(occupancy.kind, occupancy.funding, actual=-1)
    return None


def quota_view(session: Session, item: Item, today: date) -> QuotaView | None:
    """The quota position the item changes, before and (while undecided) after."""
    shift = _quota_shift(session, item, service.payload_of(item))
    if shift is None:
        return None
    before = item_checks.position_of(session, item.unit_id, shift.kind, shift.funding, today)
    after = shift.applied_to(before) if is_undecided(item) else None
    return QuotaView(shift.kind, shift.funding, before, after)


# -- opinions and history ---------------------------------------------------------------------


@dataclass(frozen=True)
class Opinion:
    stage: TaskStage
    outcome: TaskOutcome | None
    comment: str
    actor: str
    on_behalf_of: str
    closed_at: datetime | None
    due_on: date


def opinions_of(item: Item, names: dict[int, str]) -> list[Opinion]:
    """The joint-review departments' opinions, given or awaited (cancelled ones left out)."""
    return [
        Opinion(
            stage=t.stage,
            outcome=t.outcome,
            comment=t.comment,
            actor=names.get(t.acted_by_id or 0, ""),
            on_behalf_of=names.get(t.on_behalf_of_id or 0, ""),
            closed_at=t.closed_at,
            due_on=t.due_on,
        )
        for t in item.tasks
        if t.stage in JOINT_STAGES and t.outcome is not TaskOutcome.CANCELLED
    ]


@dataclass(frozen=True)
class HistoryEntry:
    occurred_at: datetime
    actor: str | None  # None: the system acted
    on_behalf_of: str
    action: str
    detail: dict[str, Any]
    comment: str


def _detail_of(event: ItemEvent) -> dict[str, Any]:
    try:
        return json.loads(event.detail) if event.detail else {}
    except ValueError:
        return {}


def history_of(session: Session, item: Item) -> tuple[list[HistoryEntry], dict[int, str]]:
    """The item's events, oldest first, and the names of everyone the item page mentions."""
    events = session.scalars(
        select(ItemEvent).where(ItemEvent.item_id == item.id).order_by(ItemEvent.id)
    ).all()
    details = [_detail_of(e) for e in events]
    names = account_names(
        session,
        [e.actor_id for e in events]
        + [e.on_behalf_of_id for e in events]
        + [d.get("to") for e, d in zip(events, details, strict=True) if e.action == "transfer"]
        + [t.acted_by_id for t in item.tasks]
        + [t.on_behalf_of_id for t in item.tasks]
        + [item.requester_id],
    )
    entries = [
        HistoryEntry(
            occurred_at=e.occurred_at,
            actor=names.get(e.actor_id, "") if e.actor_id else None,
            on_behalf_of=names.get(e.on_behalf_of_id or 0, ""),
            action=e.action,
            detail=detail,
            comment=e.comment,
        )
        for e, detail in zip(events, details, strict=True)
    ]
    return entries, names


# -- what the viewer may do now ---------------------------------------------------------------


@dataclass
class Actions:
    """The steps the viewer may take on the item now; ``*_on_behalf`` names the delegator
    when they would act through a 委托."""

    intake: ItemTask | None = None
    intake_on_behalf: str = ""
    forward_to_joint: bool = False
    joint: ItemTask | None = None
    joint_on_behalf: str = ""
    decision: ItemTask | None = None
    decision_on_behalf: str = ""
    revoke: bool = False
    complete: bool = False
    urge: bool = False
    urge_again_at: datetime | None = None  # set while the last reminder is too recent
    transfer_to: list[tuple[int, str]] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(
            self.intake
            or self.joint
            or self.decision
            or self.revoke
            or self.complete
            or self.urge
            or self.transfer_to
        )


def actions_for(
    session: Session, item: Item, who: service.Participant, ctx: service.Context
) -> Actions:
    actions = Actions()
    today = ctx.clock.today
    names: dict[int, str] = {}

    def my_task(stages: tuple[TaskStage, ...]) -> tuple[ItemTask | None, str]:
        found = service.my_open_task(session, who, item, today, stages)
        if found is None:
            return None, ""
        task, delegator = found
        if delegator and delegator not in names:
            names.update(account_names(session, [delegator]))
        return task, names.get(delegator, "") if delegator else ""

    if item.state in (ItemState.SUBMITTED, ItemState.ACCEPTED, ItemState.UNDER_REVIEW):
        actions.intake, actions.intake_on_behalf = my_task((TaskStage.INTAKE,))
        actions.forward_to_joint = bool(actions.intake and service.joint_route(session, item))
    if item.state is ItemState.JOINT_REVIEW:
        actions.joint, actions.joint_on_behalf = my_task(JOINT_STAGES)
    if item.state is ItemState.AWAITING_DECISION:
        actions.decision, actions.decision_on_behalf = my_task(DECISION_STAGES)
    actions.revoke = (
        item.item_type is ItemType.QUOTA_USE
        and workflow.can(item.state, workflow.Action.REVOKE)
        and bool(who.roles & service.DECIDER_ROLES)
        and item.requester_id != who.account_id
    )
    actions.complete = who.is_office and workflow.can(item.state, workflow.Action.COMPLETE)
    open_tasks = service.open_tasks(item)
    actions.urge = bool(open_tasks) and (item.requester_id == who.account_id or who.is_office)
    if actions.urge:
        last = max((t.last_reminded_at for t in open_tasks if t.last_reminded_at), default=None)
        if last is not None and ctx.clock.now - last < ctx.policy.reminder_interval:
            actions.urge_again_at = last + ctx.policy.reminder_interval
    mine = service.my_open_task(session, who, item, today, tuple(TaskStage))
    if mine:
        actions.transfer_to = [
            (a.id, a.display_name)
            for a in service.colleagues_for(session, who, item, mine[0])
            if a.id != mine[0].assignee_id
        ]
    return actions
