"""机构 / 单位 and what its 三定 规定 fixes: names, kind, nature, rank, functions, 内设机构."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, enum_column
from .enums import Funding, UnitKind, UnitNature, UnitRank
from .region import Region


class Unit(Base):
    __tablename__ = "unit"
    __table_args__ = (
        CheckConstraint("length(credit_code) = 18", name="credit_code_length"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    full_name: Mapped[str] = mapped_column(String(128), index=True)  # 全称
    short_name: Mapped[str] = mapped_column(String(64), index=True)  # 规范简称
    kind: Mapped[UnitKind] = mapped_column(enum_column(UnitKind), index=True)
    nature: Mapped[UnitNature] = mapped_column(enum_column(UnitNature))
    rank: Mapped[UnitRank] = mapped_column(enum_column(UnitRank))
    funding: Mapped[Funding] = mapped_column(enum_column(Funding))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)  # 主管部门
    functions: Mapped[str] = mapped_column(Text, default="")  # 主要职责
    established_on: Mapped[date] = mapped_column(Date)
    abolished_on: Mapped[date | None] = mapped_column(Date)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped by every change that an approval card could have displayed.
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    region: Mapped[Region] = relationship()
    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="subordinates")
    subordinates: Mapped[list[Unit]] = relationship(
        back_populates="parent", order_by="Unit.sort_order"
    )
    aliases: Mapped[list[UnitAlias]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="UnitAlias.id"
    )
    departments: Mapped[list[InternalDepartment]] = relationship(
        back_populates="unit",
        cascade="all, delete-orphan",
        order_by="InternalDepartment.sort_order",
    )

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.short_name}>"


class UnitAlias(Base):
    """其他名称: a second nameplate (加挂牌子) or a former name people still search by."""

    __tablename__ = "unit_alias"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    is_nameplate: Mapped[bool] = mapped_column(default=True)  # 加挂牌子 vs 曾用名

    unit: Mapped[Unit] = relationship(back_populates="aliases")


class InternalDepartment(Base):
    """内设机构 (科室) approved in the unit's 三定 规定."""

    __tablename__ = "internal_department"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    functions: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    unit: Mapped[Unit] = relationship(back_populates="departments")
