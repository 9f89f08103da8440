"""事项: the approver's inbox, one item and its decision page, batch approval, 委托 and the
printable approval sheet.

Every page restates what is being decided within the viewer's remit; every change is a POST
(CSRF) answered by a 303 back to the item; a link (a notification) only opens the page. A
decision is signed with a fresh TOTP code bound to the item's version hash as displayed, and
written together with its audit record in one transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, TypeVar

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import Conflict

from auth.access import current
from auth.i18n import N_, UserFacingError
from auth.labels import ROLE_LABELS
from auth.models import Account, AccountRole
from auth.permissions import requires_any
from auth.roles import Permission, Role
from auth.stepup_web import new_challenge, verify_fresh_totp
from auth.web import translate
from pwa import clock
from pwa.audit_log import actor, record_or_refuse
from pwa.clock import OFFICE_TIMEZONE
from pwa.domain import audit, quota, workflow
from pwa.domain.items import checks as item_checks
from pwa.domain.items import effects, inbox, service
from pwa.domain.items import payloads as p
from pwa.domain.items.routing import DECISION_STAGES, JOINT_STAGES, joint_stages
from pwa.extensions import db
from pwa.labels import label
from pwa.models import (
    Delegation,
    ItemAttachment,
    ItemEvent,
    ItemState,
    ItemTask,
    ItemType,
    Occupancy,
    Person,
    QuotaReservation,
    TaskOutcome,
    TaskStage,
    Unit,
    Verdict,
)
from pwa.models.item import Item
from pwa.rendering import render_page
from pwa.routes.items_support import context, message_of, participant

blueprint = Blueprint("approvals", __name__)

P = Permission
READ_ITEMS = (P.SUBMIT_ITEMS, P.REVIEW_ITEMS, P.DECIDE_ITEMS, P.JOINT_REVIEW)
# Deciding and 转交 may be done by a 委托 delegate who holds only the reviewer's permission:
# the item services decide whether this person holds the step.
OFFICE_WORK = (P.REVIEW_ITEMS, P.DECIDE_ITEMS)
DECIDE_ACTION = "decide_item"
REVOKE_ACTION = "revoke_item"
BATCH_ACTION = "batch_decide_items"
BATCH_MAX = 50
FILTER_UNITS_MAX = 300
S = ItemState
E = TypeVar("E", bound=Enum)

# -- vocabulary -----------------------------------------------------------------------------

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
# Internal references that mean nothing to a reader (the person is shown instead).
HIDDEN_FIELDS = frozenset({"occupancy_id"})
LONG_FIELDS = frozenset({"reason", "functions", "scope_description", "purpose"})
# Never on the printed sheet.
SHEET_EXCLUDED = frozenset({"id_number_masked", "birth_date"})

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


# -- small helpers --------------------------------------------------------------------------


def when(moment: datetime | None) -> str:
    """A time in the office's timezone, to the minute."""
    return moment.astimezone(OFFICE_TIMEZONE).strftime("%Y-%m-%d %H:%M") if moment else ""


def day_of(moment: datetime | None) -> str:
    return moment.astimezone(OFFICE_TIMEZONE).strftime("%Y-%m-%d") if moment else ""


def _enum(cls: type[E], raw: str | None) -> E | None:
    try:
        return cls(raw) if raw else None
    except ValueError:
        return None


def _visible_or_404(item_id: int) -> Item:
    try:
        return service.get_visible(db.session, participant(), item_id)
    except service.ItemNotFound:
        abort(404)


def _expected_version() -> int:
    version = request.form.get("expected_version", type=int)
    if version is None:
        abort(400)
    return version


def _comment() -> str:
    return (request.form.get("comment") or "").strip()[:2000]


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = session.execute(select(Account.id, Account.display_name).where(Account.id.in_(wanted)))
    return {row.id: row.display_name for row in rows}


def _binding(item_id: int, version_hash: str) -> str:
    return f"item:{item_id}:{version_hash}"


# -- the item as its reader may see it --------------------------------------------------------


@dataclass(frozen=True)
class FieldRow:
    label: str
    value: str
    long: bool = False


@dataclass(frozen=True)
class QuotaView:
    kind: Enum
    funding: Enum
    before: quota.QuotaPosition
    after: quota.QuotaPosition | None  # None once the item is decided


@dataclass(frozen=True)
class Opinion:
    stage: TaskStage
    outcome: TaskOutcome | None
    comment: str
    actor: str
    on_behalf_of: str
    closed_at: str
    due_on: date


@dataclass(frozen=True)
class HistoryRow:
    at: str
    actor: str
    on_behalf_of: str
    action: str
    detail: str
    comment: str


@dataclass
class Actions:
    """What the viewer may do now, and what those forms need."""

    intake: ItemTask | None = None
    intake_on_behalf: str = ""
    forward_to_joint: bool = False
    joint: ItemTask | None = None
    joint_on_behalf: str = ""
    decision: ItemTask | None = None
    decision_on_behalf: str = ""
    decide_challenge: str = ""
    revoke: bool = False
    revoke_challenge: str = ""
    complete: bool = False
    urge: bool = False
    urge_wait: str = ""
    transfer_to: list[tuple[int, str]] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(
            self.intake
            or self.joint
            or self.decision
            or self.revoke
            or self.complete
            or self.urge
            or self.transfer_to
        )


def _visible_groups(item: Item, who: service.Participant) -> frozenset[p.FieldGroup]:
    if item.requester_id == who.account_id:
        return frozenset(p.FieldGroup)  # the applicant sees what they declared
    return p.visible_groups(who.roles)


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
    """The payload's fields that ``groups`` may see; nothing else of it reaches the page."""
    payload = service.payload_of(item)
    rows = []
    for f in fields(payload):
        if f.name in HIDDEN_FIELDS or (sheet and f.name in SHEET_EXCLUDED):
            continue
        if p.group_of(item.item_type, f.name) not in groups:
            continue
        value = getattr(payload, f.name)
        rows.append(
            FieldRow(
                _field_label(item.item_type, f.name),
                _value_text(session, item, f.name, value, sheet),
                long=f.name in LONG_FIELDS,
            )
        )
    return rows


def quota_view(session: Session, item: Item, today: date) -> QuotaView | None:
    """The quota position the item changes, before and (while undecided) after."""
    payload = service.payload_of(item)
    kind = funding = None
    change: Callable[[quota.QuotaPosition], quota.QuotaPosition] | None = None
    if isinstance(payload, p.QuotaUse):
        kind, funding = payload.kind, payload.funding
        count = payload.count

        def change(pos: quota.QuotaPosition) -> quota.QuotaPosition:
            return quota.QuotaPosition(
                pos.kind, pos.funding, pos.approved, pos.actual, pos.reserved + count
            )

    elif isinstance(payload, p.QuotaAdjust):
        kind, funding = payload.kind, payload.funding
        delta = payload.delta

        def change(pos: quota.QuotaPosition) -> quota.QuotaPosition:
            return quota.QuotaPosition(
                pos.kind, pos.funding, pos.approved + delta, pos.actual, pos.reserved
            )

    elif isinstance(payload, p.StaffEntry):
        reservation = session.get(QuotaReservation, payload.reservation_id)
        if reservation is None or reservation.unit_id != item.unit_id:
            return None
        kind, funding = reservation.kind, reservation.funding

        def change(pos: quota.QuotaPosition) -> quota.QuotaPosition:
            return quota.QuotaPosition(
                pos.kind, pos.funding, pos.approved, pos.actual + 1, max(pos.reserved - 1, 0)
            )

    elif isinstance(payload, p.StaffExit):
        occupancy = session.get(Occupancy, payload.occupancy_id)
        if occupancy is None or occupancy.unit_id != item.unit_id:
            return None
        kind, funding = occupancy.kind, occupancy.funding

        def change(pos: quota.QuotaPosition) -> quota.QuotaPosition:
            return quota.QuotaPosition(
                pos.kind, pos.funding, pos.approved, max(pos.actual - 1, 0), pos.reserved
            )

    if kind is None or funding is None or change is None:
        return None
    before = item_checks.position_of(session, item.unit_id, kind, funding, today)
    pending = item.state in workflow.UNDECIDED or item.state in workflow.EDITABLE
    return QuotaView(kind, funding, before, change(before) if pending else None)


def opinions_of(item: Item, names: dict[int, str]) -> list[Opinion]:
    return [
        Opinion(
            stage=t.stage,
            outcome=t.outcome,
            comment=t.comment,
            actor=names.get(t.acted_by_id or 0, ""),
            on_behalf_of=names.get(t.on_behalf_of_id or 0, ""),
            closed_at=when(t.closed_at),
            due_on=t.due_on,
        )
        for t in item.tasks
        if t.stage in JOINT_STAGES and t.outcome is not TaskOutcome.CANCELLED
    ]


def _event_detail(event: ItemEvent, names: dict[int, str]) -> str:
    try:
        detail = json.loads(event.detail) if event.detail else {}
    except ValueError:
        detail = {}
    stage = _enum(TaskStage, detail.get("stage"))
    if event.action == "opinion":
        outcome = _enum(TaskOutcome, detail.get("outcome"))
        return f"{label(stage)}：{label(outcome)}" if stage and outcome else ""
    if event.action == "forward":
        stages = [s for s in (_enum(TaskStage, v) for v in detail.get("stages", [])) if s]
        if stages:
            return _("送联审：%(stages)s", stages=_("、").join(label(s) for s in stages))
        return _("送领导决定")
    if event.action == "transfer":
        target = names.get(detail.get("to") or 0, "")
        return _("转交给 %(name)s", name=target) if target else ""
    if event.action == "approve" and detail.get("document_number"):
        return _("文号：%(number)s", number=detail["document_number"])
    if event.action == "urge":
        stages = [s for s in (_enum(TaskStage, v) for v in detail.get("stages", [])) if s]
        return _("、").join(label(s) for s in stages)
    return label(stage) if stage else ""


def history_of(session: Session, item: Item) -> tuple[list[HistoryRow], dict[int, str]]:
    events = session.scalars(
        select(ItemEvent).where(ItemEvent.item_id == item.id).order_by(ItemEvent.id)
    ).all()
    transfer_targets = []
    for e in events:
        if e.action == "transfer" and e.detail:
            with contextlib.suppress(ValueError):
                transfer_targets.append(json.loads(e.detail).get("to"))
    names = _names(
        session,
        [e.actor_id for e in events]
        + [e.on_behalf_of_id for e in events]
        + transfer_targets
        + [t.acted_by_id for t in item.tasks]
        + [t.on_behalf_of_id for t in item.tasks]
        + [item.requester_id],
    )
    rows = [
        HistoryRow(
            at=when(e.occurred_at),
            actor=names.get(e.actor_id or 0, "") if e.actor_id else _("系统"),
            on_behalf_of=names.get(e.on_behalf_of_id or 0, ""),
            action=str(EVENT_LABELS.get(e.action, e.action)),
            detail=_event_detail(e, names),
            comment=e.comment,
        )
        for e in events
    ]
    return rows, names


def _joint_route(session: Session, item: Item) -> tuple[TaskStage, ...]:
    """The departments 审核通过 would send the item to (as ``service.forward`` routes it)."""
    payload = service.payload_of(item)
    kind = funding = None
    if isinstance(payload, p.StaffEntry):
        reservation = session.get(QuotaReservation, payload.reservation_id)
        if reservation is not None:
            kind, funding = reservation.kind, reservation.funding
    return joint_stages(item.item_type, payload, kind, funding)


def _actions(
    session: Session, item: Item, who: service.Participant, ctx: service.Context
) -> Actions:
    actions = Actions()
    today = ctx.clock.today
    names: dict[int, str] = {}

    def behalf(delegator: int | None) -> str:
        if not delegator:
            return ""
        if delegator not in names:
            names.update(_names(session, [delegator]))
        return names.get(delegator, "")

    if item.state in (S.SUBMITTED, S.ACCEPTED, S.UNDER_REVIEW):
        found = service.my_open_task(session, who, item, today, (TaskStage.INTAKE,))
        if found:
            actions.intake, actions.intake_on_behalf = found[0], behalf(found[1])
            actions.forward_to_joint = bool(_joint_route(session, item))
    if item.state is S.JOINT_REVIEW:
        found = service.my_open_task(session, who, item, today, JOINT_STAGES)
        if found:
            actions.joint, actions.joint_on_behalf = found[0], behalf(found[1])
    if item.state is S.AWAITING_DECISION:
        found = service.my_open_task(session, who, item, today, DECISION_STAGES)
        if found:
            actions.decision, actions.decision_on_behalf = found[0], behalf(found[1])
    actions.revoke = (
        item.item_type is ItemType.QUOTA_USE
        and workflow.can(item.state, workflow.Action.REVOKE)
        and bool(who.roles & service.DECIDER_ROLES)
        and item.requester_id != who.account_id
    )
    actions.complete = who.is_office and workflow.can(item.state, workflow.Action.COMPLETE)
    open_tasks = service.open_tasks(item)
    actions.urge = bool(open_tasks) and (item.requester_id == who.account_id or who.is_office)
    if actions.urge:
        last = max((t.last_reminded_at for t in open_tasks if t.last_reminded_at), default=None)
        if last is not None and ctx.clock.now - last < ctx.policy.reminder_interval:
            actions.urge_wait = when(last + ctx.policy.reminder_interval)
    mine = service.my_open_task(session, who, item, today, tuple(TaskStage))
    if mine:
        actions.transfer_to = [
            (a.id, a.display_name)
            for a in service.colleagues_for(session, who, item, mine[0])
            if a.id != mine[0].assignee_id
        ]
    return actions


def _attachments(session: Session, item: Item, who: service.Participant) -> list[dict]:
    rows = session.scalars(
        select(ItemAttachment).where(ItemAttachment.item_id == item.id).order_by(ItemAttachment.id)
    ).all()
    may_download = (
        item.requester_id == who.account_id or who.is_office
    ) and "declare.download_attachment" in current_app.view_functions
    return [
        {
            "filename": a.filename,
            "size": a.size,
            "uploaded_at": when(a.uploaded_at),
            "url": url_for("declare.download_attachment", item_id=item.id, attachment_id=a.id)
            if may_download
            else None,
        }
        for a in rows
    ]


def sheet_available(item: Item, who: service.Participant) -> bool:
    return item.state in (S.APPROVED, S.EXECUTING, S.COMPLETED) and (
        item.requester_id == who.account_id or who.is_office
    )


def _render_item(
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
    groups = _visible_groups(item, who)
    history, names = history_of(session, item)
    actions = _actions(session, item, who, ctx)
    version_hash = service.version_hash(item)
    if actions.decision is not None:
        actions.decide_challenge = new_challenge(
            DECIDE_ACTION, _binding(item.id, version_hash)
        ).challenge.data
    if actions.revoke:
        actions.revoke_challenge = new_challenge(
            REVOKE_ACTION, _binding(item.id, version_hash)
        ).challenge.data
    undecided = item.state in workflow.UNDECIDED or item.state in workflow.EDITABLE
    unit = session.get(Unit, item.unit_id)
    views, mine = current_app.view_functions, item.requester_id == who.account_id
    applicant_links = {  # the declaration blueprint's pages, once it is there
        "edit": url_for("declare.edit_item", item_id=item.id)
        if mine and item.state in workflow.EDITABLE and "declare.edit_item" in views
        else None,
        "withdraw": url_for("declare.confirm_withdraw", item_id=item.id)
        if mine
        and workflow.can(item.state, workflow.Action.WITHDRAW)
        and "declare.confirm_withdraw" in views
        else None,
    }
    html = render_page(
        "items/item.html",
        item=item,
        unit=unit,
        requester=names.get(item.requester_id, ""),
        rows=content_rows(session, item, groups),
        quota=quota_view(session, item, ctx.clock.today) if p.FieldGroup.QUOTA in groups else None,
        checks=service.checks_for(session, item, ctx) if undecided else [],
        failures=failures or [],
        opinions=opinions_of(item, names),
        history=history,
        attachments=_attachments(session, item, who),
        open_tasks=service.open_tasks(item),
        actions=actions,
        version_hash=version_hash,
        today=ctx.clock.today,
        undecided=undecided,
        applicant_links=applicant_links,
        sheet=sheet_available(item, who),
        error=error,
        form=form,
        values=values or {},
        field_errors=field_errors or {},
        when=when,
        day_of=day_of,
        created_unit=session.get(Unit, item.created_unit_id) if item.created_unit_id else None,
    )
    return html, status


def _problem(item_id: int | None, status: int, message: str, title: str | None = None):
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


def _refused(item: Item, error: UserFacingError, form: str, values: dict[str, str] | None = None):
    """Turn a service refusal into the page the person needs."""
    if isinstance(error, service.ItemNotFound):
        abort(404)
    if isinstance(error, service.ChecksFailed):
        return _render_item(
            item,
            status=409,
            error=message_of(error),
            form=form,
            values=values,
            failures=error.failures,
        )
    if isinstance(error, service.NotAllowed):
        return _problem(item.id, 403, translate(error))
    if isinstance(error, service.ItemConflict | effects.EffectRefused):
        return _problem(item.id, 409, translate(error))
    return _render_item(item, status=400, error=translate(error), form=form, values=values)


def _done(item_id: int, action: str) -> Response:
    flash(str(DONE_MESSAGES.get(action, _("已办理"))), "success")
    return redirect(url_for("approvals.show_item", item_id=item_id), code=303)


def _act(item_id: int, action: str, call: Callable[..., object], **kwargs: Any):
    """Run one item service in a write transaction, then back to the item page."""
    item = _visible_or_404(item_id)
    who, ctx = participant(), context()
    try:
        with db.write() as session:
            call(session, who, item_id, ctx=ctx, **kwargs)
    except (service.ItemError, effects.EffectRefused) as error:
        return _refused(item, error, action, {"comment": kwargs.get("comment", "")})
    except workflow.IllegalTransition:
        # A step that does not fit the item's state any more (an old page, a crafted POST).
        return _problem(item_id, 409, _("此环节已办理，请刷新查看最新状态"))
    return _done(item_id, action)


# -- the inbox --------------------------------------------------------------------------------


def _filter_units(who: service.Participant) -> list[tuple[int, str]]:
    """Units that have items the viewer may list, for the unit filter."""
    query = (
        select(Unit.id, Unit.short_name)
        .join(Item, Item.unit_id == Unit.id)
        .where(
            Item.requester_id == who.account_id if who.scope.is_empty else who.scope.unit_clause()
        )
        .where((Item.state != S.DRAFT) | (Item.requester_id == who.account_id))
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
    box = _enum(inbox.Box, request.args.get("box"))
    if box not in boxes:
        box = inbox.Box.TODO if reviews else inbox.Box.MINE
    filters = inbox.Filters(
        item_type=_enum(ItemType, request.args.get("type")),
        unit_id=request.args.get("unit", type=int),
        due=_enum(inbox.Due, request.args.get("due")) or inbox.Due.ANY,
        page=max(1, request.args.get("page", 1, type=int) or 1),
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
        units=_filter_units(who),
        item_types=list(ItemType),
        today=today,
        settled=workflow.TERMINAL | workflow.IN_FORCE,
        page_url=page_url,
        batch=identity.can(P.DECIDE_ITEMS),
        declare_url=url_for("declare.new_item")
        if identity.can(P.SUBMIT_ITEMS) and "declare.new_item" in current_app.view_functions
        else None,
        delegations=who.roles & (service.DECIDER_ROLES | {Role.OFFICE_STAFF}),
    )


# -- one item ---------------------------------------------------------------------------------


@blueprint.get("/items/<int:item_id>")
@requires_any(*READ_ITEMS)
def show_item(item_id: int) -> tuple[str, int]:
    return _render_item(_visible_or_404(item_id))


@blueprint.post("/items/<int:item_id>/accept")
@requires_any(P.REVIEW_ITEMS)
def accept_item(item_id: int):
    return _act(item_id, "accept", service.accept, expected_version=_expected_version())


@blueprint.post("/items/<int:item_id>/begin-review")
@requires_any(P.REVIEW_ITEMS)
def begin_review(item_id: int):
    return _act(item_id, "begin_review", service.begin_review, expected_version=_expected_version())


@blueprint.post("/items/<int:item_id>/forward")
@requires_any(P.REVIEW_ITEMS)
def forward_item(item_id: int):
    return _act(
        item_id,
        "forward",
        service.forward,
        comment=_comment(),
        expected_version=_expected_version(),
    )


@blueprint.post("/items/<int:item_id>/return")
@requires_any(P.REVIEW_ITEMS)
def return_item(item_id: int):
    return _act(
        item_id,
        "return",
        service.return_for_correction,
        comment=_comment(),
        expected_version=_expected_version(),
    )


@blueprint.post("/items/<int:item_id>/refuse")
@requires_any(P.REVIEW_ITEMS)
def refuse_item(item_id: int):
    return _act(
        item_id,
        "refuse",
        service.refuse_intake,
        comment=_comment(),
        expected_version=_expected_version(),
    )


@blueprint.post("/items/<int:item_id>/opinion")
@requires_any(P.JOINT_REVIEW)
def give_opinion(item_id: int):
    item = _visible_or_404(item_id)
    agree = {"agree": True, "object": False}.get(request.form.get("opinion", ""))
    if agree is None:
        return _render_item(
            item,
            status=400,
            error=_("请选择同意或不同意"),
            form="opinion",
            values={"comment": _comment()},
            field_errors={"opinion": _("请选择同意或不同意")},
        )
    return _act(
        item_id,
        "opinion",
        service.give_opinion,
        agree=agree,
        comment=_comment(),
        expected_version=_expected_version(),
    )


@blueprint.post("/items/<int:item_id>/complete")
@requires_any(P.REVIEW_ITEMS, P.DECIDE_ITEMS)
def complete_item(item_id: int):
    return _act(
        item_id,
        "complete",
        service.complete,
        comment=_comment(),
        expected_version=_expected_version(),
    )


@blueprint.post("/items/<int:item_id>/urge")
@requires_any(P.SUBMIT_ITEMS, P.REVIEW_ITEMS, P.DECIDE_ITEMS)
def urge_item(item_id: int):
    return _act(item_id, "urge", service.urge)


@blueprint.post("/items/<int:item_id>/transfer")
@requires_any(P.REVIEW_ITEMS, P.DECIDE_ITEMS, P.JOINT_REVIEW)
def transfer_item(item_id: int):
    item = _visible_or_404(item_id)
    target = request.form.get("to", type=int)
    if target is None:
        return _render_item(
            item,
            status=400,
            error=_("请选择转交给谁"),
            form="transfer",
            values={"comment": _comment()},
            field_errors={"to": _("请选择转交给谁")},
        )
    return _act(item_id, "transfer", service.transfer, to_account_id=target, comment=_comment())


# -- signed decisions -------------------------------------------------------------------------


def _audit_refusal(event: str, item_id: int, outcome: str) -> None:
    record_or_refuse(event, object_type="item", object_id=item_id, outcome=outcome)


def _stale(item_id: int, event: str):
    _audit_refusal(event, item_id, "stale")
    return _problem(
        item_id,
        409,
        _(
            "事项在您打开页面后已被修改或已由他人处理，您的签批没有生效。"
            "请返回事项页面，核对最新内容后重新签批。"
        ),
        title=_("事项已变更"),
    )


def _no_decision_authority(
    item: Item, who: service.Participant, ctx: service.Context
) -> service.ItemError | None:
    """Why ``who`` may not decide the open decision stage (None when they may). The service
    checks again inside the decision's transaction."""
    refusals: list[service.ItemError] = []
    for task in service.open_tasks(item):
        if task.stage not in DECISION_STAGES:
            continue
        try:
            service.acting_for(db.session, who, item, task, ctx.clock.today)
        except service.ItemError as refused:
            refusals.append(refused)
        else:
            return None
    return refusals[0] if refusals else service.NotAllowed(N_("您没有决定此事项的权限"))


@blueprint.post("/items/<int:item_id>/decide")
@requires_any(*OFFICE_WORK)
def decide_item(item_id: int):
    item = _visible_or_404(item_id)
    who, ctx = participant(), context()
    if item.state is not S.AWAITING_DECISION:
        _audit_refusal("item.decide", item_id, "conflict")
        return _problem(
            item_id,
            409,
            _("此事项已有决定或已不在待决定环节，您的意见未保存。"),
            title=_("已有决定"),
        )
    refusal = _no_decision_authority(item, who, ctx)
    if refusal is not None:  # checked before the code is spent
        _audit_refusal("item.decide", item_id, "not_allowed")
        return _problem(item_id, 403, translate(refusal))
    verdict = _enum(Verdict, request.form.get("verdict"))
    comment = _comment()
    values = {"verdict": verdict.value if verdict else "", "comment": comment}
    errors: dict[str, str] = {}
    if verdict is None:
        errors["verdict"] = _("请选择同意、不同意或退回补正")
    elif verdict is not Verdict.APPROVE and not comment:
        errors["comment"] = _("选择“不同意”或“退回补正”时请填写意见")
    if not (request.form.get("code") or "").strip():
        errors["code"] = _("请输入 6 位动态码")
    if errors:
        return _render_item(
            item,
            status=400,
            error=next(iter(errors.values())),
            form="decide",
            values=values,
            field_errors=errors,
        )
    seen = service.version_hash(item)
    try:
        refused = verify_fresh_totp(
            DECIDE_ACTION,
            _binding(item_id, seen),
            request.form.get("challenge", ""),
            request.form.get("code", ""),
        )
    except Conflict:
        return _stale(item_id, "item.decide")
    if refused is not None:
        _audit_refusal("item.decide", item_id, "bad_code")
        return _render_item(
            item,
            status=400,
            error=refused,
            form="decide",
            values=values,
            field_errors={"code": refused},
        )
    try:
        with db.write() as session:
            outcome = service.decide(
                session,
                who,
                item_id,
                verdict=verdict,
                comment=comment,
                version_hash_seen=seen,
                signed_with="totp",
                ctx=ctx,
            )
            audit.record(
                session,
                actor(),
                "item.decide",
                now=ctx.clock.now,
                object_type="item",
                object_id=item_id,
                detail={"verdict": verdict.value, "version_hash": seen},
            )
    except audit.AuditUnavailable:
        abort(503)
    except (service.ItemError, effects.EffectRefused) as error:
        _audit_refusal("item.decide", item_id, "refused")
        return _refused(item, error, "decide", values)
    if verdict is Verdict.APPROVE and not outcome.final and outcome.next_stage:
        flash(_("已签批同意，送%(stage)s", stage=label(outcome.next_stage)), "success")
    elif verdict is Verdict.APPROVE:
        flash(_("已签批同意，事项已批准"), "success")
    elif verdict is Verdict.REJECT:
        flash(_("已签批：不予批准"), "success")
    else:
        flash(_("已签批：退回申报人补正"), "success")
    return redirect(url_for("approvals.show_item", item_id=item_id), code=303)


@blueprint.post("/items/<int:item_id>/revoke")
@requires_any(P.DECIDE_ITEMS)
def revoke_item(item_id: int):
    item = _visible_or_404(item_id)
    who, ctx = participant(), context()
    if item.requester_id == who.account_id or not who.roles & service.DECIDER_ROLES:
        return _problem(item_id, 403, _("只有编办领导可以撤销批准，且不能撤销本人申报的事项"))
    if item.item_type is not ItemType.QUOTA_USE or not workflow.can(
        item.state, workflow.Action.REVOKE
    ):
        return _problem(item_id, 409, _("此事项不能撤销"))
    comment = _comment()
    values = {"comment": comment}
    errors: dict[str, str] = {}
    if not comment:
        errors["comment"] = _("请填写撤销理由")
    if not (request.form.get("code") or "").strip():
        errors["code"] = _("请输入 6 位动态码")
    if errors:
        return _render_item(
            item,
            status=400,
            error=next(iter(errors.values())),
            form="revoke",
            values=values,
            field_errors=errors,
        )
    seen = service.version_hash(item)
    try:
        refused = verify_fresh_totp(
            REVOKE_ACTION,
            _binding(item_id, seen),
            request.form.get("challenge", ""),
            request.form.get("code", ""),
        )
    except Conflict:
        return _stale(item_id, "item.revoke")
    if refused is not None:
        _audit_refusal("item.revoke", item_id, "bad_code")
        return _render_item(
            item,
            status=400,
            error=refused,
            form="revoke",
            values=values,
            field_errors={"code": refused},
        )
    try:
        with db.write() as session:
            service.revoke(session, who, item_id, comment=comment, version_hash_seen=seen, ctx=ctx)
            audit.record(
                session,
                actor(),
                "item.revoke",
                now=ctx.clock.now,
                object_type="item",
                object_id=item_id,
                detail={"version_hash": seen},
            )
    except audit.AuditUnavailable:
        abort(503)
    except (service.ItemError, effects.EffectRefused) as error:
        _audit_refusal("item.revoke", item_id, "refused")
        return _refused(item, error, "revoke", values)
    flash(_("已撤销批准，未使用的预占编制已释放"), "success")
    return redirect(url_for("approvals.show_item", item_id=item_id), code=303)


# -- batch approval ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchEntry:
    item: Item
    unit: Unit
    rows: list[FieldRow]
    failures: list[item_checks.Check]
    version_hash: str


def _batch_eligible(item: Item, who: service.Participant, ctx: service.Context) -> bool:
    return (
        item.item_type in ctx.policy.batch_types
        and item.state is S.AWAITING_DECISION
        and service.my_open_task(db.session, who, item, ctx.clock.today, (TaskStage.DECIDE_LEADER,))
        is not None
    )


def _batch_entry(item: Item, who: service.Participant, ctx: service.Context) -> BatchEntry:
    return BatchEntry(
        item=item,
        unit=db.session.get(Unit, item.unit_id),
        rows=content_rows(db.session, item, _visible_groups(item, who)),
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
    ids = list(dict.fromkeys(request.form.getlist("item", type=int)))[:BATCH_MAX]
    eligible, dropped = [], []
    for item_id in ids:
        item = _visible_or_404(item_id)
        if _batch_eligible(item, who, ctx):
            eligible.append(_batch_entry(item, who, ctx))
        else:
            dropped.append(item)
    return eligible, dropped


@blueprint.get("/items/batch")
@requires_any(*OFFICE_WORK)
def batch_list() -> str:
    who, ctx = participant(), context()
    return render_page(
        "items/batch.html",
        entries=_batch_candidates(who, ctx),
        batch_types=sorted(ctx.policy.batch_types),
        error=None,
    )


@blueprint.post("/items/batch/review")
@requires_any(*OFFICE_WORK)
def batch_review():
    who, ctx = participant(), context()
    entries, dropped = _selected_entries(who, ctx)
    if not entries:
        return render_page(
            "items/batch.html",
            entries=_batch_candidates(who, ctx),
            batch_types=sorted(ctx.policy.batch_types),
            error=_("请至少勾选一项可以批量审批的事项"),
        ), 400
    return _batch_confirm(entries, dropped)


def _batch_confirm(entries: list[BatchEntry], dropped: list[Item], *, error=None, status=200):
    challenge = new_challenge(BATCH_ACTION, _batch_binding(entries)).challenge.data
    return render_page(
        "items/batch_confirm.html",
        entries=entries,
        dropped=dropped,
        challenge=challenge,
        fingerprint=_batch_binding(entries)[6:14],
        error=error,
    ), status


@dataclass(frozen=True)
class BatchResult:
    item_id: int
    title: str
    ok: bool
    message: str


@blueprint.post("/items/batch/approve")
@requires_any(*OFFICE_WORK)
def batch_approve():
    who, ctx = participant(), context()
    entries, dropped = _selected_entries(who, ctx)
    if dropped or not entries:
        # Something listed changed since the confirmation: the signature would not cover it.
        return _problem(
            None,
            409,
            _("所列事项在您确认后有变化（已被处理或已修改），本次批量签批没有生效。请重新选择。"),
            title=_("事项已变更"),
        )
    binding = _batch_binding(entries)
    code = (request.form.get("code") or "").strip()
    if not code:
        return _batch_confirm(entries, [], error=_("请输入 6 位动态码"), status=400)
    try:
        refused = verify_fresh_totp(BATCH_ACTION, binding, request.form.get("challenge", ""), code)
    except Conflict:
        return _problem(
            None,
            409,
            _("所列事项在您确认后有变化（已被处理或已修改），本次批量签批没有生效。请重新选择。"),
            title=_("事项已变更"),
        )
    if refused is not None:
        return _batch_confirm(entries, [], error=refused, status=400)
    results = []
    for entry in entries:
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
                audit.record(
                    session,
                    actor(),
                    "item.decide",
                    now=ctx.clock.now,
                    object_type="item",
                    object_id=entry.item.id,
                    detail={
                        "verdict": Verdict.APPROVE.value,
                        "version_hash": entry.version_hash,
                        "batch": binding,
                    },
                )
        except audit.AuditUnavailable:
            results.append(BatchResult(entry.item.id, title, False, _("审计日志不可用，未办理")))
            continue
        except (service.ItemError, effects.EffectRefused) as error:
            message = translate(error)
            if isinstance(error, service.ChecksFailed):
                message += "：" + "；".join(_(c.msgid, **c.params) for c in error.failures)
            results.append(BatchResult(entry.item.id, title, False, message))
            continue
        if outcome.final:
            text = _("已批准，文号 %(number)s", number=outcome.item.document_number or "—")
        else:
            text = _("已同意，送%(stage)s", stage=label(outcome.next_stage))
        results.append(BatchResult(entry.item.id, title, True, text))
    return render_page("items/batch_result.html", results=results)


# -- 委托 -------------------------------------------------------------------------------------


OFFICE_ROLE_VALUES = [r.value for r in service.OFFICE_ROLES]


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


@dataclass(frozen=True)
class DelegationRow:
    id: int
    other: str
    starts_on: date
    ends_on: date
    note: str
    status: str
    active: bool


def _delegation_rows(who: service.Participant, today: date):
    rows = db.session.scalars(
        select(Delegation)
        .where(
            (Delegation.delegator_id == who.account_id) | (Delegation.delegate_id == who.account_id)
        )
        .order_by(Delegation.starts_on.desc(), Delegation.id.desc())
    ).all()
    names = _names(db.session, [d.delegator_id for d in rows] + [d.delegate_id for d in rows])

    def status(d: Delegation) -> tuple[str, bool]:
        if d.revoked_at is not None:
            return _("已提前结束"), False
        if d.ends_on < today:
            return _("已到期"), False
        if d.starts_on > today:
            return _("未开始"), True
        return _("生效中"), True

    given, received = [], []
    for d in rows:
        text, active = status(d)
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
        may_delegate=bool(who.roles & (service.DECIDER_ROLES | {Role.OFFICE_STAFF})),
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
    target = request.form.get("to", type=int)
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


# -- the printable approval sheet -------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    stage: TaskStage
    name: str
    on_behalf_of: str
    on: str


@blueprint.get("/items/<int:item_id>/sheet")
@requires_any(P.SUBMIT_ITEMS, P.REVIEW_ITEMS, P.DECIDE_ITEMS)
def print_sheet(item_id: int) -> str:
    item = _visible_or_404(item_id)
    who = participant()
    if not sheet_available(item, who) or not item.document_number:
        abort(404)
    session = db.session
    unit = session.get(Unit, item.unit_id)
    deciding = [
        t for t in item.tasks if t.stage in DECISION_STAGES and t.outcome is TaskOutcome.APPROVED
    ]
    names = _names(
        session, [t.acted_by_id for t in deciding] + [t.on_behalf_of_id for t in deciding]
    )
    signatures = [
        Signature(
            t.stage,
            names.get(t.acted_by_id or 0, ""),
            names.get(t.on_behalf_of_id or 0, ""),
            day_of(t.closed_at),
        )
        for t in deciding
    ]
    if item.item_type is ItemType.QUOTA_USE:
        title = _("核准使用编制通知单")
    else:
        title = _("关于%(unit)s%(type)s的批复", unit=unit.full_name, type=label(item.item_type))
    payload = service.payload_of(item)
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
        payload=payload,
        reservation=reservation,
        rows=content_rows(session, item, _visible_groups(item, who), sheet=True),
        signatures=signatures,
        decided_on=day_of(item.decided_at),
    )
