"""实名制人员 and their 在编记录; 编外人员 are kept apart so they never count against quota."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_column
from .enums import (
    Education,
    EntryMode,
    ExitReason,
    Funding,
    Gender,
    OffQuotaCategory,
    PoliticalStatus,
    QuotaKind,
)
from .quota import LeadershipQuota
from .unit import Unit


class Person(Base):
    """A real-name record. The ID number is stored only encrypted, masked and as a keyed index."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    gender: Mapped[Gender] = mapped_column(enum_column(Gender))
    ethnicity: Mapped[str] = mapped_column(String(16))
    birth_date: Mapped[date] = mapped_column(Date)
    id_number_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM
    id_number_masked: Mapped[str] = mapped_column(String(18))  # 130702********123X
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True)  # HMAC blind index
    education: Mapped[Education] = mapped_column(enum_column(Education))
    school: Mapped[str] = mapped_column(String(64), default="")
    specialty: Mapped[str] = mapped_column(String(64), default="")
    political_status: Mapped[PoliticalStatus] = mapped_column(enum_column(PoliticalStatus))
    post: Mapped[str] = mapped_column(String(32), default="")  # 职务 / 岗位
    grade: Mapped[str] = mapped_column(String(32), default="")  # 职级 / 职称

    occupancies: Mapped[list[Occupancy]] = relationship(back_populates="person")


class Occupancy(Base):
    """在编记录: one person on one unit's establishment from 入编 until 出编."""

    __tablename__ = "occupancy"
    __table_args__ = (
        CheckConstraint(
            "(exit_date IS NULL AND exit_reason IS NULL) OR "
            "(exit_date IS NOT NULL AND exit_reason IS NOT NULL AND exit_date >= entry_date)",
            name="exit_complete",
        ),
        Index("ix_occupancy_unit_open", "unit_id", "exit_date", "kind", "funding"),
        Index("ix_occupancy_person", "person_id"),
        # One open establishment record per person, whatever races (上编 in two offices).
        Index(
            "uq_occupancy_person_open",
            "person_id",
            unique=True,
            sqlite_where=text("exit_date IS NULL"),
            postgresql_where=text("exit_date IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    kind: Mapped[QuotaKind] = mapped_column(enum_column(QuotaKind))
    funding: Mapped[Funding] = mapped_column(enum_column(Funding))
    entry_mode: Mapped[EntryMode] = mapped_column(enum_column(EntryMode))
    entry_document_number: Mapped[str] = mapped_column(String(64))
    entry_date: Mapped[date] = mapped_column(Date)
    exit_reason: Mapped[ExitReason | None] = mapped_column(enum_column(ExitReason))
    exit_document_number: Mapped[str | None] = mapped_column(String(64))
    exit_date: Mapped[date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship(back_populates="occupancies")
    unit: Mapped[Unit] = relationship()


class LeadershipAppointment(Base):
    """A person holding one of the posts counted by a LeadershipQuota."""

    __tablename__ = "leadership_appointment"
    __table_args__ = (Index("ix_leadership_appointment_quota_open", "quota_id", "ended_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quota_id: Mapped[int] = mapped_column(ForeignKey("leadership_quota.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    appointed_on: Mapped[date] = mapped_column(Date)
    document_number: Mapped[str] = mapped_column(String(64))
    ended_on: Mapped[date | None] = mapped_column(Date)

    quota: Mapped[LeadershipQuota] = relationship()
    person: Mapped[Person] = relationship()


class OffQuotaEngagement(Base):
    """编外人员: staff working at a unit without occupying any establishment quota."""

    __tablename__ = "off_quota_engagement"
    __table_args__ = (Index("ix_off_quota_engagement_unit_open", "unit_id", "ended_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    category: Mapped[OffQuotaCategory] = mapped_column(enum_column(OffQuotaCategory))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
