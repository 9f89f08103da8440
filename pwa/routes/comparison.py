"""数据比对: answers per row — matched, elsewhere in your jurisdiction, not matched,
invalid — for a pasted list or an uploaded CSV/.xlsx of ID numbers; the answer as a page or
as a file of the same rows plus an answer column. Nothing else about anyone is shown."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from auth import security_events
from auth.access import current
from auth.permissions import requires
from auth.roles import Permission
from auth.web import translate
from pwa import clock
from pwa.audit_log import actor
from pwa.domain import audit, comparison, comparison_files, idnumber
from pwa.domain.units import find_unit
from pwa.extensions import db, secrets
from pwa.inputs import db_int
from pwa.rendering import render_page

blueprint = Blueprint("comparison", __name__)

ANSWER_LABELS: dict[comparison.Answer, Any] = {
    comparison.Answer.MATCHED: _l("匹配"),
    comparison.Answer.NAME_DIFFERS: _l("证号匹配，姓名不一致"),
    comparison.Answer.ELSEWHERE: _l("在您辖区的其他单位"),
    comparison.Answer.NOT_FOUND: _l("未匹配"),
    comparison.Answer.INVALID: _l("证号无效"),
}


class ComparisonForm(FlaskForm):
    ids = TextAreaField(_l("身份证号"), validators=[Length(max=20000)])
    grant = SelectField(_l("引用数据查询签批"), choices=[], validate_choice=False)
    output = RadioField(
        _l("结果"),
        choices=[
            SelectChoice("page", _l("在页面显示")),
            SelectChoice("xlsx", _l("下载 Excel 文件")),
            SelectChoice("csv", _l("下载 CSV 文件")),
        ],
        default="page",
    )


@blueprint.app_template_filter("compare_masked")
def compare_masked(raw: str) -> str:
    """A number the person typed, shown back masked when it is a real one."""
    number = idnumber.normalize(raw)
    return idnumber.mask(number) if idnumber.is_valid(number) else raw[:32]


def _policy() -> comparison.ComparisonPolicy:
    return current_app.config["COMPARISON_POLICY"]


def _unit():
    unit_id = request.values.get("unit", type=db_int)
    if unit_id is None:
        return None
    return find_unit(db.session, unit_id, current().scope)


def _page(form: ComparisonForm, *, unit, error: str | None = None, outcome=None, status=200):
    identity = current()
    policy = _policy()
    today = clock.today()
    grants = comparison.grants(db.session, identity.account.id, clock.now(), policy)
    form.grant.choices = [SelectChoice("", _("不引用（使用每日限额）"))] + [
        SelectChoice(str(g.item_id), _("签批 #%(id)d，剩余 %(n)d 行", id=g.item_id, n=g.remaining))
        for g in grants
    ]
    used = comparison.used_today(db.session, identity.account.id, today)
    return render_page(
        "comparison/compare.html",
        form=form,
        unit=unit,
        error=error,
        outcome=outcome,
        labels=ANSWER_LABELS,
        policy=policy,
        left_today=max(0, policy.max_rows_per_day - used),
    ), status


@blueprint.get("/compare")
@requires(Permission.COMPARE_PERSONNEL)
def compare_form() -> tuple[str, int]:
    unit = _unit()
    if request.args.get("unit") and unit is None:
        return _page(
            ComparisonForm(),
            unit=None,
            error=_("找不到该单位，或该单位不在您的管辖范围内"),
            status=404,
        )
    return _page(ComparisonForm(), unit=unit)


def _read_rows(form: ComparisonForm, limit: int) -> list[comparison_files.Row]:
    upload = request.files.get("upload")
    if upload is not None and upload.filename:
        return comparison_files.read_upload(upload.filename, upload.read(), limit, _policy())
    return comparison_files.parse_text(form.ids.data or "", limit)


@blueprint.post("/compare")
@requires(Permission.COMPARE_PERSONNEL)
def run_comparison() -> Response | tuple[str, int]:
    form = ComparisonForm()
    unit = _unit()
    if not form.validate_on_submit():
        return _page(form, unit=unit, status=400)
    if request.form.get("unit") and unit is None:
        return _page(
            form, unit=None, error=_("找不到该单位，或该单位不在您的管辖范围内"), status=404
        )
    identity = current()
    grant_id = db_int(form.grant.data) if form.grant.data else None
    policy = _policy()
    try:
        # Parse with a generous ceiling; the real allowance is checked under the lock.
        rows = _read_rows(form, max(policy.max_rows_per_request, 100000 if grant_id else 0))
        with db.write() as session:
            outcome = comparison.compare(
                session,
                identity.account.id,
                rows,
                unit_id=unit.id if unit else None,
                scope=identity.scope,
                index=secrets.blind_index,
                grant_item_id=grant_id,
                now=clock.now(),
                today=clock.today(),
                policy=policy,
            )
            detail = {
                "rows": len(outcome.rows),
                "misses": outcome.misses,
                "matched": outcome.counts.get(comparison.Answer.MATCHED, 0),
                "output": form.output.data,
            } | ({"cites_item": outcome.grant.item_id} if outcome.grant else {})
            # The audit record is part of the run: no record, no answer (fails closed).
            audit.record(
                session,
                actor(),
                "personnel.compare",
                now=clock.now(),
                object_type="unit" if unit else "scope",
                object_id=unit.id if unit else "",
                detail=detail,
            )
            if outcome.alerted:
                security_events.alert_security_admins(
                    session, "compare_misses", subject=identity.account.username, now=clock.now()
                )
    except comparison.ComparisonError as refused:
        return _page(form, unit=unit, error=translate(refused), status=400)
    except audit.AuditUnavailable:
        return _page(form, unit=unit, error=_("审计日志暂时无法写入，比对未执行"), status=503)
    if form.output.data in ("csv", "xlsx"):
        return _download(outcome, form.output.data)
    return _page(ComparisonForm(formdata=None), unit=unit, outcome=outcome)


def _download(outcome: comparison.Outcome, kind: str) -> Response:
    labels = {answer: str(label) for answer, label in ANSWER_LABELS.items()}
    extras = max((len(row.extra) for row, _a in outcome.rows), default=0)
    headers = [_("身份证号"), _("姓名"), *[""] * extras, _("比对结果")]
    if kind == "xlsx":
        body = comparison_files.as_xlsx(outcome, labels, headers)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = comparison_files.as_csv(outcome, labels, headers)
        mimetype = "text/csv"
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="compare-{stamp}.{kind}"'
    response.headers["Cache-Control"] = "no-store"
    return response
