"""数据比对 runs: one row per comparison request — who, when, how many rows, how many
misses, against what, citing which 数据查询签批 — and never an ID number or a name."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class ComparisonRun(Base):
    __tablename__ = "comparison_run"
    __table_args__ = (Index("ix_comparison_run_account_day", "account_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    day: Mapped[date] = mapped_column(Date)  # the office's calendar day
    rows: Mapped[int] = mapped_column(Integer)
    misses: Mapped[int] = mapped_column(Integer)  # not found + invalid
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))  # None: whole scope
    # The approved 数据查询签批 this run cites (its rows count against that grant instead).
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    alerted: Mapped[bool] = mapped_column(default=False)
