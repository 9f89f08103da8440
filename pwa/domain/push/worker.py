"""Draining the outbox: pending messages become deliveries (one per subscription of the
account, ⚙ at most 10 messages per account per hour, the rest deferred and coalesced),
deliveries are leased, sent outside any transaction, and their outcome recorded:
2xx sent; 404/410 the subscription is gone and deleted; 429/5xx/unreachable retried with
exponential back-off honouring Retry-After; anything else failed and recorded.

On PostgreSQL several workers cooperate: rows are claimed with FOR UPDATE SKIP LOCKED and
then leased, so no network call ever runs inside a transaction (on SQLite that would hold
the database's write lock while a push service thinks).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from pwa.db import write_session
from pwa.domain.crypto import FieldCipher
from pwa.models import ItemTask
from pwa.models.push import PushDelivery, PushMessage, PushSubscription

from . import outbox, subscriptions
from .categories import SPECS, Category
from .recipients import step_holders
from .sender import Sent

log = logging.getLogger(__name__)

PENDING, SENT, GONE, FAILED = "pending", "sent", "gone", "failed"
RETRYABLE = frozenset({"40P01", "40001"})  # PostgreSQL: deadlock, serialization failure


@dataclass(frozen=True)
class WorkerPolicy:
    max_per_hour: int = 10  # ⚙ pushes per account per hour; the rest wait, coalesced
    max_attempts: int = 6  # ⚙ per delivery, then it is recorded as failed
    first_retry: timedelta = timedelta(seconds=30)
    longest_retry: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=2)  # a crashed worker's claims return after this
    batch: int = 100
    parallel_sends: int = 8
    deadline_lead: timedelta = timedelta(days=1)  # ⚙ warn the day before a step is due
    keep: timedelta = timedelta(days=30)  # ⚙ how long sent messages stay (taps resolve)


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    endpoint: str
    p256dh: str
    auth: bytes
    payload: str
    ttl: int
    urgency: str
    topic: str


@dataclass
class Round:
    dispatched: int = 0
    deferred: int = 0
    dropped: int = 0
    sent: int = 0
    gone: int = 0
    retried: int = 0
    failed: int = 0
    statuses: list[int | None] = field(default_factory=list)

    def absorb(self, other: Round) -> None:
        for name in ("dispatched", "deferred", "dropped", "sent", "gone", "retried", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.statuses.extend(other.statuses)

    @property
    def busy(self) -> bool:
        return bool(self.dispatched or self.sent or self.gone or self.retried or self.failed)


class Sender:  # the shape of sender.WebPushSender, for type checkers
    def send(self, **kwargs: object) -> Sent: ...


Texts = Callable[[Category, int], tuple[str, str]]
BadgeCount = Callable[[Session, int], int | None]


class Worker:
    def __init__(
        self,
        factory: sessionmaker[Session],
        sender: Sender,
        cipher: FieldCipher,
        *,
        texts: Texts,
        badge_count: BadgeCount | None = None,
        policy: WorkerPolicy | None = None,
    ) -> None:
        self.factory = factory
        self.sender = sender
        self.cipher = cipher
        self.texts = texts
        self.badge_count = badge_count
        self.policy = policy or WorkerPolicy()

    # --- messages → deliveries ----------------------------------------------------------

    def dispatch_due(self, now: datetime, result: Round) -> None:
        with write_session(self.factory) as session:
            due = session.scalars(
                select(PushMessage)
                .where(PushMessage.state == outbox.PENDING, PushMessage.not_before <= now)
                .order_by(PushMessage.not_before, PushMessage.id)
                .limit(self.policy.batch)
                .with_for_update(skip_locked=True)
            ).all()
            for message in due:
                self._dispatch(session, message, now, result)

    def _dispatch(self, session: Session, message: PushMessage, now: datetime, result: Round):
        window = now - timedelta(hours=1)
        recent = session.execute(
            select(func.count(), func.min(PushMessage.dispatched_at)).where(
                PushMessage.account_id == message.account_id,
                PushMessage.dispatched_at > window,
            )
        ).one()
        if recent[0] >= self.policy.max_per_hour:
            message.not_before = recent[1] + timedelta(hours=1)
            message.note = "hourly cap"
            result.deferred += 1
            return
        targets = session.scalars(
            select(PushSubscription.id).where(PushSubscription.account_id == message.account_id)
        ).all()
        if not targets:
            message.state = outbox.DROPPED
            result.dropped += 1
            return
        for subscription_id in targets:
            session.add(
                PushDelivery(
                    message_id=message.id,
                    subscription_id=subscription_id,
                    state=PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    last_error="",
                )
            )
        message.state = outbox.DISPATCHED
        message.dispatched_at = now
        result.dispatched += 1

    # --- deliveries → push service --------------------------------------------------------

    def claim(self, now: datetime) -> list[Claim]:
        claims: list[Claim] = []
        badges: dict[int, int | None] = {}
        with write_session(self.factory) as session:
            rows = session.execute(
                select(PushDelivery, PushMessage, PushSubscription)
                .join(PushMessage, PushMessage.id == PushDelivery.message_id)
                .outerjoin(PushSubscription, PushSubscription.id == PushDelivery.subscription_id)
                .where(
                    PushDelivery.state == PENDING,
                    PushDelivery.next_attempt_at <= now,
                    or_(PushDelivery.leased_until.is_(None), PushDelivery.leased_until < now),
                )
                .order_by(PushDelivery.next_attempt_at, PushDelivery.id)
                .limit(self.policy.batch)
                .with_for_update(of=PushDelivery, skip_locked=True)
            ).all()
            for delivery, message, subscription in rows:
                if subscription is None:  # removed since (logout, 410 on a sibling message)
                    delivery.state = GONE
                    continue
                delivery.leased_until = now + self.policy.lease
                if message.account_id not in badges:
                    badges[message.account_id] = (
                        self.badge_count(session, message.account_id) if self.badge_count else None
                    )
                category = Category(message.category)
                spec = SPECS[category]
                claims.append(
                    Claim(
                        delivery_id=delivery.id,
                        endpoint=subscription.endpoint,
                        p256dh=subscription.p256dh,
                        auth=subscriptions.auth_secret(subscription, self.cipher),
                        payload=self.payload(message, badges[message.account_id]),
                        ttl=int(spec.ttl.total_seconds()),
                        urgency=spec.urgency,
                        topic=category.value,
                    )
                )
        return claims

    def payload(self, message: PushMessage, badge: int | None) -> str:
        """The whole of what leaves the server: an opaque id, the category, fixed text with a
        count, and the inbox count for the app badge. Nothing about any item or person."""
        category = Category(message.category)
        title, body = self.texts(category, message.count)
        data = {"id": message.token, "category": category.value, "title": title, "body": body}
        data["count"] = message.count
        if badge is not None:
            data["badge"] = badge
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def send(self, claims: list[Claim]) -> list[tuple[Claim, Sent]]:
        def one(claim: Claim) -> tuple[Claim, Sent]:
            try:
                return claim, self.sender.send(
                    endpoint=claim.endpoint,
                    p256dh=claim.p256dh,
                    auth=claim.auth,
                    payload=claim.payload,
                    ttl=claim.ttl,
                    urgency=claim.urgency,
                    topic=claim.topic,
                )
            except Exception as exc:  # noqa: BLE001 - one bad subscription must not stop the rest
                log.exception("push: send failed")
                return claim, Sent(None, error=type(exc).__name__)

        if len(claims) <= 1:
            return [one(c) for c in claims]
        with ThreadPoolExecutor(max_workers=self.policy.parallel_sends) as pool:
            return list(pool.map(one, claims))

    def record(self, outcomes: list[tuple[Claim, Sent]], now: datetime, result: Round) -> None:
        if not outcomes:
            return
        for attempt in range(3):
            tally = Round()
            try:
                self._record(outcomes, now, tally)
            except DBAPIError as exc:
                # A 410 deleting a subscription while another worker records a success for
                # it can still deadlock; the transaction is rolled back, so just redo it.
                if attempt == 2 or getattr(exc.orig, "sqlstate", None) not in RETRYABLE:
                    raise
                continue
            result.absorb(tally)
            return

    def _record(self, outcomes: list[tuple[Claim, Sent]], now: datetime, result: Round) -> None:
        # Several workers may record pushes to the same phone at once: every one of them
        # updates subscription rows in the same order (endpoint is unique per row), or
        # PostgreSQL finds a deadlock and the round's outcomes are lost.
        ordered = sorted(
            outcomes, key=lambda outcome: (outcome[0].endpoint, outcome[0].delivery_id)
        )
        with write_session(self.factory) as session:
            for claim, sent in ordered:
                delivery = session.get(PushDelivery, claim.delivery_id)
                if delivery is None:
                    continue
                subscription = (
                    session.get(PushSubscription, delivery.subscription_id)
                    if delivery.subscription_id
                    else None
                )
                delivery.attempts += 1
                delivery.last_status = sent.status
                delivery.leased_until = None
                delivery.last_error = sent.error
                result.statuses.append(sent.status)
                if sent.ok:
                    delivery.state, delivery.sent_at = SENT, now
                    if subscription is not None:
                        subscription.last_success_at, subscription.failures = now, 0
                        subscription.last_error = ""
                    result.sent += 1
                elif sent.gone:
                    delivery.state = GONE
                    if subscription is not None:
                        session.delete(subscription)
                    result.gone += 1
                elif sent.retryable and delivery.attempts < self.policy.max_attempts:
                    delivery.next_attempt_at = now + self._backoff(delivery.attempts, sent)
                    result.retried += 1
                else:
                    delivery.state = FAILED
                    if subscription is not None:
                        subscription.failures += 1
                        subscription.last_error = sent.error[:255]
                    result.failed += 1

    def _backoff(self, attempts: int, sent: Sent) -> timedelta:
        delay = min(self.policy.first_retry * (2 ** (attempts - 1)), self.policy.longest_retry)
        if sent.retry_after is not None:
            delay = max(delay, timedelta(seconds=min(sent.retry_after, 86400)))
        return delay

    # --- scheduled: deadlines -------------------------------------------------------------

    def queue_deadlines(self, now: datetime, today: date, zone: ZoneInfo) -> int:
        """Warn the holders of open steps due within ⚙ a day, once per step."""
        horizon = today + self.policy.deadline_lead
        warned = 0
        with write_session(self.factory) as session:
            tasks = session.scalars(
                select(ItemTask)
                .where(
                    ItemTask.closed_at.is_(None),
                    ItemTask.due_on <= horizon,
                    ItemTask.due_on >= today,
                    ItemTask.deadline_warned_on.is_(None),
                )
                .limit(500)
                .with_for_update(skip_locked=True)
            ).all()
            for task in tasks:
                task.deadline_warned_on = today
                warned += outbox.notify(
                    session,
                    step_holders(session, task, today),
                    Category.DEADLINE,
                    now=now,
                    zone=zone,
                    target=outbox.item_target(task.item_id),
                )
        return warned

    # --- one round --------------------------------------------------------------------------

    # --- housekeeping ---------------------------------------------------------------------

    def purge(self, now: datetime) -> int:
        """Forget messages handled longer ago than ⚙ 30 days (their deliveries go with
        them); a tap on such an old notification leads to the home page."""
        with write_session(self.factory, durable=False) as session:
            result = session.execute(
                delete(PushMessage).where(
                    PushMessage.state != outbox.PENDING,
                    PushMessage.updated_at < now - self.policy.keep,
                )
            )
            return result.rowcount or 0

    def run_once(self, now: datetime) -> Round:
        result = Round()
        self.dispatch_due(now, result)
        claims = self.claim(now)
        self.record(self.send(claims), now, result)
        return result
