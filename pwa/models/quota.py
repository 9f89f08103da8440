"""编制台账, 预占 and 领导职数: the sources every quota figure is derived from."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, enum_column
from .enums import Funding, LeadershipLevel, LeadershipPosition, QuotaKind
from .unit import InternalDepartment, Unit


class QuotaLedgerEntry(Base):
    """One approved change of a unit's establishment. Append-only (database triggers)."""

    __tablename__ = "quota_ledger_entry"
    __table_args__ = (
        CheckConstraint("delta <> 0", name="delta_nonzero"),
        Index("ix_quota_ledger_entry_unit_kind", "unit_id", "kind", "funding"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    kind: Mapped[QuotaKind] = mapped_column(enum_column(QuotaKind))
    funding: Mapped[Funding] = mapped_column(enum_column(Funding))
    delta: Mapped[int] = mapped_column(Integer)
    document_number: Mapped[str] = mapped_column(String(64))  # 批准文号
    effective_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship()


class QuotaReservation(Base):
    """预占: quota granted by an approved 用编 request and held until used or expired."""

    __tablename__ = "quota_reservation"
    __table_args__ = (
        CheckConstraint("granted > 0", name="granted_positive"),
        CheckConstraint("consumed >= 0 AND consumed <= granted", name="consumed_within_granted"),
        CheckConstraint("valid_until >= granted_on", name="valid_after_grant"),
        Index("ix_quota_reservation_unit_kind", "unit_id", "kind", "funding"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    kind: Mapped[QuotaKind] = mapped_column(enum_column(QuotaKind))
    funding: Mapped[Funding] = mapped_column(enum_column(Funding))
    granted: Mapped[int] = mapped_column(Integer)
    consumed: Mapped[int] = mapped_column(Integer, default=0)
    document_number: Mapped[str] = mapped_column(String(64))
    granted_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    cancelled_on: Mapped[date | None] = mapped_column(Date)

    unit: Mapped[Unit] = relationship()


class LeadershipQuota(Base):
    """领导职数: approved posts of one position at one level, for a unit or one 内设机构."""

    __tablename__ = "leadership_quota"
    __table_args__ = (
        CheckConstraint("approved >= 0", name="approved_nonnegative"),
        Index("ix_leadership_quota_unit", "unit_id", "level", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("internal_department.id"))
    level: Mapped[LeadershipLevel] = mapped_column(enum_column(LeadershipLevel))
    position: Mapped[LeadershipPosition] = mapped_column(enum_column(LeadershipPosition))
    title: Mapped[str] = mapped_column(String(32))  # 局长, 副局长, 科长 …
    approved: Mapped[int] = mapped_column(Integer)
    document_number: Mapped[str] = mapped_column(String(64))

    unit: Mapped[Unit] = relationship()
    department: Mapped[InternalDepartment | None] = relationship()
