"""审计日志: the audit administrator's pages — search the log, one account's activity, and
the state of the hash chain. Nobody else may open them, and every look is itself audited
(before anything is shown; no record, no page)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, render_template, request, url_for

from auth.labels import CLASS_LABELS, ROLE_LABELS
from auth.models import Account
from auth.permissions import requires
from auth.roles import Permission, Role
from pwa.audit_log import record_or_refuse
from pwa.domain import audit_search, audit_verify
from pwa.domain.audit_chain import Checkpoint
from pwa.extensions import db, secrets
from pwa.inputs import db_int
from pwa.routes.audit_support import (
    OBJECT_LABELS,
    OUTCOME_LABELS,
    SUCCESS_OUTCOMES,
    PeriodForm,
    SearchForm,
    event_label,
    local_time,
)

blueprint = Blueprint("audit", __name__, url_prefix="/audit")
READ = Permission.READ_AUDIT
FILTER_ARGS = ("account", "event", "object_type", "object_id", "since", "until")


@dataclass(frozen=True)
class ChainStatus:
    report: audit_verify.Report
    latest: Checkpoint | None
    latest_signed: bool  # the newest checkpoint's signature verifies under today's key


def chain_status() -> ChainStatus:
    """The bounded check (every checkpoint, gaps, the records after the newest checkpoint)."""
    key = secrets.audit_checkpoint_key
    report = audit_verify.verify(db.session, key, from_latest_checkpoint=True)
    latest = audit_verify.latest_checkpoint(db.session)
    return ChainStatus(report, latest, latest is not None and latest.signed_by(key))


def _page() -> int:
    return max(1, request.args.get("page", 1, type=db_int) or 1)


def _typed_filters() -> dict[str, str]:
    """What the auditor asked for, for the record of this look (masked if it is an ID)."""
    asked = {name: request.args.get(name, "")[:64] for name in FILTER_ARGS}
    return {name: value for name, value in asked.items() if value} | {"page": _page()}


def _page_url(endpoint: str, page: int, **values: object) -> str:
    kept = {name: request.args[name] for name in FILTER_ARGS if request.args.get(name)}
    return url_for(endpoint, **values, **kept, page=page)


def _role_names(roles: str) -> list[str]:
    names = []
    for value in filter(None, roles.split(",")):
        try:
            names.append(str(ROLE_LABELS[Role(value)]))
        except ValueError:
            names.append(value)  # "system": the command line
    return names


def _details(detail: str) -> list[tuple[str, str]]:
    if not detail:
        return []
    try:
        data = json.loads(detail)
    except ValueError:
        return [("", detail)]
    if not isinstance(data, dict):
        return [("", detail)]
    return [
        (key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        for key, value in data.items()
    ]


def _render(template: str, **context: object) -> str:
    return render_template(
        template,
        status=chain_status(),
        event_label=event_label,
        outcome_labels=OUTCOME_LABELS,
        object_labels=OBJECT_LABELS,
        success_outcomes=SUCCESS_OUTCOMES,
        local_time=local_time,
        role_names=_role_names,
        details=_details,
        retention_days=current_app.config["AUDIT_RETENTION_DAYS"],
        **context,
    )


@blueprint.get("/")
@requires(READ)
def search_events() -> str:
    record_or_refuse("audit.search", detail=_typed_filters())
    form = SearchForm(request.args)
    listing, unknown_account = None, False
    filtered = any(request.args.get(name) for name in FILTER_ARGS)
    if not filtered or form.validate():
        fixed: dict[str, object] = {}
        if form.account.data and form.account.data.strip():
            account = audit_search.account_named(db.session, form.account.data)
            unknown_account = account is None
            fixed["account_id"] = account.id if account else None
        if not unknown_account:
            listing = audit_search.search(db.session, form.filters(_page(), **fixed))
    return _render(
        "audit/events.html",
        form=form,
        filtered=filtered,
        listing=listing,
        unknown_account=unknown_account,
        page_url=lambda page: _page_url("audit.search_events", page),
    )


@blueprint.get("/accounts/<int:account_id>")
@requires(READ)
def show_account_events(account_id: int) -> str:
    account = db.session.get(Account, account_id)
    if account is None:
        abort(404)
    record_or_refuse(
        "audit.account", object_type="account", object_id=account_id, detail=_typed_filters()
    )
    form = PeriodForm(request.args)
    filtered = any(request.args.get(name) for name in FILTER_ARGS)
    listing = None
    if not filtered or form.validate():
        filters = form.filters(_page(), account_id=account_id, involving=True)
        listing = audit_search.search(db.session, filters)
    return _render(
        "audit/account.html",
        account=account,
        class_labels=CLASS_LABELS,
        role_labels=ROLE_LABELS,
        form=form,
        filtered=filtered,
        listing=listing,
        page_url=lambda page: _page_url("audit.show_account_events", page, account_id=account_id),
    )
