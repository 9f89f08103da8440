"""Per-account lists on the lookup screens: recently viewed units and units pinned for an
inspection trip (their aggregate cards are what the offline cache may hold)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class UnitVisit(Base):
    __tablename__ = "unit_visit"
    __table_args__ = (Index("ix_unit_visit_recent", "account_id", "visited_at"),)

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True
    )
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UnitPin(Base):
    __tablename__ = "unit_pin"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True
    )
    pinned_at: Mapped[datetime] = mapped_column(UTCDateTime())
