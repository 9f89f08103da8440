"""Web Push: subscriptions per account and device, preferences, and the outbox the worker
drains (messages written in the same transaction as the event, deliveries per device)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class PushSubscription(Base):
    """One browser's push subscription. The endpoint is unique: a browser belongs to whoever
    signed in on it last. ``session_hash`` names the session that made it, so logging out
    there removes it."""

    __tablename__ = "push_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(1024), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))  # the browser's public key, base64url
    auth_secret: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted at rest
    session_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    device_label: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive
    last_error: Mapped[str] = mapped_column(String(255), default="")


class PushPreference(Base):
    """What an account wants pushed: categories switched off, and quiet hours (local time,
    minutes after midnight; a window may wrap past midnight)."""

    __tablename__ = "push_preference"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    muted: Mapped[str] = mapped_column(String(255), default="")  # comma-separated categories
    quiet_start: Mapped[int | None] = mapped_column(Integer)
    quiet_end: Mapped[int | None] = mapped_column(Integer)


class PushMessage(Base):
    """One notification for one account: written by the event's own transaction, coalesced
    with an undispatched message of the same category, dispatched by the worker."""

    __tablename__ = "push_message"
    __table_args__ = (
        Index("ix_push_message_due", "state", "not_before"),
        Index("ix_push_message_account_category", "account_id", "category", "state"),
        Index("ix_push_message_account_dispatched", "account_id", "dispatched_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # the opaque id in the payload
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer, default=1)
    target: Mapped[str] = mapped_column(String(255))  # where a tap leads; never in the payload
    state: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(255), default="")


class PushDelivery(Base):
    """One message to one subscription: retried with back-off, leased by one worker at a time."""

    __tablename__ = "push_delivery"
    __table_args__ = (
        UniqueConstraint("message_id", "subscription_id"),
        Index("ix_push_delivery_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("push_message.id", ondelete="CASCADE"), index=True
    )
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("push_subscription.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
