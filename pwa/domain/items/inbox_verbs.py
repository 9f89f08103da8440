"""The inbox verbs: 催办 (remind whoever holds the open steps) and 转交 (hand one's step to a
colleague with the same authority)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.i18n import N_
from auth.models import Account
from auth.roles import Role
from auth.scope import scope_for
from pwa.domain.push import item_events
from pwa.models import ItemTask, TaskStage, Unit
from pwa.models.item import Item

from .context import Context, Participant
from .errors import ItemConflict, ItemError, NotAllowed
from .reading import get_visible, my_open_task
from .steps import open_tasks, record_event


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
    record_event(
        session,
        item,
        who.account_id,
        "urge",
        ctx,
        detail={"stages": [t.stage.value for t in tasks]},
    )
    item_events.steps_urged(session, item, tasks, ctx)
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
    record_event(
        session,
        item,
        who.account_id,
        "transfer",
        ctx,
        comment=comment,
        on_behalf_of=on_behalf,
        detail={"to": target.id, "stage": task.stage.value},
    )
    item_events.step_handed_over(session, item, target.id, ctx)
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
