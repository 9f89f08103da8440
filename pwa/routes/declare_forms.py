"""The declaration forms: the item type's form, read from the request or filled from an
item, and what the form cannot say by itself (the recruit's ID number, sealed, with its
masked form; the leaver's open 在编记录, found through the blind index and audited).

ID numbers are never put in a page, a URL or a log line.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from pwa import clock
from pwa.audit_log import record_or_refuse
from pwa.domain import idnumber
from pwa.domain.items import effects, service
from pwa.domain.items import payloads as p
from pwa.extensions import db, secrets
from pwa.forms.items import FORMS, ItemForm, StaffEntryForm, form_data_of
from pwa.labels import label
from pwa.models import ItemType, Occupancy, Person, QuotaReservation, Unit
from pwa.models.item import Item


def _reservation_options(unit_id: int) -> list[tuple[int, str]]:
    """The unit's live 预占 (granted, not used up, not lapsed, not cancelled)."""
    rows = db.session.scalars(
        select(QuotaReservation)
        .where(
            QuotaReservation.unit_id == unit_id,
            QuotaReservation.consumed < QuotaReservation.granted,
            QuotaReservation.valid_until >= clock.today(),
            QuotaReservation.cancelled_on.is_(None),
        )
        .order_by(QuotaReservation.valid_until, QuotaReservation.id)
    ).all()
    return [
        (
            r.id,
            _(
                "%(document)s · %(kind)s（%(funding)s）· 尚余 %(left)d 名 · 有效期至 %(until)s",
                document=r.document_number,
                kind=label(r.kind),
                funding=label(r.funding),
                left=r.granted - r.consumed,
                until=r.valid_until.isoformat(),
            ),
        )
        for r in rows
    ]


def make_form(
    item_type: ItemType,
    unit: Unit,
    who: service.Participant,
    *,
    item: Item | None = None,
    prefill: bool = False,
) -> ItemForm:
    """The type's form, read from the request (``prefill`` False) or filled from ``item``."""
    form_class = FORMS[item_type]
    if prefill and item is not None:
        data = form_data_of(service.payload_of(item))
        form = form_class(
            formdata=None, data=data, version=str(item.version), committee=item.committee
        )
    elif prefill:
        form = form_class(formdata=None, idempotency_key=uuid.uuid4().hex)
    else:
        form = form_class()
    if isinstance(form, StaffEntryForm):
        form.reservation_id.choices = _reservation_options(unit.id)
    if item is not None and form.has_id_number:
        form.id_number_required = False  # type: ignore[attr-defined]
        if isinstance(form, StaffEntryForm) and item.sealed_payload:
            sealed = effects.unseal(secrets.cipher, item.sealed_payload)
            form.reference_id_number = sealed.get("id_number") or None
    if not who.is_office:
        del form.committee  # only the office puts an item on the 编委 agenda
    return form


def committee_choice(form: ItemForm, who: service.Participant, item: Item | None) -> bool:
    """Whether the item goes on the 编委 agenda: the office's choice on the form; for an
    applicant, what the item already had."""
    if not who.is_office:
        return item.committee if item is not None else False
    return bool(form.committee.data)


def _person_on_establishment(unit: Unit, number: str) -> tuple[int, int] | None:
    """The open 在编记录 (occupancy id, person id) of ``number`` in ``unit``, audited."""
    row = db.session.execute(
        select(Occupancy.id, Occupancy.person_id)
        .join(Person, Person.id == Occupancy.person_id)
        .where(
            Person.id_number_index == secrets.blind_index.of(number),
            Occupancy.unit_id == unit.id,
            Occupancy.exit_date.is_(None),
        )
        .order_by(Occupancy.id)
        .limit(1)
    ).first()
    record_or_refuse(
        "item.find_person",
        outcome="found" if row else "not_found",
        object_type="unit",
        object_id=unit.id,
    )
    return (row.id, row.person_id) if row else None


def payload_parts(
    form: ItemForm, item_type: ItemType, unit: Unit, item: Item | None
) -> tuple[dict[str, Any], dict[str, str]] | None:
    """What the form cannot say by itself: (payload values, sealed values), or None after
    adding a field error. Editing without a new ID number keeps the stored one."""
    if item_type is ItemType.STAFF_ENTRY:
        number = form.typed_id_number()  # type: ignore[attr-defined]
        if number:
            return {"id_number_masked": idnumber.mask(number)}, {"id_number": number}
        previous = service.payload_of(item) if item is not None else None
        masked = previous.id_number_masked if isinstance(previous, p.StaffEntry) else ""
        return {"id_number_masked": masked}, {}
    if item_type is ItemType.STAFF_EXIT:
        number = form.typed_id_number()  # type: ignore[attr-defined]
        if number:
            found = _person_on_establishment(unit, number)
            if found is None:
                form["id_number"].errors.append(_("此身份证号不在本单位在编人员中"))
                return None
            return {"occupancy_id": found[0], "person_id": found[1]}, {}
        previous = service.payload_of(item) if item is not None else None
        if not isinstance(previous, p.StaffExit):
            form["id_number"].errors.append(_("请填写身份证号"))
            return None
        return {"occupancy_id": previous.occupancy_id, "person_id": previous.person_id}, {}
    return {}, {}
