"""在线申报: declaring an item, editing a draft or a returned item (补正), submitting,
withdrawing, and the item's attachments.

Routes stay thin: the form checks what was typed, the item services decide who may do what.
The unit and type of a new item come from the request but are checked again here and in the
service (a clerk declares for their own unit only); state, requester and approver are never
taken from the request. A request whose automatic checks fail (more places than are vacant,
no live reservation …) is kept as a draft, flagged, and the edit page says why.

ID numbers travel only in POST bodies. A recruit's number is sealed by the service (the
payload keeps the masked form); a leaver's number is resolved through the blind index to the
unit's open 在编记录. Neither is ever put in a page, a URL or a log line.
"""

from __future__ import annotations

import unicodedata
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from auth.access import current
from auth.permissions import requires, signed_in
from auth.roles import Permission
from auth.web import translate
from pwa import clock
from pwa.audit_log import record_or_refuse
from pwa.domain import idnumber, quota, shortlists, workflow
from pwa.domain.attachments import AttachmentRejected, AttachmentStore
from pwa.domain.items import checks as item_checks
from pwa.domain.items import effects, service
from pwa.domain.items import payloads as p
from pwa.domain.units import find_unit
from pwa.extensions import db, secrets
from pwa.forms.items import FORMS, ItemForm, StaffEntryForm, WithdrawForm, form_data_of
from pwa.inputs import db_int
from pwa.labels import label
from pwa.models import (
    ItemAttachment,
    ItemEvent,
    ItemType,
    Occupancy,
    Person,
    QuotaReservation,
    Unit,
)
from pwa.models.item import Item
from pwa.rendering import render_page
from pwa.routes.items_support import abort_for, context, message_of, participant

blueprint = Blueprint("declare", __name__)
DECLARE = Permission.SUBMIT_ITEMS
SEE_OTHERS_ATTACHMENTS = Permission.REVIEW_ITEMS
# Types whose form shows the unit's quota position (what is vacant before one asks).
SHOWS_QUOTA = frozenset({ItemType.QUOTA_USE, ItemType.QUOTA_ADJUST})


# -- helpers ------------------------------------------------------------------------------


def _declarable(who: service.Participant) -> list[ItemType]:
    return [t for t in ItemType if service.may_declare(who, t)]


def _item_type(raw: str | None) -> ItemType | None:
    try:
        return ItemType(raw or "")
    except ValueError:
        return None


def _unit_for(who: service.Participant, raw: str | None) -> Unit | None:
    """The unit a declaration is for: a clerk's own unit and no other; for the office, the
    unit named in the request if it lies in their jurisdiction (None when none is named).
    Any unit out of reach is a 404, like a missing one."""
    scope = who.scope
    if scope.unit_id is not None:
        if raw not in (None, "") and raw != str(scope.unit_id):
            abort(404)
        unit = find_unit(db.session, scope.unit_id, scope)
    elif raw in (None, ""):
        return None
    else:
        try:
            unit_id = db_int(raw or "")
        except ValueError:
            abort(404)
        unit = find_unit(db.session, unit_id, scope)
    if unit is None:
        abort(404)
    return unit


def _own_item(who: service.Participant, item_id: int) -> Item:
    """The caller's own item: 404 when they cannot see it, 403 when it is someone else's."""
    try:
        item = service.get_visible(db.session, who, item_id)
    except service.ItemError as error:
        abort_for(error)
        raise
    if item.requester_id != who.account_id:
        abort(403)
    return item


def _see_item(item_id: int) -> Response:
    return redirect(url_for("approvals.show_item", item_id=item_id), 303)


def _edit(item_id: int) -> Response:
    return redirect(url_for("declare.edit_item", item_id=item_id), 303)


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


def _make_form(
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


def _committee(form: ItemForm, who: service.Participant, item: Item | None) -> bool:
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


def _payload_parts(
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


def _checks(item: Item) -> list[dict[str, Any]]:
    found = service.checks_for(db.session, item, context(), with_joint_review=False)
    return [
        {"passed": c.passed, "blocking": c.blocking, "text": translate((c.msgid, c.params))}
        for c in found
    ]


def _blocked(session: Session, item: Item) -> bool:
    """Whether a blocking automatic check fails now (such an item stays a draft)."""
    found = service.checks_for(session, item, context(), with_joint_review=False)
    return bool(item_checks.blocking_failures(found))


def _after_save(item_id: int, state: Any, flagged: bool, wanted_submit: bool) -> Response:
    """Where to go after saving: the edit page when a blocking check failed (the item is
    held back, and the page says why), the item page otherwise."""
    if flagged:
        if wanted_submit:
            flash(_("自动校验未通过，已保存但暂不能提交：请按下面的校验结果修改"), "warning")
        else:
            flash(_("已保存。注意：自动校验未通过，修改前不能提交"), "warning")
        return _edit(item_id)
    if state is service.S.DRAFT:
        flash(_("草稿已保存"), "success")
    elif state is service.S.RETURNED:
        flash(_("已保存，补正完成后请重新提交"), "success")
    else:
        flash(_("已提交，等待编办受理"), "success")
    return _see_item(item_id)


def _positions(item_type: ItemType, unit: Unit) -> list[quota.QuotaPosition]:
    if item_type not in SHOWS_QUOTA:
        return []
    return quota.unit_positions(db.session, unit.id, clock.today())


def _render_form(
    form: ItemForm,
    item_type: ItemType,
    unit: Unit,
    who: service.Participant,
    *,
    error: str | None = None,
) -> str:
    form.forget_id_number()
    return render_page(
        "items/declare/new.html",
        form=form,
        item_type=item_type,
        unit=unit,
        fixed_unit=who.scope.unit_id is not None,
        positions=_positions(item_type, unit),
        error=error,
    )


def _return_comment(item: Item) -> dict[str, str] | None:
    """The office's latest 退回补正 opinion, shown at the top while the item is returned."""
    if item.state is not service.S.RETURNED:
        return None
    event = db.session.scalar(
        select(ItemEvent)
        .where(ItemEvent.item_id == item.id, ItemEvent.action == "return")
        .order_by(ItemEvent.id.desc())
        .limit(1)
    )
    if event is None:
        return None
    day = event.occurred_at.astimezone(clock.OFFICE_TIMEZONE).date()
    return {"comment": event.comment, "on": day.isoformat()}


def _attachments(item_id: int) -> list[ItemAttachment]:
    return list(
        db.session.scalars(
            select(ItemAttachment)
            .where(ItemAttachment.item_id == item_id)
            .order_by(ItemAttachment.id)
        )
    )


def _render_edit(item: Item, form: ItemForm, *, error: str | None = None) -> str:
    form.forget_id_number()
    unit = db.session.get(Unit, item.unit_id)
    return render_page(
        "items/declare/edit.html",
        item=item,
        form=form,
        unit=unit,
        positions=_positions(item.item_type, unit),
        checks=_checks(item),
        returned=_return_comment(item),
        attachments=_attachments(item.id),
        max_count=context().policy.attachment_max_count,
        max_megabytes=context().policy.attachment_max_bytes // (1024 * 1024),
        error=error,
    )


def _store() -> AttachmentStore:
    return AttachmentStore(
        Path(current_app.instance_path) / "attachments",
        max_bytes=context().policy.attachment_max_bytes,
    )


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` for old clients and the real name as
    ``filename*`` (RFC 5987/6266), so Chinese names survive every browser."""
    suffix = Path(filename).suffix
    if not (suffix.isascii() and suffix[1:].isalnum()):
        suffix = ""
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    plain = "".join(c for c in plain if c.isprintable() and c not in '"\\;').strip()
    stem = plain[: -len(suffix)] if suffix and plain.endswith(suffix) else plain
    if not stem.strip(" ._-"):
        plain = "attachment" + suffix
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


# -- declaring ----------------------------------------------------------------------------


@blueprint.get("/items/new")
@requires(DECLARE)
def new_item() -> Any:
    who = participant()
    types = _declarable(who)
    if not types:
        abort(403)
    raw_type = request.args.get("type", "")
    item_type = _item_type(raw_type) if raw_type else None
    if raw_type and (item_type is None or item_type not in types):
        abort(404)
    unit = _unit_for(who, request.args.get("unit"))
    if unit is None:
        return _choose_unit(who, item_type)
    if item_type is None:
        return render_page(
            "items/declare/choose_type.html",
            unit=unit,
            types=types,
            fixed_unit=who.scope.unit_id is not None,
        )
    form = _make_form(item_type, unit, who, prefill=True)
    return _render_form(form, item_type, unit, who)


def _choose_unit(who: service.Participant, item_type: ItemType | None) -> Any:
    """Office staff first pick the unit (a unit card links here with ``unit`` already set)."""
    from pwa.domain.search import normalize_query, search_units

    query = normalize_query(request.args.get("q", ""))
    if idnumber.find_valid_numbers(query.upper()):
        flash(_("这里只能按单位名称查找；身份证号不要填在网址或查询框里"), "warning")
        return redirect(url_for("declare.new_item", type=item_type.value if item_type else None))
    hits = search_units(db.session, query, who.scope, limit=20) if query else []
    recent = [] if query else shortlists.recent_units(db.session, who.account_id, who.scope)
    return render_page(
        "items/declare/choose_unit.html",
        query=query,
        hits=hits,
        recent=recent,
        item_type=item_type,
    )


@blueprint.post("/items/new")
@requires(DECLARE)
def create_item() -> Any:
    who = participant()
    item_type = _item_type(request.form.get("type"))
    if item_type is None:
        abort(404)
    if not service.may_declare(who, item_type):
        abort(403)
    unit = _unit_for(who, request.form.get("unit"))
    if unit is None:
        abort(404)
    form = _make_form(item_type, unit, who)
    wants_submit = request.form.get("action") == "submit"
    error, status = None, 400
    if form.validate_on_submit():
        parts = _payload_parts(form, item_type, unit, None)
        if parts is not None:
            values, sealed = parts
            draft = service.Draft(
                item_type,
                unit.id,
                form.payload(**values),
                sealed=sealed,
                committee=_committee(form, who, None),
            )
            key = (form.idempotency_key.data or "").strip()
            try:
                outcome = _create_once(who, draft, key, wants_submit)
            except service.ItemError as failure:
                abort_for(failure)
                error, status = message_of(failure), failure.status
            else:
                return _after_save(*outcome, wanted_submit=wants_submit)
    if not form.idempotency_key.data:
        form.idempotency_key.data = uuid.uuid4().hex
    return _render_form(form, item_type, unit, who, error=error), status


def _create_once(
    who: service.Participant, draft: service.Draft, key: str, wants_submit: bool
) -> tuple[int, Any, bool]:
    """``_create`` in its own transaction. If the same key raced in from a double tap (on
    PostgreSQL both requests may look before either inserts), the unique key refuses the
    second insert and a second look finds the item the first one made."""
    try:
        with db.write() as session:
            return _create(session, who, draft, key, wants_submit)
    except IntegrityError:
        with db.write() as session:
            return _create(session, who, draft, key, wants_submit)


def _create(
    session: Session,
    who: service.Participant,
    draft: service.Draft,
    key: str,
    wants_submit: bool,
) -> tuple[int, Any, bool]:
    """Create (or find again, for a repeated key) the item; submit it unless a blocking
    check fails. Returns (item id, state, flagged)."""
    ctx = context()
    existing = session.scalar(
        select(Item).where(Item.requester_id == who.account_id, Item.idempotency_key == key[:64])
    )
    if existing is not None:
        held = existing.flagged and existing.state in workflow.EDITABLE
        return existing.id, existing.state, held
    item = service.create(session, who, draft, idempotency_key=key, submit=False, ctx=ctx)
    if wants_submit and not item.flagged:
        item = service.submit(session, who, item.id, expected_version=item.version, ctx=ctx)
    return item.id, item.state, item.flagged


# -- editing (草稿, 退回补正) ---------------------------------------------------------------


@blueprint.get("/items/<int:item_id>/edit")
@requires(DECLARE)
def edit_item(item_id: int) -> Any:
    who = participant()
    item = _own_item(who, item_id)
    if item.state not in workflow.EDITABLE:
        flash(_("事项已提交，不能修改；如需更正，可撤回或请编办退回补正"), "warning")
        return _see_item(item_id)
    unit = db.session.get(Unit, item.unit_id)
    form = _make_form(item.item_type, unit, who, item=item, prefill=True)
    return _render_edit(item, form)


@blueprint.post("/items/<int:item_id>/edit")
@requires(DECLARE)
def update_item(item_id: int) -> Any:
    who = participant()
    item = _own_item(who, item_id)
    if item.state not in workflow.EDITABLE:
        flash(_("事项已提交，不能修改；如需更正，可撤回或请编办退回补正"), "warning")
        return _see_item(item_id)
    unit = db.session.get(Unit, item.unit_id)
    form = _make_form(item.item_type, unit, who, item=item)
    wants_submit = request.form.get("action") == "submit"
    error, status = None, 400
    if form.validate_on_submit():
        parts = _payload_parts(form, item.item_type, unit, item)
        if parts is not None:
            values, sealed = parts
            draft = service.Draft(
                item.item_type,
                item.unit_id,
                form.payload(**values),
                sealed=sealed,
                committee=_committee(form, who, item),
            )
            ctx = context()
            try:
                with db.write() as session:
                    updated = service.update(
                        session,
                        who,
                        item_id,
                        draft,
                        expected_version=form.expected_version(),
                        submit=False,
                        ctx=ctx,
                    )
                    if wants_submit and not updated.flagged:
                        updated = service.submit(
                            session, who, item_id, expected_version=updated.version, ctx=ctx
                        )
                    outcome = (updated.id, updated.state, updated.flagged)
            except service.ItemError as failure:
                abort_for(failure)
                error, status = message_of(failure), failure.status
            else:
                return _after_save(*outcome, wanted_submit=wants_submit)
    return _render_edit(item, form, error=error), status


@blueprint.post("/items/<int:item_id>/submit")
@requires(DECLARE)
def submit_item(item_id: int) -> Response:
    """提交 (or 重新提交) a draft as it stands, from the item page."""
    who = participant()
    _own_item(who, item_id)
    try:
        version = db_int(request.form.get("version", "0"))
    except ValueError:
        version = 0
    try:
        with db.write() as session:
            item = service.get_visible(session, who, item_id, lock=True)
            if item.state in workflow.EDITABLE and _blocked(session, item):
                flash(_("自动校验未通过，暂不能提交：请按下面的校验结果修改"), "warning")
                return _edit(item_id)
            service.submit(session, who, item_id, expected_version=version, ctx=context())
    except service.ItemError as failure:
        abort_for(failure)
        flash(message_of(failure), "error")
    else:
        flash(_("已提交，等待编办受理"), "success")
    return _see_item(item_id)


# -- withdrawing --------------------------------------------------------------------------


@blueprint.get("/items/<int:item_id>/withdraw")
@requires(DECLARE)
def confirm_withdraw(item_id: int) -> Any:
    who = participant()
    item = _own_item(who, item_id)
    if not workflow.can(item.state, workflow.Action.WITHDRAW):
        flash(_("此事项已有决定或已结束，不能撤回"), "warning")
        return _see_item(item_id)
    form = WithdrawForm(formdata=None, version=str(item.version))
    unit = db.session.get(Unit, item.unit_id)
    return render_page("items/declare/withdraw.html", item=item, unit=unit, form=form, error=None)


@blueprint.post("/items/<int:item_id>/withdraw")
@requires(DECLARE)
def withdraw_item(item_id: int) -> Any:
    who = participant()
    item = _own_item(who, item_id)
    form = WithdrawForm()
    error, status = None, 400
    if form.validate_on_submit():
        try:
            with db.write() as session:
                service.withdraw(
                    session,
                    who,
                    item_id,
                    comment=form.reason.data or "",
                    expected_version=form.expected_version(),
                    ctx=context(),
                )
        except service.ItemError as failure:
            abort_for(failure)
            error, status = message_of(failure), failure.status
        else:
            flash(_("已撤回"), "success")
            return _see_item(item_id)
    unit = db.session.get(Unit, item.unit_id)
    page = render_page("items/declare/withdraw.html", item=item, unit=unit, form=form, error=error)
    return page, status


# -- attachments --------------------------------------------------------------------------


@blueprint.post("/items/<int:item_id>/attachments")
@requires(DECLARE)
def upload_attachment(item_id: int) -> Any:
    who = participant()
    item = _own_item(who, item_id)
    if item.state not in workflow.EDITABLE:
        flash(_("事项已提交，不能再添加附件；如需补充请联系编办退回补正"), "error")
        return _see_item(item_id)
    upload = request.files.get("file")
    error, status = None, 400
    if upload is None or not upload.filename:
        error = _("请选择要上传的文件")
    else:
        store = _store()
        data = upload.stream.read(store.max_bytes + 1)
        try:
            stored = store.save(data, upload.filename)
            with db.write() as session:
                service.attach(
                    session,
                    who,
                    item_id,
                    filename=stored.filename,
                    content_type=stored.content_type,
                    size=stored.size,
                    sha256=stored.sha256,
                    ctx=context(),
                )
        except AttachmentRejected as rejected:
            error = translate(rejected)
        except service.ItemError as failure:
            abort_for(failure)
            error, status = message_of(failure), failure.status
        else:
            flash(_("已上传附件：%(name)s", name=stored.filename), "success")
            return _edit(item_id)
    unit = db.session.get(Unit, item.unit_id)
    form = _make_form(item.item_type, unit, who, item=item, prefill=True)
    return _render_edit(item, form, error=error), status


@blueprint.get("/items/<int:item_id>/attachments/<int:attachment_id>")
@signed_in
def download_attachment(item_id: int, attachment_id: int) -> Response:
    """The file as uploaded, for its uploader and the office; everyone else gets a 404."""
    who = participant()
    try:
        item = service.get_visible(db.session, who, item_id)
    except service.ItemError:
        abort(404)
    if item.requester_id != who.account_id and not current().can(SEE_OTHERS_ATTACHMENTS):
        abort(404)
    attachment = db.session.scalar(
        select(ItemAttachment).where(
            ItemAttachment.id == attachment_id, ItemAttachment.item_id == item.id
        )
    )
    if attachment is None:
        abort(404)
    try:
        data = _store().open(attachment.sha256)
    except (FileNotFoundError, ValueError):
        abort(404)
    record_or_refuse(
        "item.attachment.download",
        object_type="item_attachment",
        object_id=attachment.id,
        detail={"item": item.id},
    )
    response = Response(data, content_type=attachment.content_type)
    response.headers["Content-Disposition"] = content_disposition(attachment.filename)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
