"""实名制人员: masked lists and details, step-up unmasking, exact ID-number look-up.

Every read is audited before anything is shown, and fails closed if the log cannot be
written. Field-level remits: 编办 sees the establishment with masked ID numbers; 组织部 sees
leaders and cadre fields without ID numbers; 财政局, 人社局 and unit clerks see no names.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from auth.access import Identity, current
from auth.forms import StepUpForm
from auth.permissions import requires, requires_any
from auth.roles import Permission
from auth.stepup_web import new_challenge, verify_fresh_totp
from pwa import clock
from pwa.audit_log import record_or_refuse
from pwa.bulk_guard import admit_or_refuse, check_personnel_request
from pwa.domain import personnel
from pwa.domain.units import find_unit
from pwa.extensions import db, secrets
from pwa.inputs import db_int
from pwa.models import Person
from pwa.rendering import render_page

blueprint = Blueprint("personnel", __name__)
# Every personnel page: the role's network allowlist again, and no page for a blocked account.
blueprint.before_request(check_personnel_request)
READ_PEOPLE = (Permission.VIEW_PERSONNEL, Permission.VIEW_LEADERSHIP)
UNMASK_ACTION = "unmask_id_number"


class UnmaskForm(StepUpForm):
    reason = TextAreaField(
        _l("查看理由"),
        validators=[
            DataRequired(_l("请写明查看完整身份证号的理由")),
            Length(min=4, max=200, message=_l("理由请写 4 到 200 个字")),
        ],
    )


class FindForm(FlaskForm):
    id_number = StringField(
        _l("身份证号"), validators=[DataRequired(_l("请输入身份证号")), Length(max=32)]
    )


def remit_of(identity: Identity) -> personnel.Remit:
    if identity.can(Permission.VIEW_PERSONNEL):
        return personnel.Remit(everyone=True, id_numbers=True)
    return personnel.Remit(everyone=False, id_numbers=False)  # 组织部: leaders, no ID numbers


@blueprint.get("/units/<int:unit_id>/people")
@requires_any(*READ_PEOPLE)
def list_people(unit_id: int) -> str:
    identity = current()
    unit = find_unit(db.session, unit_id, identity.scope)
    if unit is None:
        abort(404)
    page = request.args.get("page", 1, type=db_int) or 1
    people = personnel.list_personnel(
        db.session, unit_id, remit_of(identity), clock.today(), page=page
    )
    admit_or_refuse(
        [row.person_id for row in people.rows],
        direct=False,
        event="personnel.list",
        object_type="unit",
        object_id=unit_id,
        detail={"page": page},
    )
    return render_page(
        "personnel/list.html", block="results", unit=unit, people=people, remit=remit_of(identity)
    )


@blueprint.get("/people/<int:person_id>")
@requires_any(*READ_PEOPLE)
def show_person(person_id: int) -> str:
    identity = current()
    detail = personnel.person_detail(
        db.session, person_id, identity.scope, remit_of(identity), clock.today()
    )
    if detail is None:
        abort(404)
    admit_or_refuse(
        [person_id], direct=True, event="personnel.read", object_type="person", object_id=person_id
    )
    return render_page("personnel/person.html", detail=detail, remit=remit_of(identity))


def _person_for_unmask(person_id: int) -> personnel.PersonDetail:
    identity = current()
    detail = personnel.person_detail(
        db.session, person_id, identity.scope, remit_of(identity), clock.today()
    )
    if detail is None:
        abort(404)
    admit_or_refuse([person_id], direct=True)  # the page shows who it is: it counts
    return detail


def _unmask_binding(person_id: int) -> str:
    return f"person:{person_id}:id_number"


@blueprint.get("/people/<int:person_id>/id-number")
@requires(Permission.VIEW_PERSONNEL)
def confirm_unmask(person_id: int) -> str:
    detail = _person_for_unmask(person_id)
    # The page names the person: a personnel read like any other.
    record_or_refuse(
        "personnel.read", object_type="person", object_id=person_id, detail={"page": "unmask"}
    )
    form = new_challenge(UNMASK_ACTION, _unmask_binding(person_id))
    unmask = UnmaskForm(formdata=None, challenge=form.challenge.data)
    return render_template("personnel/unmask.html", detail=detail, form=unmask, error=None)


@blueprint.post("/people/<int:person_id>/id-number")
@requires(Permission.VIEW_PERSONNEL)
def unmask_id_number(person_id: int) -> tuple[str, int] | str:
    detail = _person_for_unmask(person_id)
    form = UnmaskForm()
    error = None
    # The reason is checked before the code, so a good code is never spent on a bad form.
    if form.validate_on_submit():
        error = verify_fresh_totp(
            UNMASK_ACTION, _unmask_binding(person_id), form.challenge.data, form.code.data
        )
        if error is None:
            record_or_refuse(
                "personnel.unmask",
                object_type="person",
                object_id=person_id,
                detail={"reason": form.reason.data.strip()},
            )
            number = personnel.reveal_id_number(db.session.get(Person, person_id), secrets.cipher)
            return render_template("personnel/revealed.html", detail=detail, number=number)
    record_or_refuse(
        "personnel.unmask", object_type="person", object_id=person_id, outcome="refused"
    )
    fresh = new_challenge(UNMASK_ACTION, _unmask_binding(person_id))
    retry = UnmaskForm(formdata=None, challenge=fresh.challenge.data, reason=form.reason.data)
    retry.reason.errors = list(form.reason.errors)
    retry.code.errors = list(form.code.errors)
    return render_template("personnel/unmask.html", detail=detail, form=retry, error=error), 400


@blueprint.get("/people/find")
@requires(Permission.VIEW_PERSONNEL)
def find_person_form() -> str:
    return render_template("personnel/find.html", form=FindForm(), error=None)


@blueprint.post("/people/find")
@requires(Permission.VIEW_PERSONNEL)
def find_person() -> str | tuple[str, int]:
    """Exact ID-number search: the number travels in the POST body, never in a URL."""
    form = FindForm()
    if not form.validate_on_submit():
        return render_template("personnel/find.html", form=form, error=None), 400
    identity = current()
    try:
        person_id = personnel.find_by_id_number(
            db.session, form.id_number.data, secrets.blind_index, identity.scope
        )
    except personnel.InvalidIdNumber:
        record_or_refuse("personnel.find", outcome="invalid")
        form.id_number.errors.append(_("身份证号格式或校验位不正确，请核对后重新输入"))
        return render_template("personnel/find.html", form=form, error=None), 400
    if person_id is not None:
        admit_or_refuse(
            [person_id],
            direct=False,
            event="personnel.find",
            outcome="found",
            object_type="person",
            object_id=person_id,
        )
    else:
        record_or_refuse("personnel.find", outcome="not_found", object_type="person")
    if person_id is None:
        return render_template(
            "personnel/find.html",
            form=FindForm(formdata=None),
            error=_("未找到：该身份证号不在您管辖范围内的在编人员中"),
        ), 404
    detail = personnel.person_detail(
        db.session, person_id, identity.scope, remit_of(identity), clock.today()
    )
    return render_page("personnel/person.html", detail=detail, remit=remit_of(identity))
