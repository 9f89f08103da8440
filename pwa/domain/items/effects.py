"""What an approval changes, written in the decision's own transaction.

用编 → a 预占 (QuotaReservation); 上编 → consumes one place of it and opens an 在编记录;
下编 → closes the 在编记录; 机构设立/调整/撤销, 编制调整, 职数核定 → the unit, its ledger
(append-only, with the 文号) or its 领导职数 (those effects live in ``structure_effects``).
Each effect re-checks its invariant under the unit's row lock (PostgreSQL) or the writer lock
(SQLite), so concurrent approvals cannot together take more than there is.
"""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from auth.i18n import N_
from pwa.domain.crypto import BlindIndex, FieldCipher
from pwa.domain.idnumber import birth_date_of, mask
from pwa.models import (
    DocumentCounter,
    LeadershipAppointment,
    LeadershipQuota,
    Occupancy,
    Person,
    PoliticalStatus,
    QuotaReservation,
    Region,
    RegionLevel,
    Unit,
)
from pwa.models.item import Item

from . import payloads as p
from . import structure_effects as s
from .errors import EffectRefused
from .routing import WorkflowPolicy
from .structure_effects import position_of

SEALED_CONTEXT = "item.sealed_payload"
ID_CONTEXT = "person.id_number"


@dataclass(frozen=True)
class Keys:
    cipher: FieldCipher
    blind_index: BlindIndex


def seal(cipher: FieldCipher, values: dict[str, str]) -> bytes:
    return cipher.encrypt(json.dumps(values, ensure_ascii=False), SEALED_CONTEXT)


def unseal(cipher: FieldCipher, blob: bytes | None) -> dict[str, str]:
    if not blob:
        return {}
    return json.loads(cipher.decrypt(blob, SEALED_CONTEXT))


def lock_unit(session: Session, unit_id: int) -> Unit:
    """Serialise every quota-changing approval of one unit (row lock on PostgreSQL)."""
    unit = session.scalars(
        select(Unit)
        .where(Unit.id == unit_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return unit


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_document_number(session: Session, region_id: int, year: int) -> str:
    """张编办〔2026〕12号: one running number per office (region) and year, gap-free."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(DocumentCounter)
        .values(region_id=region_id, year=year, last_number=0)
        .on_conflict_do_nothing()
    )
    number = session.execute(
        update(DocumentCounter)
        .where(DocumentCounter.region_id == region_id, DocumentCounter.year == year)
        .values(last_number=DocumentCounter.last_number + 1)
        .returning(DocumentCounter.last_number)
    ).scalar_one()
    short, level = session.execute(
        select(Region.short_name, Region.level).where(Region.id == region_id)
    ).one()
    # The city office abbreviates to one character (张编办); a county office keeps its
    # short name (张北编办, 蔚县编办) so that no two offices issue the same 文号.
    prefix = short[0] if level is not RegionLevel.COUNTY else short
    return f"{prefix}编办〔{year}〕{number}号"


def apply(
    session: Session,
    item: Item,
    payload: p.Payload,
    *,
    document_number: str,
    today: date,
    now: datetime,
    keys: Keys,
    policy: WorkflowPolicy,
) -> None:
    unit = lock_unit(session, item.unit_id)
    if isinstance(payload, p.QuotaUse):
        _reserve(session, item, unit, payload, document_number, today, policy)
    elif isinstance(payload, p.StaffEntry):
        _enter(session, item, payload, document_number, today, keys)
    elif isinstance(payload, p.StaffExit):
        _exit(session, item, payload, document_number, today)
    elif isinstance(payload, p.QuotaAdjust):
        s.adjust_quota(session, unit, payload, document_number, today, now)
    elif isinstance(payload, p.LeadershipPosts):
        s.set_leadership(session, unit, payload, document_number)
    elif isinstance(payload, p.UnitEstablish):
        s.establish(session, item, unit, payload, document_number, today, now)
    elif isinstance(payload, p.UnitAdjust):
        s.adjust_unit(session, unit, payload, now)
    elif isinstance(payload, p.UnitAbolish):
        s.abolish(session, unit, payload, document_number, today, now)
    # 数据查询签批 changes nothing here: the approval itself is the authority it grants.


def _reserve(
    session: Session,
    item: Item,
    unit: Unit,
    payload: p.QuotaUse,
    document_number: str,
    today: date,
    policy: WorkflowPolicy,
) -> None:
    position = position_of(session, unit.id, payload.kind, payload.funding, today)
    if position.free < payload.count:
        raise EffectRefused(
            N_("空编不足：现有空编 %(vacant)d 名，不能批准使用 %(count)d 名"),
            vacant=position.vacant,
            count=payload.count,
        )
    reservation = QuotaReservation(
        unit_id=unit.id,
        kind=payload.kind,
        funding=payload.funding,
        granted=payload.count,
        consumed=0,
        document_number=document_number,
        granted_on=today,
        valid_until=add_months(today, policy.reservation_months),
    )
    session.add(reservation)
    session.flush()
    item.reservation_id = reservation.id


def _enter(
    session: Session,
    item: Item,
    payload: p.StaffEntry,
    document_number: str,
    today: date,
    keys: Keys,
) -> None:
    consumed = session.execute(
        update(QuotaReservation)
        .where(
            QuotaReservation.id == payload.reservation_id,
            QuotaReservation.unit_id == item.unit_id,
            QuotaReservation.consumed < QuotaReservation.granted,
            QuotaReservation.valid_until >= today,
            QuotaReservation.cancelled_on.is_(None),
        )
        .values(consumed=QuotaReservation.consumed + 1)
        .execution_options(synchronize_session=False)
    )
    if consumed.rowcount != 1:
        raise EffectRefused(N_("预占编制已用完、已过期或已撤销，不能上编"))
    reservation = session.get(QuotaReservation, payload.reservation_id)
    session.refresh(reservation)
    id_number = unseal(keys.cipher, item.sealed_payload).get("id_number", "")
    index = keys.blind_index.of(id_number)
    person = session.scalar(select(Person).where(Person.id_number_index == index))
    if person is None:
        person = Person(
            name=payload.name,
            gender=payload.gender,
            ethnicity="",
            birth_date=birth_date_of(id_number) or payload.birth_date,
            id_number_ciphertext=keys.cipher.encrypt(id_number, ID_CONTEXT),
            id_number_masked=mask(id_number),
            id_number_index=index,
            education=payload.education,
            political_status=PoliticalStatus.MASSES,
            post=payload.post,
        )
        session.add(person)
        _flush_or_refuse(session)
    elif session.scalar(
        select(func.count())
        .select_from(Occupancy)
        .where(Occupancy.person_id == person.id, Occupancy.exit_date.is_(None))
    ):
        raise EffectRefused(N_("此人已在其他单位在编，须先办理下编"))
    occupancy = Occupancy(
        person_id=person.id,
        unit_id=item.unit_id,
        kind=reservation.kind,
        funding=reservation.funding,
        entry_mode=payload.entry_mode,
        entry_document_number=document_number,
        entry_date=today,
    )
    session.add(occupancy)
    _flush_or_refuse(session)
    item.person_id, item.occupancy_id = person.id, occupancy.id


def _flush_or_refuse(session: Session) -> None:
    """A concurrent 上编 of the same person (in another office, under another lock) loses
    on the unique indexes; the loser is told, not shown a 500."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise EffectRefused(N_("此人已在编，或正由另一事项办理上编，请刷新后核对")) from exc


def _exit(
    session: Session, item: Item, payload: p.StaffExit, document_number: str, today: date
) -> None:
    closed = session.execute(
        update(Occupancy)
        .where(
            Occupancy.id == payload.occupancy_id,
            Occupancy.unit_id == item.unit_id,
            Occupancy.person_id == payload.person_id,
            Occupancy.exit_date.is_(None),
            Occupancy.entry_date <= today,
        )
        .values(
            exit_date=today, exit_reason=payload.exit_reason, exit_document_number=document_number
        )
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:
        raise EffectRefused(N_("此人已不在本单位在编，不能重复下编"))
    # Leadership posts held in this unit end with the establishment record.
    in_unit = select(LeadershipQuota.id).where(LeadershipQuota.unit_id == item.unit_id)
    session.execute(
        update(LeadershipAppointment)
        .where(
            LeadershipAppointment.person_id == payload.person_id,
            LeadershipAppointment.ended_on.is_(None),
            LeadershipAppointment.quota_id.in_(in_unit.scalar_subquery()),
        )
        .values(ended_on=today)
        .execution_options(synchronize_session=False)
    )
    item.person_id, item.occupancy_id = payload.person_id, payload.occupancy_id
