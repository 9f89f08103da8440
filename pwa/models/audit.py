"""审计日志: one row per sensitive read or change, append-only (database triggers; on
PostgreSQL also the app role's grants) and hash-chained (``pwa.domain.audit_chain``).

``account_id`` deliberately has no foreign key: inserting an audit row must take no lock on
another table (an audit write waits for the chain lock, and a row lock taken by the foreign
key check could close a cycle with a transaction holding ``account`` FOR UPDATE while it
waits for that same lock), and the log must outlive whatever it names.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_account_time", "account_id", "occurred_at"),
        Index("ix_audit_event_object", "object_type", "object_id"),
        Index("ix_audit_event_time", "occurred_at"),
        Index("ix_audit_event_seq", "seq", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Position in the chain: 1, 2, 3 … without gaps; unique, so two writers can never both
    # append after the same record (the chain cannot fork).
    seq: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    account_id: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(64), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    event: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str] = mapped_column(String(32), default="")
    # Context such as a stated reason; never the personal value that was read.
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """The chain's head (seq, hash) at a moment, signed with HMAC-SHA256 under a key kept
    outside the database; exported as JSON lines for an off-site store. Append-only."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(64))
