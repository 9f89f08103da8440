"""The printable approval sheet (批复 / 核准使用编制通知单) on the approvals blueprint: for the
applicant and the office, once an item is approved and numbered. No ID number is printed."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from flask_babel import gettext as _

from auth.permissions import requires_any
from auth.roles import Permission
from pwa.domain.items import presentation as shown
from pwa.domain.items import service
from pwa.domain.items.routing import DECISION_STAGES
from pwa.extensions import db
from pwa.labels import label
from pwa.models import ItemTask, ItemType, QuotaReservation, TaskOutcome, TaskStage, Unit
from pwa.models.item import Item
from pwa.rendering import render_page
from pwa.routes.approvals import blueprint
from pwa.routes.item_views import content_rows, day_of, visible_or_404
from pwa.routes.items_support import participant


@dataclass(frozen=True)
class Signature:
    stage: TaskStage
    name: str
    on_behalf_of: str
    on: str


def _signatures(item: Item) -> list[Signature]:
    """Who approved at each decision stage, and on which day."""
    deciding: list[ItemTask] = [
        t for t in item.tasks if t.stage in DECISION_STAGES and t.outcome is TaskOutcome.APPROVED
    ]
    names = shown.account_names(
        db.session, [t.acted_by_id for t in deciding] + [t.on_behalf_of_id for t in deciding]
    )
    return [
        Signature(
            t.stage,
            names.get(t.acted_by_id or 0, ""),
            names.get(t.on_behalf_of_id or 0, ""),
            day_of(t.closed_at),
        )
        for t in deciding
    ]


@blueprint.get("/items/<int:item_id>/sheet")
@requires_any(Permission.SUBMIT_ITEMS, Permission.REVIEW_ITEMS, Permission.DECIDE_ITEMS)
def print_sheet(item_id: int) -> str:
    item = visible_or_404(item_id)
    who = participant()
    if not shown.sheet_available(item, who) or not item.document_number:
        abort(404)
    session = db.session
    unit = session.get(Unit, item.unit_id)
    if item.item_type is ItemType.QUOTA_USE:
        title = _("核准使用编制通知单")
    else:
        title = _("关于%(unit)s%(type)s的批复", unit=unit.full_name, type=label(item.item_type))
    reservation = (
        session.get(QuotaReservation, item.reservation_id)
        if (item.item_type is ItemType.QUOTA_USE and item.reservation_id)
        else None
    )
    return render_page(
        "items/sheet.html",
        item=item,
        unit=unit,
        title=title,
        payload=service.payload_of(item),
        reservation=reservation,
        rows=content_rows(session, item, shown.visible_groups(item, who), sheet=True),
        signatures=_signatures(item),
        decided_on=day_of(item.decided_at),
    )
