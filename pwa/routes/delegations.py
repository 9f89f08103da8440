"""委托 on the approvals blueprint: an office member lets a colleague act for them for a
while, and may end it early. Each change is written with its audit record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from auth.labels import ROLE_LABELS
from auth.models import Account, AccountRole
from auth.permissions import requires_any
from auth.roles import Role
from auth.web import translate
from pwa import clock
from pwa.audit_log import actor
from pwa.domain import audit
from pwa.domain.items import service
from pwa.domain.items.presentation import account_names
from pwa.extensions import db
from pwa.inputs import db_int
from pwa.models import Delegation
from pwa.rendering import render_page
from pwa.routes.approvals import OFFICE_WORK, blueprint
from pwa.routes.items_support import context, participant

OFFICE_ROLE_VALUES = [r.value for r in service.OFFICE_ROLES]


@dataclass(frozen=True)
class DelegationRow:
    id: int
    other: str
    starts_on: date
    ends_on: date
    note: str
    status: str
    active: bool


def _delegate_choices(who: service.Participant) -> list[tuple[int, str]]:
    """Office colleagues in the caller's jurisdiction (not the caller)."""
    if not who.scope.region_ids:
        return []
    rows = db.session.execute(
        select(Account.id, Account.display_name, AccountRole.role)
        .join(AccountRole, AccountRole.account_id == Account.id)
        .where(
            Account.id != who.account_id,
            Account.disabled_at.is_(None),
            Account.region_id.in_(sorted(who.scope.region_ids)),
            AccountRole.role.in_(OFFICE_ROLE_VALUES),
        )
        .order_by(Account.display_name, Account.id)
    ).all()
    names: dict[int, str] = {}
    roles: dict[int, list[str]] = {}
    for row in rows:
        names[row.id] = row.display_name
        roles.setdefault(row.id, []).append(str(ROLE_LABELS.get(Role(row.role), "")))
    return [(i, f"{name}（{'、'.join(roles[i])}）") for i, name in names.items()]


def _status(delegation: Delegation, today: date) -> tuple[str, bool]:
    """What the list says of a delegation, and whether it still counts (now or later)."""
    if delegation.revoked_at is not None:
        return _("已提前结束"), False
    if delegation.ends_on < today:
        return _("已到期"), False
    if delegation.starts_on > today:
        return _("未开始"), True
    return _("生效中"), True


def _delegation_rows(who: service.Participant, today: date):
    """The caller's delegations: (given to others, received from others)."""
    rows = db.session.scalars(
        select(Delegation)
        .where(
            (Delegation.delegator_id == who.account_id) | (Delegation.delegate_id == who.account_id)
        )
        .order_by(Delegation.starts_on.desc(), Delegation.id.desc())
    ).all()
    names = account_names(
        db.session, [d.delegator_id for d in rows] + [d.delegate_id for d in rows]
    )
    given, received = [], []
    for d in rows:
        text, active = _status(d, today)
        mine = d.delegator_id == who.account_id
        row = DelegationRow(
            d.id,
            names.get(d.delegate_id if mine else d.delegator_id, ""),
            d.starts_on,
            d.ends_on,
            d.note,
            text,
            active,
        )
        (given if mine else received).append(row)
    return given, received


def _render_delegations(*, status: int = 200, error: str | None = None, values=None, errors=None):
    who, today = participant(), clock.today()
    given, received = _delegation_rows(who, today)
    return render_page(
        "items/delegations.html",
        given=given,
        received=received,
        choices=_delegate_choices(who),
        may_delegate=bool(who.roles & service.DELEGATING_ROLES),
        values=values
        or {"starts_on": today.isoformat(), "ends_on": (today + timedelta(days=7)).isoformat()},
        errors=errors or {},
        error=error,
    ), status


@blueprint.get("/items/delegations")
@requires_any(*OFFICE_WORK)
def list_delegations():
    return _render_delegations()


@blueprint.post("/items/delegations")
@requires_any(*OFFICE_WORK)
def create_delegation():
    who, ctx = participant(), context()
    keys = ("to", "starts_on", "ends_on", "note")
    values = {k: (request.form.get(k) or "").strip() for k in keys}
    errors: dict[str, str] = {}
    target = request.form.get("to", type=db_int)
    if target is None or target not in dict(_delegate_choices(who)):
        errors["to"] = _("请选择受托的同事")
    dates: dict[str, date] = {}
    for key, message in (
        ("starts_on", _("请填写开始日期（如 2026-06-01）")),
        ("ends_on", _("请填写结束日期（如 2026-06-08）")),
    ):
        try:
            dates[key] = date.fromisoformat(values[key])
        except ValueError:
            errors[key] = message
    if len(values["note"]) > 200:
        errors["note"] = _("说明请不超过 200 字")
    if errors:
        return _render_delegations(
            status=400, error=next(iter(errors.values())), values=values, errors=errors
        )
    try:
        with db.write() as session:
            delegation = service.delegate(
                session,
                who,
                to_account_id=target,
                starts_on=dates["starts_on"],
                ends_on=dates["ends_on"],
                note=values["note"],
                ctx=ctx,
            )
            audit.record(
                session,
                actor(),
                "item.delegate",
                now=ctx.clock.now,
                object_type="delegation",
                object_id=delegation.id,
                detail={
                    "to": target,
                    "starts_on": dates["starts_on"].isoformat(),
                    "ends_on": dates["ends_on"].isoformat(),
                },
            )
    except audit.AuditUnavailable:
        abort(503)
    except service.NotAllowed as error:
        return _render_delegations(status=403, error=translate(error), values=values)
    except service.ItemError as error:
        return _render_delegations(status=400, error=translate(error), values=values)
    flash(_("委托已设立"), "success")
    return redirect(url_for("approvals.list_delegations"), code=303)


@blueprint.post("/items/delegations/<int:delegation_id>/end")
@requires_any(*OFFICE_WORK)
def end_delegation(delegation_id: int):
    who, ctx = participant(), context()
    try:
        with db.write() as session:
            service.end_delegation(session, who, delegation_id, ctx)
            audit.record(
                session,
                actor(),
                "item.delegation_end",
                now=ctx.clock.now,
                object_type="delegation",
                object_id=delegation_id,
            )
    except audit.AuditUnavailable:
        abort(503)
    except service.ItemNotFound:
        abort(404)
    flash(_("委托已结束"), "success")
    return redirect(url_for("approvals.list_delegations"), code=303)
