"""What an approval changes in a unit's structure: 编制调整 and 机构撤销 append to the
unit's ledger (append-only, with the 文号), 职数核定 sets its 领导职数, 机构设立/调整 create or
change the unit. ``effects.apply`` calls these under the unit's lock.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth.i18n import N_
from pwa.domain import quota
from pwa.domain.quota import position_of
from pwa.domain.search_index import reindex_units
from pwa.models import (
    LeadershipAppointment,
    LeadershipQuota,
    QuotaLedgerEntry,
    Region,
    Unit,
)
from pwa.models.item import Item
from pwa.seed.codes import REGISTRAR_INSTITUTION, REGISTRAR_ORGAN, make_credit_code

from . import payloads as p
from .errors import EffectRefused


def _ledger(
    session: Session,
    unit_id: int,
    kind: str,
    funding: str,
    delta: int,
    document_number: str,
    today: date,
    now: datetime,
    summary: str,
) -> None:
    session.add(
        QuotaLedgerEntry(
            unit_id=unit_id,
            kind=kind,
            funding=funding,
            delta=delta,
            document_number=document_number,
            effective_on=today,
            summary=summary[:500],
            recorded_at=now,
        )
    )


def adjust_quota(
    session: Session,
    unit: Unit,
    payload: p.QuotaAdjust,
    document_number: str,
    today: date,
    now: datetime,
) -> None:
    position = position_of(session, unit.id, payload.kind, payload.funding, today)
    if position.approved + payload.delta < position.actual + position.reserved:
        raise EffectRefused(
            N_("核减后核定数 %(after)d 名将少于实有加预占 %(needed)d 名，不能批准"),
            after=position.approved + payload.delta,
            needed=position.actual + position.reserved,
        )
    _ledger(
        session,
        unit.id,
        payload.kind,
        payload.funding,
        payload.delta,
        document_number,
        today,
        now,
        payload.reason,
    )
    unit.version += 1
    unit.updated_at = now


def set_leadership(
    session: Session, unit: Unit, payload: p.LeadershipPosts, document_number: str
) -> None:
    row = session.scalar(
        select(LeadershipQuota).where(
            LeadershipQuota.unit_id == unit.id,
            LeadershipQuota.department_id.is_(None),
            LeadershipQuota.level == payload.level,
            LeadershipQuota.position == payload.position,
        )
    )
    filled = 0
    if row is not None:
        filled = (
            session.scalar(
                select(func.count())
                .select_from(LeadershipAppointment)
                .where(
                    LeadershipAppointment.quota_id == row.id,
                    LeadershipAppointment.ended_on.is_(None),
                )
            )
            or 0
        )
    if filled > payload.approved:
        raise EffectRefused(
            N_("核定职数 %(approved)d 名少于现有实配 %(filled)d 名，不能批准"),
            approved=payload.approved,
            filled=filled,
        )
    if row is None:
        session.add(
            LeadershipQuota(
                unit_id=unit.id,
                level=payload.level,
                position=payload.position,
                title=payload.title[:32],
                approved=payload.approved,
                document_number=document_number,
            )
        )
    else:
        row.approved = payload.approved
        row.title = payload.title[:32] or row.title
        row.document_number = document_number
    unit.version += 1


def establish(
    session: Session,
    item: Item,
    parent: Unit,
    payload: p.UnitEstablish,
    document_number: str,
    today: date,
    now: datetime,
) -> None:
    region_code = session.scalar(select(Region.code).where(Region.id == parent.region_id))
    registrar = REGISTRAR_ORGAN if payload.nature == "administrative" else REGISTRAR_INSTITUTION
    unit = Unit(
        # A unique placeholder until the row has its id; the code is derived from the id
        # (organisation-code bodies starting with 9 are never produced by the demo data).
        credit_code=f"TMP{uuid.uuid4().hex[:15].upper()}",
        full_name=payload.full_name,
        short_name=payload.short_name,
        kind=payload.kind,
        nature=payload.nature,
        rank=payload.rank,
        funding=payload.funding,
        region_id=parent.region_id,
        parent_id=parent.id,
        functions=payload.functions,
        established_on=today,
        sort_order=0,
        version=1,
        updated_at=now,
    )
    session.add(unit)
    session.flush()
    unit.credit_code = make_credit_code(registrar, region_code or "000000", f"9{unit.id:07d}")
    session.flush()
    if payload.quota_count > 0:
        _ledger(
            session,
            unit.id,
            payload.quota_kind,
            payload.funding,
            payload.quota_count,
            document_number,
            today,
            now,
            payload.reason,
        )
    reindex_units(session, [unit.id])
    item.created_unit_id = unit.id


def adjust_unit(session: Session, unit: Unit, payload: p.UnitAdjust, now: datetime) -> None:
    if payload.full_name:
        unit.full_name = payload.full_name
    if payload.short_name:
        unit.short_name = payload.short_name
    if payload.rank is not None:
        unit.rank = payload.rank
    if payload.functions:
        unit.functions = payload.functions
    unit.version += 1
    unit.updated_at = now
    session.flush()
    reindex_units(session, [unit.id])


def abolish(
    session: Session,
    unit: Unit,
    payload: p.UnitAbolish,
    document_number: str,
    today: date,
    now: datetime,
) -> None:
    positions = quota.unit_positions(session, unit.id, today)
    if any(pos.actual or pos.reserved for pos in positions):
        raise EffectRefused(N_("单位仍有在编人员或预占编制，不能撤销"))
    for pos in positions:
        if pos.approved:
            _ledger(
                session,
                unit.id,
                pos.kind,
                pos.funding,
                -pos.approved,
                document_number,
                today,
                now,
                payload.reason,
            )
    unit.abolished_on = today
    unit.version += 1
    unit.updated_at = now
    session.flush()
    reindex_units(session, [unit.id])
