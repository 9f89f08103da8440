"""查询: search, browse, the unit card, pins — the screens staff open most in the field."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from auth.access import current
from auth.permissions import requires, requires_any
from auth.roles import Permission
from pwa import clock
from pwa.domain import browse, idnumber, shortlists
from pwa.domain.items import inbox
from pwa.domain.units import find_unit, leadership_totals, summaries, unit_card
from pwa.extensions import db
from pwa.rendering import render_page
from pwa.routes.items_support import ITEM_PERMISSIONS, participant

blueprint = Blueprint("lookup", __name__)
VIEW = Permission.VIEW_ESTABLISHMENT


@blueprint.get("/search")
@requires(VIEW)
def search_units() -> str | Response:
    from pwa.domain.search import normalize_query
    from pwa.domain.search import search_units as run_search

    identity = current()
    query = normalize_query(request.args.get("q", ""))
    if idnumber.find_valid_numbers(query.upper()):
        # An ID number typed into the unit search: never search by it from a URL, and take
        # it out of the address bar and history again.
        flash(_("身份证号请用“按身份证号查找人员”查询（不会出现在网址中）"), "warning")
        if request.headers.get("HX-Request") == "true":
            return Response(status=200, headers={"HX-Redirect": url_for("lookup.search_units")})
        return redirect(url_for("lookup.search_units"))
    results = []
    if query:
        hits = run_search(db.session, query, identity.scope, limit=20)
        results = summaries(
            db.session,
            [h.unit_id for h in hits],
            clock.today(),
            matched={h.unit_id: h.matched for h in hits},
        )
    recent = (
        [] if query else shortlists.recent_units(db.session, identity.account.id, identity.scope)
    )
    pinned = (
        [] if query else shortlists.pinned_units(db.session, identity.account.id, identity.scope)
    )
    return render_page(
        "lookup/search.html",
        block="results",
        query=query,
        results=results,
        recent=recent,
        pinned=pinned,
    )


@blueprint.get("/browse")
@requires(VIEW)
def browse_regions() -> str:
    return render_page("lookup/browse.html", tree=browse.region_tree(db.session, current().scope))


@blueprint.get("/browse/regions/<int:region_id>")
@requires(VIEW)
def browse_region(region_id: int) -> str:
    from pwa.models import Region

    identity = current()
    region = db.session.get(Region, region_id)
    units = browse.units_under(db.session, identity.scope, clock.today(), region_id=region_id)
    if region is None or not units:
        abort(404)  # nothing of the caller's there: indistinguishable from missing
    return render_page("lookup/region.html", region=region, units=units)


@blueprint.get("/units/<int:unit_id>")
@requires(VIEW)
def show_unit(unit_id: int) -> Response:
    identity = current()
    card = unit_card(db.session, unit_id, identity.scope, clock.today())
    if card is None:
        abort(404)
    account_id, now = identity.account.id, clock.now()
    state = shortlists.card_state(db.session, account_id, unit_id)
    if state.visit_is_stale(now):
        # The recently-viewed list is convenience data: its write skips the fsync (losing
        # the last visit on power loss is acceptable) so that card views, which write at
        # most every few minutes per unit, do not queue on the disk behind each other.
        # Decisions, audit and accounts keep full durability.
        with db.write(durable=False) as session:
            shortlists.record_visit(session, account_id, unit_id, now)
    html = render_page(
        "lookup/unit.html",
        card=card,
        # Passed in rather than {% set %} in the template: with a block variable in scope,
        # Jinja derives a new context for every _() call of the block.
        unit=card.unit,
        leadership=leadership_totals(card.leadership),
        pinned=state.pinned,
        cacheable_card=True,
    )
    response = Response(html, mimetype="text/html")
    # Aggregates only (no names, no ID numbers, no CSRF token): the service worker may keep
    # this page for offline use; browsers must still revalidate it.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Offline-Cache"] = "unit-card"
    response.headers["X-Content-Version"] = card.version_tag
    return response


@blueprint.get("/units/<int:unit_id>/items")
@requires_any(*ITEM_PERMISSIONS)
def unit_items(unit_id: int) -> str:
    """在办事项 of one unit: loaded into the card by htmx so the card itself stays
    aggregates-only (cacheable offline); approvals are never cached."""
    identity = current()
    unit = find_unit(db.session, unit_id, identity.scope)
    if unit is None:
        abort(404)
    rows = inbox.unit_items(db.session, participant(), unit_id)
    return render_page("lookup/unit_items.html", block="items", unit=unit, rows=rows)


@blueprint.get("/units/<int:unit_id>/pin")
@requires(VIEW)
def confirm_pin(unit_id: int) -> str:
    identity = current()
    unit = find_unit(db.session, unit_id, identity.scope)
    if unit is None:
        abort(404)
    return render_page(
        "lookup/pin.html",
        unit=unit,
        pinned=shortlists.is_pinned(db.session, identity.account.id, unit_id),
    )


@blueprint.post("/units/<int:unit_id>/pin")
@requires(VIEW)
def pin_unit(unit_id: int) -> Response:
    identity = current()
    if find_unit(db.session, unit_id, identity.scope) is None:
        abort(404)
    try:
        with db.write() as session:
            shortlists.pin(session, identity.account.id, unit_id, clock.now())
    except shortlists.TooManyPins as limit:
        flash(_("最多固定 %(n)d 个单位，请先取消一些", n=limit.args[0]), "error")
    else:
        flash(_("已固定，外出核查前可离线查看其编制情况"), "success")
    return redirect(url_for("lookup.show_unit", unit_id=unit_id))


@blueprint.post("/units/<int:unit_id>/unpin")
@requires(VIEW)
def unpin_unit(unit_id: int) -> Response:
    identity = current()
    if find_unit(db.session, unit_id, identity.scope) is None:
        abort(404)
    with db.write() as session:
        shortlists.unpin(session, identity.account.id, unit_id)
    flash(_("已取消固定"), "success")
    return redirect(url_for("lookup.show_unit", unit_id=unit_id))
