"""The item page as the approval views show it: what the request names, the page itself in
the reader's remit and language, and the pages that answer a refused step.

The data comes from ``pwa.domain.items.presentation``; here it is labelled, formatted and
rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

from flask import abort, current_app, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.i18n import UserFacingError
from auth.stepup_web import new_challenge
from auth.web import translate
from pwa.audit_log import record_or_refuse
from pwa.clock import OFFICE_TIMEZONE
from pwa.domain import workflow
from pwa.domain.items import checks as item_checks
from pwa.domain.items import effects, service
from pwa.domain.items import payloads as p
from pwa.domain.items import presentation as shown
from pwa.extensions import db
from pwa.inputs import db_int
from pwa.labels import label
from pwa.models import (
    ItemAttachment,
    ItemType,
    Person,
    QuotaReservation,
    TaskOutcome,
    TaskStage,
    Unit,
)
from pwa.models.item import Item
from pwa.rendering import render_page
from pwa.routes.items_support import context, message_of, participant

# Step-up actions: a decision and a revocation are signed for the item as displayed.
DECIDE_ACTION = "decide_item"
REVOKE_ACTION = "revoke_item"
E = TypeVar("E", bound=Enum)

FIELD_LABELS: dict[str, Any] = {
    "kind": _l("编制类型"),
    "funding": _l("经费形式"),
    "count": _l("申请使用（名）"),
    "entry_mode": _l("进人方式"),
    "post": _l("拟用岗位"),
    "reason": _l("申请理由"),
    "reservation_id": _l("使用的预占编制"),
    "name": _l("姓名"),
    "gender": _l("性别"),
    "birth_date": _l("出生日期"),
    "id_number_masked": _l("身份证号"),
    "education": _l("学历"),
    "person_id": _l("人员"),
    "exit_reason": _l("下编原因"),
    "full_name": _l("机构全称"),
    "short_name": _l("规范简称"),
    "nature": _l("机构性质"),
    "rank": _l("规格"),
    "functions": _l("主要职责"),
    "quota_kind": _l("核定编制类型"),
    "quota_count": _l("核定编制（名）"),
    "delta": _l("调整数量（名）"),
    "level": _l("职级层次"),
    "position": _l("正职 / 副职"),
    "title": _l("职务名称"),
    "approved": _l("核定职数（名）"),
    "purpose": _l("查询目的"),
    "scope_description": _l("查询范围"),
    "max_rows": _l("最多查询人数"),
    "valid_days": _l("有效期（天）"),
}
TYPE_FIELD_LABELS: dict[tuple[ItemType, str], Any] = {
    (ItemType.UNIT_ESTABLISH, "kind"): _l("机构类别"),
    (ItemType.UNIT_ADJUST, "full_name"): _l("调整后全称"),
    (ItemType.UNIT_ADJUST, "short_name"): _l("调整后简称"),
    (ItemType.UNIT_ADJUST, "rank"): _l("调整后规格"),
    (ItemType.UNIT_ADJUST, "functions"): _l("调整后主要职责"),
    (ItemType.UNIT_ABOLISH, "reason"): _l("撤销理由"),
    (ItemType.STAFF_EXIT, "reason"): _l("情况说明"),
    (ItemType.DATA_QUERY, "reason"): _l("情况说明"),
}
EVENT_LABELS: dict[str, Any] = {
    "create": _l("创建草稿"),
    "edit": _l("修改内容"),
    "submit": _l("提交申报"),
    "resubmit": _l("补正后重新提交"),
    "withdraw": _l("撤回"),
    "accept": _l("受理"),
    "begin_review": _l("开始审核"),
    "forward": _l("审核通过"),
    "return": _l("退回补正"),
    "refuse": _l("不予受理"),
    "opinion": _l("联审意见"),
    "joint_review_done": _l("联审完成，送领导决定"),
    "approve_stage": _l("同意，送下一环节"),
    "approve": _l("批准"),
    "reject": _l("不予批准"),
    "revoke": _l("撤销批准"),
    "complete": _l("办结"),
    "execute": _l("开始执行"),
    "expire": _l("预占编制过期"),
    "urge": _l("催办"),
    "transfer": _l("转交"),
    "attach": _l("上传附件"),
}


# -- reading the request ----------------------------------------------------------------------


def when(moment: datetime | None) -> str:
    """A time in the office's timezone, to the minute."""
    return moment.astimezone(OFFICE_TIMEZONE).strftime("%Y-%m-%d %H:%M") if moment else ""


def day_of(moment: datetime | None) -> str:
    return moment.astimezone(OFFICE_TIMEZONE).strftime("%Y-%m-%d") if moment else ""


def enum_or_none(cls: type[E], raw: str | None) -> E | None:
    try:
        return cls(raw) if raw else None
    except ValueError:
        return None


def visible_or_404(item_id: int) -> Item:
    try:
        return service.get_visible(db.session, participant(), item_id)
    except service.ItemNotFound:
        abort(404)


def expected_version() -> int:
    version = request.form.get("expected_version", type=db_int)
    if version is None:
        abort(400)
    return version


def form_comment() -> str:
    return (request.form.get("comment") or "").strip()[:2000]


def item_binding(item_id: int, version_hash: str) -> str:
    """What a signature on the item page covers: the item as displayed."""
    return f"item:{item_id}:{version_hash}"


# -- the item in the reader's language --------------------------------------------------------


@dataclass(frozen=True)
class FieldRow:
    label: str
    value: str
    long: bool = False


def _field_label(item_type: ItemType, name: str) -> str:
    return str(TYPE_FIELD_LABELS.get((item_type, name)) or FIELD_LABELS[name])


def _value_text(session: Session, item: Item, name: str, value: Any, sheet: bool = False) -> str:
    if name == "reservation_id":
        reservation = session.get(QuotaReservation, value) if value else None
        if reservation is None or reservation.unit_id != item.unit_id:
            return _("（无效的预占编制）")
        return _(
            "%(document)s：%(kind)s %(granted)d 名，已使用 %(consumed)d 名，有效期至 %(until)s",
            document=reservation.document_number,
            kind=label(reservation.kind),
            granted=reservation.granted,
            consumed=reservation.consumed,
            until=reservation.valid_until.isoformat(),
        )
    if name == "person_id":
        person = session.get(Person, value) if value else None
        if person is None:
            return _("（未找到此人）")
        # A personnel read like any other: audited (fails closed), and never an ID number
        # on the printed sheet.
        record_or_refuse(
            "personnel.read", object_type="person", object_id=person.id, detail={"item": item.id}
        )
        return person.name if sheet else f"{person.name}（{person.id_number_masked}）"
    if name == "delta" and isinstance(value, int):
        return f"{value:+d}"
    if value is None or value == "":
        if item.item_type is ItemType.UNIT_ADJUST:
            return _("不变")
        return "—"
    if isinstance(value, Enum):
        return label(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def content_rows(
    session: Session, item: Item, groups: frozenset[p.FieldGroup], *, sheet: bool = False
) -> list[FieldRow]:
    """The payload's fields that ``groups`` may see, labelled and written out."""
    return [
        FieldRow(
            _field_label(item.item_type, f.name),
            _value_text(session, item, f.name, f.value, sheet),
            long=f.long,
        )
        for f in shown.visible_fields(item, groups, sheet=sheet)
    ]


@dataclass(frozen=True)
class HistoryRow:
    at: str
    actor: str
    on_behalf_of: str
    action: str
    detail: str
    comment: str


def history_rows(entries: list[shown.HistoryEntry], names: dict[int, str]) -> list[HistoryRow]:
    return [
        HistoryRow(
            at=when(e.occurred_at),
            actor=e.actor if e.actor is not None else _("系统"),
            on_behalf_of=e.on_behalf_of,
            action=str(EVENT_LABELS.get(e.action, e.action)),
            detail=_event_detail(e, names),
            comment=e.comment,
        )
        for e in entries
    ]


def _stage_list(values: list[str]) -> str:
    stages = [s for s in (enum_or_none(TaskStage, v) for v in values) if s]
    return _("、").join(label(s) for s in stages)


def _event_detail(entry: shown.HistoryEntry, names: dict[int, str]) -> str:
    detail, action = entry.detail, entry.action
    stage = enum_or_none(TaskStage, detail.get("stage"))
    if action == "opinion":
        outcome = enum_or_none(TaskOutcome, detail.get("outcome"))
        return f"{label(stage)}：{label(outcome)}" if stage and outcome else ""
    if action == "forward":
        stages = _stage_list(detail.get("stages", []))
        return _("送联审：%(stages)s", stages=stages) if stages else _("送领导决定")
    if action == "transfer":
        target = names.get(detail.get("to") or 0, "")
        return _("转交给 %(name)s", name=target) if target else ""
    if action == "approve" and detail.get("document_number"):
        return _("文号：%(number)s", number=detail["document_number"])
    if action == "urge":
        return _stage_list(detail.get("stages", []))
    return label(stage) if stage else ""


def _attachments(session: Session, item: Item, who: service.Participant) -> list[dict]:
    rows = session.scalars(
        select(ItemAttachment).where(ItemAttachment.item_id == item.id).order_by(ItemAttachment.id)
    ).all()
    may_download = (
        item.requester_id == who.account_id or who.is_office
    ) and "declare.download_attachment" in current_app.view_functions
    # A file's name can say whose papers it holds: only those who may open it see it.
    return [
        {
            "filename": a.filename if may_download else None,
            "size": a.size,
            "uploaded_at": when(a.uploaded_at),
            "url": url_for("declare.download_attachment", item_id=item.id, attachment_id=a.id)
            if may_download
            else None,
        }
        for a in rows
    ]


def _applicant_links(item: Item, who: service.Participant) -> dict[str, str | None]:
    """The declaration blueprint's pages for the applicant, once that blueprint is there."""
    views, mine = current_app.view_functions, item.requester_id == who.account_id
    return {
        "edit": url_for("declare.edit_item", item_id=item.id)
        if mine and item.state in workflow.EDITABLE and "declare.edit_item" in views
        else None,
        "withdraw": url_for("declare.confirm_withdraw", item_id=item.id)
        if mine
        and workflow.can(item.state, workflow.Action.WITHDRAW)
        and "declare.confirm_withdraw" in views
        else None,
    }


# -- the pages --------------------------------------------------------------------------------


def render_item(
    item: Item,
    *,
    status: int = 200,
    error: str | None = None,
    form: str = "",
    values: dict[str, str] | None = None,
    field_errors: dict[str, str] | None = None,
    failures: list[item_checks.Check] | None = None,
) -> tuple[str, int]:
    """The item page; after a refused POST, with the message beside the form it came from."""
    session, who, ctx = db.session, participant(), context()
    groups = shown.visible_groups(item, who)
    history, names = shown.history_of(session, item)
    actions = shown.actions_for(session, item, who, ctx)
    version_hash = service.version_hash(item)
    binding = item_binding(item.id, version_hash)
    undecided = shown.is_undecided(item)
    html = render_page(
        "items/item.html",
        item=item,
        unit=session.get(Unit, item.unit_id),
        requester=names.get(item.requester_id, ""),
        rows=content_rows(session, item, groups),
        quota=shown.quota_view(session, item, ctx.clock.today)
        if p.FieldGroup.QUOTA in groups
        else None,
        checks=service.checks_for(session, item, ctx) if undecided else [],
        failures=failures or [],
        opinions=shown.opinions_of(item, names),
        history=history_rows(history, names),
        attachments=_attachments(session, item, who),
        open_tasks=service.open_tasks(item),
        actions=actions,
        decide_challenge=new_challenge(DECIDE_ACTION, binding).challenge.data
        if actions.decision is not None
        else "",
        revoke_challenge=new_challenge(REVOKE_ACTION, binding).challenge.data
        if actions.revoke
        else "",
        version_hash=version_hash,
        today=ctx.clock.today,
        undecided=undecided,
        applicant_links=_applicant_links(item, who),
        sheet=shown.sheet_available(item, who),
        error=error,
        form=form,
        values=values or {},
        field_errors=field_errors or {},
        when=when,
        day_of=day_of,
        created_unit=session.get(Unit, item.created_unit_id) if item.created_unit_id else None,
    )
    return html, status


def problem(item_id: int | None, status: int, message: str, title: str | None = None):
    """A refusal that cannot be shown beside a form: a conflict (409) or no authority (403).
    The page links back to the item (or, for a batch, to the batch list)."""
    if title is None:
        title = _("无权办理") if status == 403 else _("未能办理")
    if item_id is None:
        back_url, back_text = url_for("approvals.batch_list"), _("返回批量审批")
    else:
        back_url = url_for("approvals.show_item", item_id=item_id)
        back_text = _("返回事项，查看最新情况")
    html = render_page(
        "items/problem.html",
        status=status,
        title=title,
        message=message,
        back_url=back_url,
        back_text=back_text,
    )
    return html, status


def refused(item: Item, error: UserFacingError, form: str, values: dict[str, str] | None = None):
    """Turn a service refusal into the page the person needs."""
    if isinstance(error, service.ItemNotFound):
        abort(404)
    if isinstance(error, service.ChecksFailed):
        return render_item(
            item,
            status=409,
            error=message_of(error),
            form=form,
            values=values,
            failures=error.failures,
        )
    if isinstance(error, service.NotAllowed):
        return problem(item.id, 403, translate(error))
    if isinstance(error, service.ItemConflict | effects.EffectRefused):
        return problem(item.id, 409, translate(error))
    return render_item(item, status=400, error=translate(error), form=form, values=values)
