"""在线申报: declaring an item, editing a draft or a returned item (补正), submitting and
withdrawing (the item's attachments are in ``attachments``, on the same blueprint).

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

import uuid
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from auth.permissions import requires
from auth.roles import Permission
from pwa.domain import idnumber, shortlists, workflow
from pwa.domain.items import checks as item_checks
from pwa.domain.items import service
from pwa.domain.units import find_unit
from pwa.extensions import db
from pwa.forms.items import WithdrawForm
from pwa.inputs import db_int
from pwa.models import ItemType, Unit
from pwa.models.item import Item
from pwa.rendering import render_page
from pwa.routes.declare_forms import committee_choice, make_form, payload_parts
from pwa.routes.declare_pages import (
    own_item,
    redirect_to_edit,
    redirect_to_item,
    render_edit,
    render_new,
)
from pwa.routes.items_support import abort_for, context, message_of, participant

blueprint = Blueprint("declare", __name__)
DECLARE = Permission.SUBMIT_ITEMS


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
        return redirect_to_edit(item_id)
    if state is service.S.DRAFT:
        flash(_("草稿已保存"), "success")
    elif state is service.S.RETURNED:
        flash(_("已保存，补正完成后请重新提交"), "success")
    else:
        flash(_("已提交，等待编办受理"), "success")
    return redirect_to_item(item_id)


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
    form = make_form(item_type, unit, who, prefill=True)
    return render_new(form, item_type, unit, who)


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
    form = make_form(item_type, unit, who)
    wants_submit = request.form.get("action") == "submit"
    error, status = None, 400
    if form.validate_on_submit():
        parts = payload_parts(form, item_type, unit, None)
        if parts is not None:
            values, sealed = parts
            draft = service.Draft(
                item_type,
                unit.id,
                form.payload(**values),
                sealed=sealed,
                committee=committee_choice(form, who, None),
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
    return render_new(form, item_type, unit, who, error=error), status


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


# -- editing (草稿, 退回补正) -------------------------------------------------------------------


@blueprint.get("/items/<int:item_id>/edit")
@requires(DECLARE)
def edit_item(item_id: int) -> Any:
    who = participant()
    item = own_item(who, item_id)
    if item.state not in workflow.EDITABLE:
        flash(_("事项已提交，不能修改；如需更正，可撤回或请编办退回补正"), "warning")
        return redirect_to_item(item_id)
    unit = db.session.get(Unit, item.unit_id)
    form = make_form(item.item_type, unit, who, item=item, prefill=True)
    return render_edit(item, form)


@blueprint.post("/items/<int:item_id>/edit")
@requires(DECLARE)
def update_item(item_id: int) -> Any:
    who = participant()
    item = own_item(who, item_id)
    if item.state not in workflow.EDITABLE:
        flash(_("事项已提交，不能修改；如需更正，可撤回或请编办退回补正"), "warning")
        return redirect_to_item(item_id)
    unit = db.session.get(Unit, item.unit_id)
    form = make_form(item.item_type, unit, who, item=item)
    wants_submit = request.form.get("action") == "submit"
    error, status = None, 400
    if form.validate_on_submit():
        parts = payload_parts(form, item.item_type, unit, item)
        if parts is not None:
            values, sealed = parts
            draft = service.Draft(
                item.item_type,
                item.unit_id,
                form.payload(**values),
                sealed=sealed,
                committee=committee_choice(form, who, item),
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
    return render_edit(item, form, error=error), status


@blueprint.post("/items/<int:item_id>/submit")
@requires(DECLARE)
def submit_item(item_id: int) -> Response:
    """提交 (or 重新提交) a draft as it stands, from the item page."""
    who = participant()
    own_item(who, item_id)
    try:
        version = db_int(request.form.get("version", "0"))
    except ValueError:
        version = 0
    try:
        with db.write() as session:
            item = service.get_visible(session, who, item_id, lock=True)
            if item.state in workflow.EDITABLE and _blocked(session, item):
                flash(_("自动校验未通过，暂不能提交：请按下面的校验结果修改"), "warning")
                return redirect_to_edit(item_id)
            service.submit(session, who, item_id, expected_version=version, ctx=context())
    except service.ItemError as failure:
        abort_for(failure)
        flash(message_of(failure), "error")
    else:
        flash(_("已提交，等待编办受理"), "success")
    return redirect_to_item(item_id)


# -- withdrawing --------------------------------------------------------------------------


@blueprint.get("/items/<int:item_id>/withdraw")
@requires(DECLARE)
def confirm_withdraw(item_id: int) -> Any:
    who = participant()
    item = own_item(who, item_id)
    if not workflow.can(item.state, workflow.Action.WITHDRAW):
        flash(_("此事项已有决定或已结束，不能撤回"), "warning")
        return redirect_to_item(item_id)
    form = WithdrawForm(formdata=None, version=str(item.version))
    unit = db.session.get(Unit, item.unit_id)
    return render_page("items/declare/withdraw.html", item=item, unit=unit, form=form, error=None)


@blueprint.post("/items/<int:item_id>/withdraw")
@requires(DECLARE)
def withdraw_item(item_id: int) -> Any:
    who = participant()
    item = own_item(who, item_id)
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
            return redirect_to_item(item_id)
    unit = db.session.get(Unit, item.unit_id)
    page = render_page("items/declare/withdraw.html", item=item, unit=unit, form=form, error=error)
    return page, status


# The attachment views: they register on ``blueprint`` when imported.
from pwa.routes import attachments  # noqa: E402, F401
