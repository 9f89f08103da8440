"""What every item step does when it writes: move the state (bumping the version), open and
close the item's tasks (its 环节) and keep its deadline, record the history event (and its
audit record), and refuse free text that carries an ID number."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.orm import Session

from auth.i18n import N_
from pwa.domain import audit, workflow
from pwa.domain.idnumber import find_valid_numbers
from pwa.domain.push import item_events
from pwa.domain.workflow import Action
from pwa.models import ItemEvent, ItemState, ItemTask, TaskOutcome, TaskStage
from pwa.models.item import Item

from . import payloads as p
from .context import Context
from .errors import ItemConflict, ItemError
from .routing import STAGE_ROLE


def open_tasks(item: Item) -> list[ItemTask]:
    return [t for t in item.tasks if t.closed_at is None]


def guard_text(*texts: str) -> None:
    """Free text (reasons, comments, notes) must not carry an ID number: those are only
    typed into their own field, and stored encrypted."""
    for text in texts:
        if text and find_valid_numbers(text):
            raise ItemError(N_("文字中不能包含身份证号：身份证号只能填写在专门的栏目中"))


def payload_texts(payload: p.Payload) -> list[str]:
    return [v for v in vars(payload).values() if isinstance(v, str)]


def record_event(
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
    item_events.state_changed(session, item, before, actor_id, ctx)


def advance(item: Item, action: Action, ctx: Context) -> ItemState:
    before = item.state
    item.state = workflow.advance(item.state, action)
    item.version += 1
    item.updated_at = ctx.clock.now
    return before


def start_task(session: Session, item: Item, stage: TaskStage, ctx: Context) -> ItemTask:
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
    item_events.step_opened(session, task, ctx)
    return task


def _refresh_due(item: Item) -> None:
    """The item's deadline is its earliest open step's (none when nothing is open)."""
    item.due_on = min((t.due_on for t in open_tasks(item)), default=None)


def close_task(
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


def cancel_open_tasks(item: Item, ctx: Context) -> None:
    for task in open_tasks(item):
        close_task(task, TaskOutcome.CANCELLED, ctx)
    item.due_on = None


def expect_version(item: Item, expected_version: int | None) -> None:
    if expected_version is not None and item.version != expected_version:
        raise ItemConflict(N_("事项已被他人更新，请刷新后再操作"))


def require_comment(comment: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise ItemError(N_("请填写意见或理由"))
    return comment
