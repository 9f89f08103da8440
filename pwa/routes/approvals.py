"""事项: the approver's inbox, one item and its decision page, batch approval, 委托 and the
printable approval sheet.

Every page restates what is being decided within the viewer's remit; every change is a POST
(CSRF) answered by a 303 back to the item; a link (a notification) only opens the page. A
decision is signed with a fresh TOTP code bound to the item's version hash as displayed, and
written together with its audit record in one transaction.

This module holds the blueprint, the inbox, the item page and the review steps; the signed
decisions (``decisions``), 委托 (``delegations``) and the approval sheet (``approval_sheet``)
register their views on the same blueprint, so every endpoint is ``approvals.*``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from auth.access import current
from auth.permissions import requires_any
from auth.roles import Permission
from pwa import clock
from pwa.domain import workflow
from pwa.domain.items import effects, inbox, service
from pwa.extensions import db
from pwa.inputs import db_int
from pwa.models import ItemState, ItemType, Unit
from pwa.models.item import Item
from pwa.rendering import render_page
from pwa.routes.item_views import (
    enum_or_none,
    expected_version,
    form_comment,
    problem,
    refused,
    render_item,
    visible_or_404,
)
from pwa.routes.items_support import context, participant

blueprint = Blueprint("approvals", __name__)

P = Permission
READ_ITEMS = (P.SUBMIT_ITEMS, P.REVIEW_ITEMS, P.DECIDE_ITEMS, P.JOINT_REVIEW)
# Deciding and 转交 may be done by a 委托 delegate who holds only the reviewer's permission:
# the item services decide whether this person holds the step.
OFFICE_WORK = (P.REVIEW_ITEMS, P.DECIDE_ITEMS)
FILTER_UNITS_MAX = 300

BOX_LABELS: dict[inbox.Box, Any] = {
    inbox.Box.TODO: _l("待我审批"),
    inbox.Box.DONE: _l("我已处理"),
    inbox.Box.MINE: _l("我发起的"),
    inbox.Box.COPIED: _l("抄送我的"),
    inbox.Box.AGENDA: _l("编委议程"),
}
BOX_EMPTY: dict[inbox.Box, Any] = {
    inbox.Box.TODO: _l("没有待您办理的事项。"),
    inbox.Box.DONE: _l("您还没有办理过事项。"),
    inbox.Box.MINE: _l("您还没有发起事项。"),
    inbox.Box.COPIED: _l("没有抄送给您的事项。"),
    inbox.Box.AGENDA: _l("编委会议议程中没有待审议的事项。"),
}
DUE_LABELS: dict[inbox.Due, Any] = {
    inbox.Due.ANY: _l("全部"),
    inbox.Due.OVERDUE: _l("已逾期"),
    inbox.Due.SOON: _l("3 天内到期"),
}
DONE_MESSAGES: dict[str, Any] = {
    "accept": _l("已受理"),
    "begin_review": _l("已开始审核"),
    "forward": _l("已审核通过，送下一环节"),
    "return": _l("已退回申报人补正"),
    "refuse": _l("已不予受理"),
    "opinion": _l("联审意见已提交"),
    "complete": _l("已办结"),
    "urge": _l("已催办，当前环节的办理人会收到提醒"),
    "transfer": _l("已转交"),
}


# -- the inbox --------------------------------------------------------------------------------


def _filter_units(who: service.Participant) -> list[tuple[int, str]]:
    """Units that have items the viewer may list, for the unit filter."""
    query = (
        select(Unit.id, Unit.short_name)
        .join(Item, Item.unit_id == Unit.id)
        .where(
            Item.requester_id == who.account_id if who.scope.is_empty else who.scope.unit_clause()
        )
        .where((Item.state != ItemState.DRAFT) | (Item.requester_id == who.account_id))
        .distinct()
        .order_by(Unit.short_name, Unit.id)
        .limit(FILTER_UNITS_MAX)
    )
    return [(row.id, row.short_name) for row in db.session.execute(query)]


@blueprint.get("/items")
@requires_any(*READ_ITEMS)
def list_items() -> str:
    identity = current()
    who, today = participant(), clock.today()
    boxes = inbox.boxes_for(who)
    reviews = any(identity.can(x) for x in (P.REVIEW_ITEMS, P.DECIDE_ITEMS, P.JOINT_REVIEW))
    box = enum_or_none(inbox.Box, request.args.get("box"))
    if box not in boxes:
        box = inbox.Box.TODO if reviews else inbox.Box.MINE
    filters = inbox.Filters(
        item_type=enum_or_none(ItemType, request.args.get("type")),
        unit_id=request.args.get("unit", type=db_int),
        due=enum_or_none(inbox.Due, request.args.get("due")) or inbox.Due.ANY,
        page=max(1, request.args.get("page", 1, type=db_int) or 1),
    )
    listing = inbox.listing(db.session, who, box, filters, today)
    badges = inbox.badges(db.session, who, today)

    def page_url(page: int) -> str:
        return url_for(
            "approvals.list_items",
            box=box.value,
            type=filters.item_type.value if filters.item_type else None,
            unit=filters.unit_id,
            due=filters.due.value or None,
            page=page,
        )

    return render_page(
        "items/inbox.html",
        block="results",
        boxes=boxes,
        box=box,
        box_labels=BOX_LABELS,
        box_empty=BOX_EMPTY,
        due_labels=DUE_LABELS,
        filters=filters,
        listing=listing,
        badges=badges,
        app_badge=badges.todo + badges.returned,
        units=_filter_units(who),
        item_types=list(ItemType),
        today=today,
        settled=workflow.TERMINAL | workflow.IN_FORCE,
        page_url=page_url,
        batch=identity.can(P.DECIDE_ITEMS),
        declare_url=url_for("declare.new_item")
        if identity.can(P.SUBMIT_ITEMS) and "declare.new_item" in current_app.view_functions
        else None,
        delegations=who.roles & service.DELEGATING_ROLES,
    )


# -- one item and its review steps ------------------------------------------------------------


def _take_step(item_id: int, step: str, call: Callable[..., object], **kwargs: Any):
    """Run one item service in a write transaction, then back to the item page."""
    item = visible_or_404(item_id)
    who, ctx = participant(), context()
    try:
        with db.write() as session:
            call(session, who, item_id, ctx=ctx, **kwargs)
    except (service.ItemError, effects.EffectRefused) as error:
        return refused(item, error, step, {"comment": kwargs.get("comment", "")})
    except workflow.IllegalTransition:
        # A step that does not fit the item's state any more (an old page, a crafted POST).
        return problem(item_id, 409, _("此环节已办理，请刷新查看最新状态"))
    return _done(item_id, step)


def _done(item_id: int, step: str) -> Response:
    flash(str(DONE_MESSAGES.get(step, _("已办理"))), "success")
    return redirect(url_for("approvals.show_item", item_id=item_id), code=303)


def _commented_step(item_id: int, step: str, call: Callable[..., object]):
    """A review step that carries a comment and must find the item as it was displayed."""
    return _take_step(
        item_id, step, call, comment=form_comment(), expected_version=expected_version()
    )


def _missing_choice(item_id: int, form: str, field: str, message: str):
    """The item page again: a choice the step needs was not made."""
    return render_item(
        visible_or_404(item_id),
        status=400,
        error=message,
        form=form,
        values={"comment": form_comment()},
        field_errors={field: message},
    )


@blueprint.get("/items/<int:item_id>")
@requires_any(*READ_ITEMS)
def show_item(item_id: int) -> tuple[str, int]:
    return render_item(visible_or_404(item_id))


@blueprint.post("/items/<int:item_id>/accept")
@requires_any(P.REVIEW_ITEMS)
def accept_item(item_id: int):
    return _take_step(item_id, "accept", service.accept, expected_version=expected_version())


@blueprint.post("/items/<int:item_id>/begin-review")
@requires_any(P.REVIEW_ITEMS)
def begin_review(item_id: int):
    return _take_step(
        item_id, "begin_review", service.begin_review, expected_version=expected_version()
    )


@blueprint.post("/items/<int:item_id>/forward")
@requires_any(P.REVIEW_ITEMS)
def forward_item(item_id: int):
    return _take_step(
        item_id,
        "forward",
        service.forward,
        comment=form_comment(),
        expected_version=expected_version(),
        committee=request.form.get("committee") == "y",
    )


@blueprint.post("/items/<int:item_id>/return")
@requires_any(P.REVIEW_ITEMS)
def return_item(item_id: int):
    return _commented_step(item_id, "return", service.return_for_correction)


@blueprint.post("/items/<int:item_id>/refuse")
@requires_any(P.REVIEW_ITEMS)
def refuse_item(item_id: int):
    return _commented_step(item_id, "refuse", service.refuse_intake)


@blueprint.post("/items/<int:item_id>/opinion")
@requires_any(P.JOINT_REVIEW)
def give_opinion(item_id: int):
    agree = {"agree": True, "object": False}.get(request.form.get("opinion", ""))
    if agree is None:
        return _missing_choice(item_id, "opinion", "opinion", _("请选择同意或不同意"))
    return _take_step(
        item_id,
        "opinion",
        service.give_opinion,
        agree=agree,
        comment=form_comment(),
        expected_version=expected_version(),
    )


@blueprint.post("/items/<int:item_id>/complete")
@requires_any(P.REVIEW_ITEMS, P.DECIDE_ITEMS)
def complete_item(item_id: int):
    return _commented_step(item_id, "complete", service.complete)


@blueprint.post("/items/<int:item_id>/urge")
@requires_any(P.SUBMIT_ITEMS, P.REVIEW_ITEMS, P.DECIDE_ITEMS)
def urge_item(item_id: int):
    return _take_step(item_id, "urge", service.urge)


@blueprint.post("/items/<int:item_id>/transfer")
@requires_any(P.REVIEW_ITEMS, P.DECIDE_ITEMS, P.JOINT_REVIEW)
def transfer_item(item_id: int):
    target = request.form.get("to", type=db_int)
    if target is None:
        return _missing_choice(item_id, "transfer", "to", _("请选择转交给谁"))
    return _take_step(
        item_id, "transfer", service.transfer, to_account_id=target, comment=form_comment()
    )


# The rest of the blueprint's views: they register on ``blueprint`` when imported.
from pwa.routes import approval_sheet, batch_approval, decisions, delegations  # noqa: E402, F401
