"""Signed decisions on the approvals blueprint: 签批 and 撤销批准 on one item, and what a
signature is (shared with ``batch_approval``).

A signature is a fresh TOTP code spent on a challenge bound to what was displayed (here the
item's version hash), and the change is written together with its audit record in one
transaction. Every refusal on one item is audited too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.exceptions import Conflict

from auth.permissions import requires_any
from auth.roles import Permission
from auth.stepup_web import verify_fresh_totp
from auth.web import translate
from pwa.audit_log import actor, record_or_refuse
from pwa.domain import audit, workflow
from pwa.domain.items import effects, service
from pwa.extensions import db
from pwa.labels import label
from pwa.models import ItemState, ItemType, Verdict
from pwa.models.item import Item
from pwa.routes.approvals import OFFICE_WORK, blueprint
from pwa.routes.item_views import (
    DECIDE_ACTION,
    REVOKE_ACTION,
    enum_or_none,
    form_comment,
    item_binding,
    problem,
    refused,
    render_item,
    visible_or_404,
)
from pwa.routes.items_support import context, participant

T = TypeVar("T")


@dataclass(frozen=True)
class SignedStep:
    """A change to one item that takes a TOTP signature."""

    action: str  # the step-up challenge's action
    event: str  # its audit event
    form: str  # the form on the item page that asks for it


DECIDE = SignedStep(DECIDE_ACTION, "item.decide", "decide")
REVOKE = SignedStep(REVOKE_ACTION, "item.revoke", "revoke")


# -- signing ----------------------------------------------------------------------------------


def typed_code() -> str:
    return (request.form.get("code") or "").strip()


def code_refusal(action: str, binding: str) -> str | None:
    """Spend the form's challenge with the typed code: None when that signs ``binding``, else
    the message to show. Raises Conflict when ``binding`` is no longer what was displayed."""
    return verify_fresh_totp(action, binding, request.form.get("challenge", ""), typed_code())


def audit_item_change(
    session: Session, ctx: service.Context, event: str, item_id: int, detail: dict
) -> None:
    """Add the change's audit record to its write transaction (AuditUnavailable if it cannot
    be written, and then nothing is)."""
    audit.record(
        session,
        actor(),
        event,
        now=ctx.clock.now,
        object_type="item",
        object_id=item_id,
        detail=detail,
    )


def _audit_refusal(event: str, item_id: int, outcome: str) -> None:
    record_or_refuse(event, object_type="item", object_id=item_id, outcome=outcome)


def _stale(item_id: int, event: str):
    _audit_refusal(event, item_id, "stale")
    return problem(
        item_id,
        409,
        _(
            "事项在您打开页面后已被修改或已由他人处理，您的签批没有生效。"
            "请返回事项页面，核对最新内容后重新签批。"
        ),
        title=_("事项已变更"),
    )


def _signed_change(
    step: SignedStep,
    item: Item,
    ctx: service.Context,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    write: Callable[[Session, str], T],
    audit_detail: dict[str, str],
    done: Callable[[T], str],
):
    """A signed change once its form is read: the form again while anything (the code too)
    is missing; then the code spent on the item as displayed, ``write(session, version_hash)``
    with its audit record, and ``done(result)`` flashed on the item page."""
    if not typed_code():
        errors["code"] = _("请输入 6 位动态码")
    if errors:
        first = next(iter(errors.values()))
        return render_item(
            item, status=400, error=first, form=step.form, values=values, field_errors=errors
        )
    seen = service.version_hash(item)
    try:
        refusal = code_refusal(step.action, item_binding(item.id, seen))
    except Conflict:
        return _stale(item.id, step.event)
    if refusal is not None:
        _audit_refusal(step.event, item.id, "bad_code")
        return render_item(
            item,
            status=400,
            error=refusal,
            form=step.form,
            values=values,
            field_errors={"code": refusal},
        )
    try:
        with db.write() as session:
            result = write(session, seen)
            audit_item_change(
                session, ctx, step.event, item.id, {**audit_detail, "version_hash": seen}
            )
    except audit.AuditUnavailable:
        abort(503)
    except (service.ItemError, effects.EffectRefused) as error:
        _audit_refusal(step.event, item.id, "refused")
        return refused(item, error, step.form, values)
    flash(done(result), "success")
    return redirect(url_for("approvals.show_item", item_id=item.id), code=303)


# -- one item ---------------------------------------------------------------------------------


def _decided_message(verdict: Verdict, outcome: service.Outcome) -> str:
    if verdict is Verdict.APPROVE and not outcome.final and outcome.next_stage:
        return _("已签批同意，送%(stage)s", stage=label(outcome.next_stage))
    if verdict is Verdict.APPROVE:
        return _("已签批同意，事项已批准")
    if verdict is Verdict.REJECT:
        return _("已签批：不予批准")
    return _("已签批：退回申报人补正")


@blueprint.post("/items/<int:item_id>/decide")
@requires_any(*OFFICE_WORK)
def decide_item(item_id: int):
    item = visible_or_404(item_id)
    who, ctx = participant(), context()
    if item.state is not ItemState.AWAITING_DECISION:
        _audit_refusal(DECIDE.event, item_id, "conflict")
        return problem(
            item_id,
            409,
            _("此事项已有决定或已不在待决定环节，您的意见未保存。"),
            title=_("已有决定"),
        )
    refusal = service.decision_refusal(db.session, who, item, ctx.clock.today)
    if refusal is not None:  # checked before the code is spent
        _audit_refusal(DECIDE.event, item_id, "not_allowed")
        return problem(item_id, 403, translate(refusal))
    verdict = enum_or_none(Verdict, request.form.get("verdict"))
    comment = form_comment()
    values = {"verdict": verdict.value if verdict else "", "comment": comment}
    errors: dict[str, str] = {}
    if verdict is None:
        errors["verdict"] = _("请选择同意、不同意或退回补正")
    elif verdict is not Verdict.APPROVE and not comment:
        errors["comment"] = _("选择“不同意”或“退回补正”时请填写意见")

    def decide(session: Session, seen: str) -> service.Outcome:
        return service.decide(
            session,
            who,
            item_id,
            verdict=verdict,
            comment=comment,
            version_hash_seen=seen,
            signed_with="totp",
            ctx=ctx,
        )

    return _signed_change(
        DECIDE,
        item,
        ctx,
        values=values,
        errors=errors,
        write=decide,
        audit_detail={"verdict": values["verdict"]},
        done=lambda outcome: _decided_message(verdict, outcome),
    )


@blueprint.post("/items/<int:item_id>/revoke")
@requires_any(Permission.DECIDE_ITEMS)
def revoke_item(item_id: int):
    item = visible_or_404(item_id)
    who, ctx = participant(), context()
    if item.requester_id == who.account_id or not who.roles & service.DECIDER_ROLES:
        return problem(item_id, 403, _("只有编办领导可以撤销批准，且不能撤销本人申报的事项"))
    if item.item_type is not ItemType.QUOTA_USE or not workflow.can(
        item.state, workflow.Action.REVOKE
    ):
        return problem(item_id, 409, _("此事项不能撤销"))
    comment = form_comment()

    def revoke(session: Session, seen: str) -> Item:
        return service.revoke(
            session, who, item_id, comment=comment, version_hash_seen=seen, ctx=ctx
        )

    return _signed_change(
        REVOKE,
        item,
        ctx,
        values={"comment": comment},
        errors={} if comment else {"comment": _("请填写撤销理由")},
        write=revoke,
        audit_detail={},
        done=lambda _revoked: _("已撤销批准，未使用的预占编制已释放"),
    )
