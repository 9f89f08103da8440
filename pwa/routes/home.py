"""首页: what the signed-in person needs first.

Business accounts see the inbox summary (待我审批, 已逾期, 编委议程) above the establishment
overview of their jurisdiction; administrators see their tools and no business data.
"""

from __future__ import annotations

from flask import Blueprint

from auth.access import current
from auth.permissions import signed_in
from pwa import clock
from pwa.domain.items import inbox
from pwa.domain.overview import overview
from pwa.extensions import db
from pwa.rendering import render_page
from pwa.routes.items_support import ITEM_PERMISSIONS, participant

blueprint = Blueprint("home", __name__)


@blueprint.get("/")
@signed_in
def show_home() -> str:
    identity = current()
    scope = identity.scope
    data = None if scope.is_empty else overview(db.session, clock.today(), scope)
    summary, agenda = None, False
    if any(identity.can(p) for p in ITEM_PERMISSIONS):
        who = participant()
        summary = inbox.badges(db.session, who, clock.today())
        agenda = inbox.Box.AGENDA in inbox.boxes_for(who)
    return render_page(
        "home.html",
        overview=data,
        inbox_summary=summary,
        agenda=agenda,
        app_badge=summary.todo + summary.returned if summary else None,
    )
