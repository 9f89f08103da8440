"""Batch approval on the approvals blueprint: a leader lists the items of the batch types
awaiting their decision, checks a selection and approves it with one TOTP code.

The code signs a hash over every listed item's version hash: if any of them changed since
the confirmation page, nothing is approved. Each item is then approved in its own transaction
with its audit record, and the result page says which went through.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import Conflict

from auth.permissions import requires_any
from auth.stepup_web import new_challenge
from auth.web import translate
from pwa.domain import audit
from pwa.domain.items import checks as item_checks
from pwa.domain.items import effects, inbox, service
from pwa.domain.items import presentation as shown
from pwa.extensions import db
from pwa.inputs import db_int
from pwa.labels import label
from pwa.models import ItemState, TaskStage, Unit, Verdict
from pwa.models.item import Item
from pwa.rendering import render_page
from pwa.routes.approvals import OFFICE_WORK, blueprint
from pwa.routes.decisions import DECIDE, audit_item_change, code_refusal, typed_code
from pwa.routes.item_views import FieldRow, content_rows, problem, visible_or_404
from pwa.routes.items_support import context, participant

BATCH_ACTION = "batch_decide_items"
BATCH_MAX = 50


@dataclass(frozen=True)
class BatchEntry:
    item: Item
    unit: Unit
    rows: list[FieldRow]
    failures: list[item_checks.Check]
    version_hash: str


@dataclass(frozen=True)
class BatchResult:
    item_id: int
    title: str
    ok: bool
    message: str


def _batch_eligible(item: Item, who: service.Participant, ctx: service.Context) -> bool:
    return (
        item.item_type in ctx.policy.batch_types
        and item.state is ItemState.AWAITING_DECISION
        and service.my_open_task(db.session, who, item, ctx.clock.today, (TaskStage.DECIDE_LEADER,))
        is not None
    )


def _batch_entry(item: Item, who: service.Participant, ctx: service.Context) -> BatchEntry:
    return BatchEntry(
        item=item,
        unit=db.session.get(Unit, item.unit_id),
        rows=content_rows(db.session, item, shown.visible_groups(item, who)),
        failures=item_checks.blocking_failures(service.checks_for(db.session, item, ctx)),
        version_hash=service.version_hash(item),
    )


def _batch_candidates(who: service.Participant, ctx: service.Context) -> list[BatchEntry]:
    ids: list[int] = []
    for item_type in sorted(ctx.policy.batch_types):
        page = 1
        while len(ids) < BATCH_MAX:
            listing = inbox.listing(
                db.session,
                who,
                inbox.Box.TODO,
                inbox.Filters(item_type=item_type, page=page),
                ctx.clock.today,
            )
            ids += [r.item_id for r in listing.rows if r.stage is TaskStage.DECIDE_LEADER]
            if page >= listing.pages:
                break
            page += 1
    entries = []
    for item_id in dict.fromkeys(ids[:BATCH_MAX]):
        item = service.get_visible(db.session, who, item_id)
        if _batch_eligible(item, who, ctx):
            entries.append(_batch_entry(item, who, ctx))
    return entries


def _batch_binding(entries: list[BatchEntry]) -> str:
    listed = sorted(f"{e.item.id}:{e.version_hash}" for e in entries)
    return "batch:" + hashlib.sha256("\n".join(listed).encode()).hexdigest()


def _selected_entries(who: service.Participant, ctx: service.Context):
    """The items named in the form, each visible (else 404); (eligible, no longer eligible)."""
    ids = list(dict.fromkeys(request.form.getlist("item", type=db_int)))[:BATCH_MAX]
    eligible, dropped = [], []
    for item_id in ids:
        item = visible_or_404(item_id)
        if _batch_eligible(item, who, ctx):
            eligible.append(_batch_entry(item, who, ctx))
        else:
            dropped.append(item)
    return eligible, dropped


def _batch_page(who: service.Participant, ctx: service.Context, error=None, status=200):
    return render_page(
        "items/batch.html",
        entries=_batch_candidates(who, ctx),
        batch_types=sorted(ctx.policy.batch_types),
        error=error,
    ), status


def _batch_confirm(entries: list[BatchEntry], dropped: list[Item], *, error=None, status=200):
    binding = _batch_binding(entries)
    return render_page(
        "items/batch_confirm.html",
        entries=entries,
        dropped=dropped,
        challenge=new_challenge(BATCH_ACTION, binding).challenge.data,
        fingerprint=binding[6:14],
        error=error,
    ), status


def _batch_changed():
    """The signature would not cover what is listed now."""
    return problem(
        None,
        409,
        _("所列事项在您确认后有变化（已被处理或已修改），本次批量签批没有生效。请重新选择。"),
        title=_("事项已变更"),
    )


def _approve_in_batch(
    entry: BatchEntry, who: service.Participant, ctx: service.Context, binding: str
) -> BatchResult:
    title = f"{label(entry.item.item_type)} · {entry.unit.short_name}"
    try:
        with db.write() as session:
            outcome = service.decide(
                session,
                who,
                entry.item.id,
                verdict=Verdict.APPROVE,
                comment="",
                version_hash_seen=entry.version_hash,
                signed_with="totp-batch",
                ctx=ctx,
            )
            detail = {
                "verdict": Verdict.APPROVE.value,
                "version_hash": entry.version_hash,
                "batch": binding,
            }
            audit_item_change(session, ctx, DECIDE.event, entry.item.id, detail)
    except audit.AuditUnavailable:
        return BatchResult(entry.item.id, title, False, _("审计日志不可用，未办理"))
    except (service.ItemError, effects.EffectRefused) as error:
        message = translate(error)
        if isinstance(error, service.ChecksFailed):
            message += "：" + "；".join(_(c.msgid, **c.params) for c in error.failures)
        return BatchResult(entry.item.id, title, False, message)
    if outcome.final:
        text = _("已批准，文号 %(number)s", number=outcome.item.document_number or "—")
    else:
        text = _("已同意，送%(stage)s", stage=label(outcome.next_stage))
    return BatchResult(entry.item.id, title, True, text)


@blueprint.get("/items/batch")
@requires_any(*OFFICE_WORK)
def batch_list():
    return _batch_page(participant(), context())


@blueprint.post("/items/batch/review")
@requires_any(*OFFICE_WORK)
def batch_review():
    who, ctx = participant(), context()
    entries, dropped = _selected_entries(who, ctx)
    if not entries:
        return _batch_page(who, ctx, error=_("请至少勾选一项可以批量审批的事项"), status=400)
    return _batch_confirm(entries, dropped)


@blueprint.post("/items/batch/approve")
@requires_any(*OFFICE_WORK)
def batch_approve():
    who, ctx = participant(), context()
    entries, dropped = _selected_entries(who, ctx)
    if dropped or not entries:
        return _batch_changed()
    if not typed_code():
        return _batch_confirm(entries, [], error=_("请输入 6 位动态码"), status=400)
    binding = _batch_binding(entries)
    try:
        refusal = code_refusal(BATCH_ACTION, binding)
    except Conflict:
        return _batch_changed()
    if refusal is not None:
        return _batch_confirm(entries, [], error=refusal, status=400)
    results = [_approve_in_batch(entry, who, ctx, binding) for entry in entries]
    return render_page("items/batch_result.html", results=results)
