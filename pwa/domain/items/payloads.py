"""What each item type asks for: typed payloads, stored as JSON on the item.

Forms (Flask-WTF) validate what people type; these classes are what the domain works with,
and ``load`` rebuilds them from the stored JSON. Personal values that must be encrypted at
rest (a new recruit's ID number) are not in the JSON: they travel as ``Sealed`` fields and
are kept in ``Item.sealed_payload``.

``REMIT`` says which field groups each role may see: joint reviewers see only their remit.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import date
from enum import StrEnum
from typing import Any

from auth.roles import Role
from pwa.models.enums import (
    Education,
    EntryMode,
    ExitReason,
    Funding,
    Gender,
    ItemType,
    LeadershipLevel,
    LeadershipPosition,
    QuotaKind,
    UnitKind,
    UnitNature,
    UnitRank,
)


class FieldGroup(StrEnum):
    QUOTA = "quota"  # kinds, funding, counts
    RECRUITMENT = "recruitment"  # 进人方式, posts
    PERSONAL = "personal"  # names, gender, birth dates (cadre fields 组织部 may see)
    IDENTITY = "identity"  # masked ID numbers and record links: never for 组织部
    LEADERSHIP = "leadership"  # 领导职数
    STRUCTURE = "structure"  # names, kind, rank, functions of a unit
    REASON = "reason"  # the applicant's reasons
    DATA_QUERY = "data_query"


_OFFICE = frozenset(FieldGroup)
REMIT: dict[Role, frozenset[FieldGroup]] = {
    Role.UNIT_CLERK: _OFFICE - {FieldGroup.PERSONAL, FieldGroup.IDENTITY, FieldGroup.DATA_QUERY},
    Role.OFFICE_STAFF: _OFFICE,
    Role.OFFICE_LEADER: _OFFICE,
    Role.OFFICE_DIRECTOR: _OFFICE,
    Role.ORG_REVIEWER: frozenset(
        {
            FieldGroup.LEADERSHIP,
            FieldGroup.STRUCTURE,
            FieldGroup.REASON,
            FieldGroup.QUOTA,
            FieldGroup.PERSONAL,
            FieldGroup.RECRUITMENT,
        }
    ),
    Role.FINANCE_REVIEWER: frozenset({FieldGroup.QUOTA, FieldGroup.STRUCTURE, FieldGroup.REASON}),
    Role.HR_REVIEWER: frozenset(
        {FieldGroup.QUOTA, FieldGroup.RECRUITMENT, FieldGroup.STRUCTURE, FieldGroup.REASON}
    ),
}


def visible_groups(roles: frozenset[Role]) -> frozenset[FieldGroup]:
    seen: set[FieldGroup] = set()
    for role in roles:
        seen |= REMIT.get(role, frozenset())
    return frozenset(seen)


@dataclass(frozen=True)
class QuotaUse:
    """用编申请: use vacant quota to bring people in."""

    kind: QuotaKind
    funding: Funding
    count: int
    entry_mode: EntryMode
    post: str
    reason: str


@dataclass(frozen=True)
class StaffEntry:
    """人员上编: one named person enters on a reservation granted by an approved 用编申请."""

    reservation_id: int
    name: str
    gender: Gender
    birth_date: date
    id_number_masked: str
    education: Education
    post: str
    entry_mode: EntryMode
    reason: str


@dataclass(frozen=True)
class StaffExit:
    """人员下编: a person on the unit's establishment leaves it."""

    occupancy_id: int
    person_id: int
    exit_reason: ExitReason
    reason: str


@dataclass(frozen=True)
class UnitEstablish:
    """机构设立 under the applying unit (its 主管部门)."""

    full_name: str
    short_name: str
    kind: UnitKind
    nature: UnitNature
    rank: UnitRank
    funding: Funding
    functions: str
    quota_kind: QuotaKind
    quota_count: int
    reason: str


@dataclass(frozen=True)
class UnitAdjust:
    """机构调整: new names, rank or functions ("" / None keeps the current value)."""

    full_name: str
    short_name: str
    rank: UnitRank | None
    functions: str
    reason: str


@dataclass(frozen=True)
class UnitAbolish:
    """机构撤销: the unit is abolished and its quota withdrawn."""

    reason: str


@dataclass(frozen=True)
class QuotaAdjust:
    """编制调整: add (+) or withdraw (−) quota of one kind and funding."""

    kind: QuotaKind
    funding: Funding
    delta: int
    reason: str


@dataclass(frozen=True)
class LeadershipPosts:
    """职数核定: the approved number of one leadership post at one level."""

    level: LeadershipLevel
    position: LeadershipPosition
    title: str
    approved: int
    reason: str


@dataclass(frozen=True)
class DataQuery:
    """数据查询签批: a bulk personnel query above the daily limits, decided by another person."""

    purpose: str
    scope_description: str
    max_rows: int
    valid_days: int
    reason: str


Payload = (
    QuotaUse
    | StaffEntry
    | StaffExit
    | UnitEstablish
    | UnitAdjust
    | UnitAbolish
    | QuotaAdjust
    | LeadershipPosts
    | DataQuery
)

PAYLOAD_CLASS: dict[ItemType, type] = {
    ItemType.QUOTA_USE: QuotaUse,
    ItemType.STAFF_ENTRY: StaffEntry,
    ItemType.STAFF_EXIT: StaffExit,
    ItemType.UNIT_ESTABLISH: UnitEstablish,
    ItemType.UNIT_ADJUST: UnitAdjust,
    ItemType.UNIT_ABOLISH: UnitAbolish,
    ItemType.QUOTA_ADJUST: QuotaAdjust,
    ItemType.LEADERSHIP_POSTS: LeadershipPosts,
    ItemType.DATA_QUERY: DataQuery,
}

# Which group each payload field belongs to (for remit-scoped display).
FIELD_GROUP: dict[str, FieldGroup] = {
    "kind": FieldGroup.QUOTA,
    "funding": FieldGroup.QUOTA,
    "count": FieldGroup.QUOTA,
    "delta": FieldGroup.QUOTA,
    "quota_kind": FieldGroup.QUOTA,
    "quota_count": FieldGroup.QUOTA,
    "reservation_id": FieldGroup.QUOTA,
    "entry_mode": FieldGroup.RECRUITMENT,
    "post": FieldGroup.RECRUITMENT,
    "education": FieldGroup.RECRUITMENT,
    "exit_reason": FieldGroup.RECRUITMENT,
    "name": FieldGroup.PERSONAL,
    "gender": FieldGroup.PERSONAL,
    "birth_date": FieldGroup.PERSONAL,
    "id_number_masked": FieldGroup.IDENTITY,
    "occupancy_id": FieldGroup.IDENTITY,
    "person_id": FieldGroup.IDENTITY,
    "level": FieldGroup.LEADERSHIP,
    "position": FieldGroup.LEADERSHIP,
    "title": FieldGroup.LEADERSHIP,
    "approved": FieldGroup.LEADERSHIP,
    "full_name": FieldGroup.STRUCTURE,
    "short_name": FieldGroup.STRUCTURE,
    "nature": FieldGroup.STRUCTURE,
    "rank": FieldGroup.STRUCTURE,
    "functions": FieldGroup.STRUCTURE,
    "reason": FieldGroup.REASON,
    "purpose": FieldGroup.DATA_QUERY,
    "scope_description": FieldGroup.DATA_QUERY,
    "max_rows": FieldGroup.DATA_QUERY,
    "valid_days": FieldGroup.DATA_QUERY,
}
# UnitEstablish's "kind" is the unit's kind, a structural field.
_TYPE_FIELD_GROUP = {(ItemType.UNIT_ESTABLISH, "kind"): FieldGroup.STRUCTURE}
_TYPE_FIELD_GROUP[(ItemType.UNIT_ESTABLISH, "funding")] = FieldGroup.STRUCTURE


def group_of(item_type: ItemType, field_name: str) -> FieldGroup:
    return _TYPE_FIELD_GROUP.get((item_type, field_name), FIELD_GROUP[field_name])


def dump(payload: Payload) -> str:
    """Canonical JSON (sorted keys): the version hash is taken over it."""

    def plain(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        return value

    return json.dumps(
        {k: plain(v) for k, v in asdict(payload).items()}, ensure_ascii=False, sort_keys=True
    )


def load(item_type: ItemType, raw: str) -> Payload:
    cls = PAYLOAD_CLASS[item_type]
    data = json.loads(raw or "{}")
    values: dict[str, Any] = {}
    for f in fields(cls):
        value = data.get(f.name)
        values[f.name] = _coerce(f.type, value)
    return cls(**values)


_ENUMS: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        QuotaKind,
        Funding,
        EntryMode,
        ExitReason,
        Gender,
        Education,
        LeadershipLevel,
        LeadershipPosition,
        UnitKind,
        UnitNature,
        UnitRank,
    )
}


def _coerce(type_name: Any, value: Any) -> Any:
    name = str(type_name).replace(" ", "")
    optional = name.endswith("|None")
    base = name.removesuffix("|None")
    if value is None:
        return None if optional else _default(base)
    if base in _ENUMS:
        return _ENUMS[base](value) if value != "" else None
    if base == "int":
        return int(value)
    if base == "date":
        return date.fromisoformat(value)
    return str(value)


def _default(base: str) -> Any:
    return {"int": 0, "str": ""}.get(base)


def requested_count(payload: Payload) -> int:
    """Places the item would take from the unit's vacancy (0 for items that take none)."""
    if isinstance(payload, QuotaUse):
        return payload.count
    return 0
