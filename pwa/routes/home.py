"""首页: what the signed-in person needs first.

Business accounts see the establishment overview of their jurisdiction (the inbox joins it
when items land); administrators see their tools and no business data.
"""

from __future__ import annotations

from flask import Blueprint

from auth.access import current
from auth.permissions import signed_in
from pwa import clock
from pwa.domain.overview import overview
from pwa.extensions import db
from pwa.rendering import render_page

blueprint = Blueprint("home", __name__)


@blueprint.get("/")
@signed_in
def show_home() -> str:
    identity = current()
    scope = identity.scope
    data = None if scope.is_empty else overview(db.session, clock.today(), scope)
    return render_page("home.html", overview=data)
