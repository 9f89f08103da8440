"""Typed SQLAlchemy 2.x models, one module per aggregate; importing this registers them all."""

from .audit import AuditCheckpoint, AuditEvent
from .backup import BackupDrill
from .base import Base
from .bulk import PersonnelAccess, PersonnelGuard
from .comparison import ComparisonRun
from .enums import (
    Education,
    EntryMode,
    ExitReason,
    Funding,
    Gender,
    ItemState,
    ItemType,
    LeadershipLevel,
    LeadershipPosition,
    OffQuotaCategory,
    PoliticalStatus,
    QuotaKind,
    RegionLevel,
    TaskOutcome,
    TaskStage,
    UnitKind,
    UnitNature,
    UnitRank,
    Verdict,
)
from .item import (
    Decision,
    Delegation,
    DocumentCounter,
    Item,
    ItemAttachment,
    ItemCopy,
    ItemEvent,
    ItemTask,
)
from .lookup import UnitPin, UnitVisit
from .person import LeadershipAppointment, Occupancy, OffQuotaEngagement, Person
from .push import PushDelivery, PushMessage, PushPreference, PushSubscription
from .quota import LeadershipQuota, QuotaLedgerEntry, QuotaReservation
from .region import Region
from .search import UnitSearchName
from .unit import InternalDepartment, Unit, UnitAlias

__all__ = [
    "ComparisonRun",
    "PersonnelAccess",
    "PersonnelGuard",
    "BackupDrill",
    "PushDelivery",
    "PushMessage",
    "PushPreference",
    "PushSubscription",
    "Decision",
    "Delegation",
    "DocumentCounter",
    "Item",
    "ItemAttachment",
    "ItemCopy",
    "ItemEvent",
    "ItemTask",
    "ItemState",
    "ItemType",
    "Verdict",
    "TaskOutcome",
    "TaskStage",
    "AuditCheckpoint",
    "AuditEvent",
    "Base",
    "Education",
    "EntryMode",
    "ExitReason",
    "Funding",
    "Gender",
    "InternalDepartment",
    "LeadershipAppointment",
    "LeadershipLevel",
    "LeadershipPosition",
    "LeadershipQuota",
    "OffQuotaCategory",
    "OffQuotaEngagement",
    "Occupancy",
    "Person",
    "PoliticalStatus",
    "QuotaKind",
    "QuotaLedgerEntry",
    "QuotaReservation",
    "Region",
    "RegionLevel",
    "Unit",
    "UnitAlias",
    "UnitKind",
    "UnitNature",
    "UnitPin",
    "UnitRank",
    "UnitSearchName",
    "UnitVisit",
]
