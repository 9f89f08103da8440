"""Item steps that people hear of by push: a step opened for me (or handed to me), 催办 on
my step, and an outcome of my own item. The item services call these while they write;
the notifications are queued at commit, in the same transaction, once ids exist."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from pwa.models import ItemState, ItemTask
from pwa.models.item import Item

from . import outbox
from .categories import Category
from .recipients import step_holders

if TYPE_CHECKING:
    from pwa.domain.items.context import Context

log = logging.getLogger(__name__)
_QUEUE = "push.on_commit"
_OUTCOMES = "push.on_commit.outcomes"  # items whose requester is told of in this transaction

# States the requester hears of, unless they caused them (a withdrawal, say).
OUTCOME_STATES = frozenset(
    {
        ItemState.APPROVED,
        ItemState.REJECTED,
        ItemState.RETURNED,
        ItemState.COMPLETED,
        ItemState.REVOKED,
        ItemState.EXPIRED,
    }
)


def _on_commit(session: Session, work: Callable[[], None]) -> None:
    session.info.setdefault(_QUEUE, []).append(work)


@event.listens_for(Session, "before_commit")
def _drain(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's commit (ours below included): wait for the real one
    session.info.pop(_OUTCOMES, None)
    queued = session.info.pop(_QUEUE, None)
    if not queued:
        return
    session.flush()
    try:
        # A savepoint: a fault in working out who to notify must never undo the step.
        with session.begin_nested():
            for work in queued:
                work()
    except Exception:  # noqa: BLE001 - notifications are best-effort by design
        log.exception("push: could not queue notifications; the step itself is kept")


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.nested or previous_transaction.parent is not None:
        return  # a savepoint rolled back; the outer transaction (and its steps) go on
    session.info.pop(_QUEUE, None)
    session.info.pop(_OUTCOMES, None)


def step_opened(session: Session, task: ItemTask, ctx: Context) -> None:
    def work() -> None:
        outbox.notify(
            session,
            step_holders(session, task, ctx.clock.today),
            Category.TASK,
            now=ctx.clock.now,
            zone=ctx.zone,
            target=outbox.item_target(task.item.id),
        )

    _on_commit(session, work)


def step_handed_over(session: Session, item: Item, account_id: int, ctx: Context) -> None:
    _on_commit(
        session,
        lambda: outbox.notify(
            session,
            [account_id],
            Category.TASK,
            now=ctx.clock.now,
            zone=ctx.zone,
            target=outbox.item_target(item.id),
        ),
    )


def steps_urged(session: Session, item: Item, tasks: list[ItemTask], ctx: Context) -> None:
    def work() -> None:
        holders: set[int] = set()
        for task in tasks:
            holders |= step_holders(session, task, ctx.clock.today)
        outbox.notify(
            session,
            holders,
            Category.REMINDER,
            now=ctx.clock.now,
            zone=ctx.zone,
            target=outbox.item_target(item.id),
        )

    _on_commit(session, work)


def state_changed(
    session: Session, item: Item, before: ItemState | None, actor_id: int | None, ctx: Context
) -> None:
    if before is None or item.state == before or item.state not in OUTCOME_STATES:
        return
    if actor_id == item.requester_id:
        return
    # One step may take an item through two outcomes (approved, then completed at once):
    # the requester hears of the item once, not "2 项事项".
    told = session.info.setdefault(_OUTCOMES, set())
    if item.id in told:
        return
    told.add(item.id)
    _on_commit(
        session,
        lambda: outbox.notify(
            session,
            [item.requester_id],
            Category.OUTCOME,
            now=ctx.clock.now,
            zone=ctx.zone,
            target=outbox.item_target(item.id),
        ),
    )
