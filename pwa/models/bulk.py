"""Bulk-access monitoring of personnel data (数据安全): who read which person when, and the
per-account guard row that both serialises the counting and holds a block."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class PersonnelAccess(Base):
    """The last time an account was shown a person (any personnel page) and the last time it
    asked for that person by id (detail, unmask: what the sequential-id rule looks at).
    Rows older than the policy's retention (a day) are pruned as the account reads on."""

    __tablename__ = "personnel_access"
    __table_args__ = (Index("ix_personnel_access_account_time", "account_id", "read_at"),)

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    # No foreign key: a record of what was read outlives nothing it must keep consistent.
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime())
    direct_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PersonnelGuard(Base):
    """One row per account that has read personnel: locked (FOR UPDATE on PostgreSQL,
    BEGIN IMMEDIATE on SQLite) while a read is counted; ``blocked_at`` set means the
    account's personnel access is blocked until a security administrator lifts it."""

    __tablename__ = "personnel_guard"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rule: Mapped[str] = mapped_column(String(16), default="")  # window | day | sequential
    window_count: Mapped[int] = mapped_column(default=0)  # distinct persons in the window
    day_count: Mapped[int] = mapped_column(default=0)  # distinct persons this office day
    run_length: Mapped[int] = mapped_column(default=0)  # longest run of consecutive ids
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
