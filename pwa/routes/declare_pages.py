"""What the declaring and attachment views share: the caller's own item, where to go next,
and the declaration and edit pages (with the quota position, the automatic checks, the
office's 退回补正 opinion and the attachments)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, redirect, url_for
from sqlalchemy import select

from auth.web import translate
from pwa import clock
from pwa.domain import quota
from pwa.domain.items import service
from pwa.extensions import db
from pwa.forms.items import ItemForm
from pwa.models import ItemAttachment, ItemEvent, ItemType, Unit
from pwa.models.item import Item
from pwa.rendering import render_page
from pwa.routes.items_support import abort_for, context

# Types whose form shows the unit's quota position (what is vacant before one asks).
SHOWS_QUOTA = frozenset({ItemType.QUOTA_USE, ItemType.QUOTA_ADJUST})


def own_item(who: service.Participant, item_id: int) -> Item:
    """The caller's own item: 404 when they cannot see it, 403 when it is someone else's."""
    try:
        item = service.get_visible(db.session, who, item_id)
    except service.ItemError as error:
        abort_for(error)
        raise
    if item.requester_id != who.account_id:
        abort(403)
    return item


def redirect_to_item(item_id: int) -> Response:
    return redirect(url_for("approvals.show_item", item_id=item_id), 303)


def redirect_to_edit(item_id: int) -> Response:
    return redirect(url_for("declare.edit_item", item_id=item_id), 303)


def _positions(item_type: ItemType, unit: Unit) -> list[quota.QuotaPosition]:
    if item_type not in SHOWS_QUOTA:
        return []
    return quota.unit_positions(db.session, unit.id, clock.today())


def render_new(
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


def _checks(item: Item) -> list[dict[str, Any]]:
    found = service.checks_for(db.session, item, context(), with_joint_review=False)
    return [
        {"passed": c.passed, "blocking": c.blocking, "text": translate((c.msgid, c.params))}
        for c in found
    ]


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


def render_edit(item: Item, form: ItemForm, *, error: str | None = None) -> str:
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
