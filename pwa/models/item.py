"""事项: items to decide, the route's tasks, signed decisions, history, attachments,
抄送, 委托 and the 文号 counters.

An item's content lives in ``payload`` (JSON of the type's form fields); personal values
that must never be stored in clear (a new recruit's ID number) live in ``sealed_payload``,
encrypted like every other ID number. ``version`` is bumped by every change a decider could
have seen; decisions are bound to it through the version hash.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, enum_column
from .enums import ItemState, ItemType, TaskOutcome, TaskStage, Verdict
from .quota import QuotaReservation
from .unit import Unit


class Item(Base):
    __tablename__ = "item"
    __table_args__ = (
        CheckConstraint("version >= 1", name="version_positive"),
        UniqueConstraint("requester_id", "idempotency_key", name="uq_item_requester_key"),
        UniqueConstraint("document_number", name="uq_item_document_number"),
        Index("ix_item_unit_state", "unit_id", "state"),
        Index("ix_item_state_type", "state", "item_type"),
        Index("ix_item_requester", "requester_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_type: Mapped[ItemType] = mapped_column(enum_column(ItemType))
    state: Mapped[ItemState] = mapped_column(enum_column(ItemState))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    payload: Mapped[str] = mapped_column(Text, default="{}")
    sealed_payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(Integer, default=1)
    requester_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    committee: Mapped[bool] = mapped_column(Boolean, default=False)  # 提交编委会议
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # a blocking check failed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_on: Mapped[date | None] = mapped_column(Date)  # the open step's deadline
    document_number: Mapped[str | None] = mapped_column(String(64))  # 文号, on approval
    # 用编: the reservation its approval created; 上编: the reservation it consumes.
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("quota_reservation.id"))
    # 上编 / 下编 after approval: the person and the 在编记录 opened or closed.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    occupancy_id: Mapped[int | None] = mapped_column(ForeignKey("occupancy.id"))
    # 机构设立: the unit its approval created.
    created_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    reservation: Mapped[QuotaReservation | None] = relationship()
    tasks: Mapped[list[ItemTask]] = relationship(
        back_populates="item", order_by="ItemTask.id", cascade="all, delete-orphan"
    )


class ItemTask(Base):
    """One step of the route held by a role (or one person after 转交); open until closed."""

    __tablename__ = "item_task"
    __table_args__ = (
        Index("ix_item_task_open", "closed_at", "required_role"),
        Index("ix_item_task_item", "item_id"),
        Index("ix_item_task_assignee", "assignee_id", "closed_at"),
        Index("ix_item_task_actor", "acted_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    stage: Mapped[TaskStage] = mapped_column(enum_column(TaskStage))
    required_role: Mapped[str] = mapped_column(String(32))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[TaskOutcome | None] = mapped_column(enum_column(TaskOutcome))
    acted_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    reminders: Mapped[int] = mapped_column(Integer, default=0)  # 催办 count
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The day holders were warned by push that this step is due soon (once per step).
    deadline_warned_on: Mapped[date | None] = mapped_column(Date)

    item: Mapped[Item] = relationship(back_populates="tasks")


class Decision(Base):
    """审批意见 signed with a fresh TOTP code, bound to the version hash it saw. Append-only."""

    __tablename__ = "decision"
    __table_args__ = (Index("ix_decision_item", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    task_id: Mapped[int] = mapped_column(ForeignKey("item_task.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    verdict: Mapped[Verdict] = mapped_column(enum_column(Verdict))
    comment: Mapped[str] = mapped_column(Text, default="")
    version_hash: Mapped[str] = mapped_column(String(64))
    signed_with: Mapped[str] = mapped_column(String(16))  # totp, totp-batch
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ItemEvent(Base):
    """The item's history as people read it. Append-only."""

    __tablename__ = "item_event"
    __table_args__ = (Index("ix_item_event_item", "item_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[ItemState | None] = mapped_column(enum_column(ItemState, "from_state"))
    to_state: Mapped[ItemState | None] = mapped_column(enum_column(ItemState, "to_state"))
    version: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    # Stage or department concerned, the other party of a 转交 … (JSON, never personal data).
    detail: Mapped[str] = mapped_column(Text, default="")


class ItemAttachment(Base):
    """A file attached by the applicant; stored outside static under its SHA-256."""

    __tablename__ = "item_attachment"
    __table_args__ = (Index("ix_item_attachment_item", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(128))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ItemCopy(Base):
    """抄送: the item is shown to holders of ``role`` whose jurisdiction covers its unit."""

    __tablename__ = "item_copy"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("item.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    copied_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Delegation(Base):
    """委托: from ``starts_on`` to ``ends_on`` the delegate acts for the delegator on the
    stages that may be delegated; both names appear in the history."""

    __tablename__ = "delegation"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("delegator_id <> delegate_id", name="not_to_self"),
        Index("ix_delegation_delegate", "delegate_id", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    delegate_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DocumentCounter(Base):
    """The last 文号 issued by one office (region) in one year: 张编办〔2026〕12号."""

    __tablename__ = "document_counter"
    __table_args__ = (CheckConstraint("last_number >= 0", name="last_number_nonnegative"),)

    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
