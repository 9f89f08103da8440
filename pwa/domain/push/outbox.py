"""The transactional outbox: a notification is a row written in the same transaction as the
event that caused it, so it exists exactly when the event does. The worker sends it later;
a dead push service can never slow down or roll back a decision.

Writing coalesces: while a message for (account, category) waits undispatched, further
events only raise its count, so a burst becomes one 「您有 3 项新的待办」.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Account
from pwa.models.push import PushMessage, PushSubscription

from . import preferences
from .categories import SPECS, Category

PENDING = "pending"  # waiting for the worker (maybe deferred: quiet hours, the hourly cap)
DISPATCHED = "dispatched"  # handed to the account's subscriptions as deliveries
DROPPED = "dropped"  # nothing to deliver to by the time the worker came

# Where a tap leads when a message stands for several events: the inbox, not one item.
GENERAL_TARGET = {
    Category.TASK: "/items",
    Category.REMINDER: "/items",
    Category.DEADLINE: "/items",
    Category.OUTCOME: "/items?box=mine",
    Category.SECURITY: "/account",
    Category.TEST: "/account",
}


def item_target(item_id: int) -> str:
    return f"/items/{item_id}"


def notify(
    session: Session,
    account_ids: Iterable[int],
    category: Category,
    *,
    now: datetime,
    zone: ZoneInfo,
    target: str | None = None,
    count: int = 1,
    deliver_now: bool = False,
) -> int:
    """Queue one notification for each of ``account_ids`` that has a subscription, wants
    ``category`` and is not disabled; returns how many were queued or coalesced."""
    wanted = sorted(set(account_ids))
    if not wanted:
        return 0
    reachable = set(
        session.scalars(
            select(PushSubscription.account_id)
            .join(Account, Account.id == PushSubscription.account_id)
            .where(PushSubscription.account_id.in_(wanted), Account.disabled_at.is_(None))
            .distinct()
        )
    )
    if not reachable:
        return 0
    prefs = preferences.load_many(session, sorted(reachable))
    always = SPECS[category].always_on
    waiting = {
        m.account_id: m
        for m in session.scalars(
            select(PushMessage)
            .where(
                PushMessage.account_id.in_(sorted(reachable)),
                PushMessage.category == category.value,
                PushMessage.state == PENDING,
            )
            # Locked, and re-checked once the lock is ours: a message the worker is
            # dispatching right now is no longer pending, so the event gets a new one.
            .with_for_update()
        )
    }
    queued = 0
    for account_id in sorted(reachable):
        pref = prefs.get(account_id, preferences.Preferences())
        if not pref.wants(category):
            continue
        queued += 1
        message = waiting.get(account_id)
        if message is not None:
            message.count += count
            if message.target != target:
                message.target = GENERAL_TARGET[category]
            message.updated_at = now
            continue
        quiet = None if always or deliver_now else pref.quiet_until(now, zone)
        session.add(
            PushMessage(
                token=secrets.token_urlsafe(16),
                account_id=account_id,
                category=category.value,
                count=count,
                target=target or GENERAL_TARGET[category],
                state=PENDING,
                created_at=now,
                updated_at=now,
                not_before=quiet or now,
                note="quiet hours" if quiet else "",
            )
        )
    session.flush()
    return queued


def opened(session: Session, account_id: int, token: str, now: datetime) -> str | None:
    """A tap on a notification: where it leads (for this account only), marked as opened."""
    message = session.scalar(
        select(PushMessage).where(PushMessage.token == token, PushMessage.account_id == account_id)
    )
    if message is None:
        return None
    message.opened_at = message.opened_at or now
    return message.target
