"""Automatic checks shown to reviewers and deciders, and enforced again at approval.

空编 ≥ the request per kind × funding; 超编单位不得进人; 平编 (a full unit) only one-out-one-in;
职数: filled ≤ approved; a quota cut may not leave people or reservations without a place;
a 上编 needs a live reservation and a person not already on an establishment; a 下编 an open
在编记录. Every figure comes from the quota module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth.i18n import N_
from pwa.domain import quota
from pwa.domain.quota import position_of
from pwa.domain.units import leadership_lines
from pwa.models import (
    ItemType,
    Occupancy,
    Person,
    QuotaReservation,
    TaskOutcome,
    TaskStage,
    Unit,
)
from pwa.models.item import Item

from . import payloads as p
from .routing import JOINT_STAGES, Mode, joint_mode


@dataclass(frozen=True)
class Check:
    code: str
    passed: bool
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    blocking: bool = True


def _unit_over_in_kind(session: Session, unit_id: int, kind: str, today: date) -> int:
    return sum(
        pos.over for pos in quota.unit_positions(session, unit_id, today) if pos.kind == kind
    )


def run(
    session: Session,
    item: Item,
    payload: p.Payload,
    today: date,
    *,
    person_index: str | None = None,
    with_joint_review: bool = False,
) -> list[Check]:
    """All checks for ``item`` as the data stands now."""
    checks: list[Check] = []
    unit = session.get(Unit, item.unit_id)
    if unit is None or (unit.abolished_on is not None and unit.abolished_on <= today):
        checks.append(Check("unit_active", False, N_("单位已撤销，不能办理此事项")))
        return checks
    if isinstance(payload, p.QuotaUse):
        checks += _quota_use(session, item.unit_id, payload, today)
    elif isinstance(payload, p.StaffEntry):
        checks += _staff_entry(session, item, payload, today, person_index)
    elif isinstance(payload, p.StaffExit):
        checks += _staff_exit(session, item.unit_id, payload)
    elif isinstance(payload, p.QuotaAdjust):
        checks += _quota_adjust(session, item.unit_id, payload, today)
    elif isinstance(payload, p.LeadershipPosts):
        checks += _leadership(session, item.unit_id, payload)
    elif isinstance(payload, p.UnitAbolish):
        checks += _abolish(session, item.unit_id, today)
    elif isinstance(payload, p.UnitEstablish):
        checks += _establish(session, item.unit_id, payload)
    if with_joint_review:
        checks += _joint_review(item)
    return checks


def blocking_failures(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.blocking and not c.passed]


def _quota_use(session: Session, unit_id: int, payload: p.QuotaUse, today: date) -> list[Check]:
    pos = position_of(session, unit_id, payload.kind, payload.funding, today)
    over = _unit_over_in_kind(session, unit_id, payload.kind, today)
    checks = [
        Check(
            "vacancy",
            pos.free >= payload.count,
            N_("空编 %(vacant)d 名，申请使用 %(count)d 名"),
            {"vacant": pos.vacant, "count": payload.count},
        ),
        Check(
            "not_over",
            over == 0,
            N_("超编单位不得进人：该编制类型超编 %(over)d 名") if over else N_("单位未超编"),
            {"over": over},
        ),
    ]
    full = pos.approved > 0 and pos.free <= 0 and over == 0
    checks.append(
        Check(
            "one_out_one_in",
            not full,
            N_("满编（平编）单位只能“出一进一”：请先办理人员下编")
            if full
            else N_("单位未满编，不受“出一进一”限制"),
        )
    )
    return checks


def _staff_entry(
    session: Session, item: Item, payload: p.StaffEntry, today: date, person_index: str | None
) -> list[Check]:
    reservation = session.get(QuotaReservation, payload.reservation_id)
    live = (
        reservation is not None
        and reservation.unit_id == item.unit_id
        and quota.Reservation(
            reservation.granted,
            reservation.consumed,
            reservation.valid_until,
            reservation.cancelled_on,
        ).held_on(today)
        > 0
    )
    checks = [
        Check(
            "reservation",
            live,
            N_("使用已批准的预占编制（%(document)s），尚余 %(left)d 名，有效期至 %(until)s")
            if live
            else N_("没有可用的预占编制：请先办理用编申请，或预占已用完、已过期、已撤销"),
            {
                "document": reservation.document_number if reservation else "",
                "left": (reservation.granted - reservation.consumed) if reservation else 0,
                "until": reservation.valid_until.isoformat() if reservation else "",
            },
        )
    ]
    on_establishment = False
    if person_index:
        on_establishment = (
            session.scalar(
                select(func.count())
                .select_from(Occupancy)
                .join(Person, Person.id == Occupancy.person_id)
                .where(Person.id_number_index == person_index, Occupancy.exit_date.is_(None))
            )
            or 0
        ) > 0
    checks.append(
        Check(
            "not_on_establishment",
            not on_establishment,
            N_("此人已在其他单位在编，须先办理下编")
            if on_establishment
            else N_("此人目前不在任何单位在编"),
        )
    )
    return checks


def _staff_exit(session: Session, unit_id: int, payload: p.StaffExit) -> list[Check]:
    occupancy = session.get(Occupancy, payload.occupancy_id)
    open_here = (
        occupancy is not None
        and occupancy.unit_id == unit_id
        and occupancy.person_id == payload.person_id
        and occupancy.exit_date is None
    )
    return [
        Check(
            "on_establishment",
            open_here,
            N_("此人在本单位在编") if open_here else N_("此人不在本单位在编（可能已办理下编）"),
        )
    ]


def _quota_adjust(
    session: Session, unit_id: int, payload: p.QuotaAdjust, today: date
) -> list[Check]:
    pos = position_of(session, unit_id, payload.kind, payload.funding, today)
    after = pos.approved + payload.delta
    needed = pos.actual + pos.reserved
    return [
        Check(
            "no_overcut",
            after >= needed,
            N_("调整后核定 %(after)d 名，实有 %(actual)d 名、预占 %(reserved)d 名"),
            {"after": after, "actual": pos.actual, "reserved": pos.reserved},
        )
    ]


def _leadership(session: Session, unit_id: int, payload: p.LeadershipPosts) -> list[Check]:
    filled = sum(
        line.filled
        for line in leadership_lines(session, unit_id)
        if line.level == payload.level
        and line.position == payload.position
        and line.department is None
    )
    return [
        Check(
            "leadership_limit",
            filled <= payload.approved,
            N_("核定职数 %(approved)d 名，现有实配 %(filled)d 名"),
            {"approved": payload.approved, "filled": filled},
        )
    ]


def _abolish(session: Session, unit_id: int, today: date) -> list[Check]:
    people = (
        session.scalar(
            select(func.count())
            .select_from(Occupancy)
            .where(Occupancy.unit_id == unit_id, Occupancy.exit_date.is_(None))
        )
        or 0
    )
    reserved = sum(pos.reserved for pos in quota.unit_positions(session, unit_id, today))
    subordinates = (
        session.scalar(
            select(func.count())
            .select_from(Unit)
            .where(Unit.parent_id == unit_id, Unit.abolished_on.is_(None))
        )
        or 0
    )
    return [
        Check(
            "unit_empty",
            people == 0 and reserved == 0,
            N_("撤销前须先安置人员：在编 %(people)d 名，预占 %(reserved)d 名"),
            {"people": people, "reserved": reserved},
        ),
        Check(
            "no_subordinates",
            subordinates == 0,
            N_("尚有 %(count)d 个下属单位未撤销或划转"),
            {"count": subordinates},
        ),
    ]


def _establish(session: Session, unit_id: int, payload: p.UnitEstablish) -> list[Check]:
    clash = session.scalar(
        select(func.count())
        .select_from(Unit)
        .where(
            (Unit.full_name == payload.full_name) | (Unit.short_name == payload.short_name),
            Unit.abolished_on.is_(None),
            Unit.region_id == select(Unit.region_id).where(Unit.id == unit_id).scalar_subquery(),
        )
    )
    return [
        Check(
            "name_unique",
            not clash,
            N_("本地区已有同名机构") if clash else N_("本地区没有同名机构"),
        )
    ]


def _joint_review(item: Item) -> list[Check]:
    # Only this round's opinions count: a resubmission opens a new intake, then a new review.
    round_start = max((t.id or 0 for t in item.tasks if t.stage is TaskStage.INTAKE), default=0)
    opinions = [
        t
        for t in item.tasks
        if t.stage in JOINT_STAGES and t.closed_at is not None and (t.id or 0) > round_start
    ]
    objections = [t for t in opinions if t.outcome is TaskOutcome.OBJECTED]
    if not opinions:
        return []
    mode = joint_mode(item.item_type)
    if mode is Mode.ANY:
        passed = any(t.outcome is TaskOutcome.PASSED for t in opinions)
    else:
        passed = not objections
    return [
        Check(
            "joint_review",
            passed,
            N_("联审部门均同意") if passed else N_("有联审部门不同意，不能批准"),
        )
    ]


def needs_person_index(item_type: ItemType) -> bool:
    return item_type is ItemType.STAFF_ENTRY
