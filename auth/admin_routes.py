"""The administrators' pages: 系统管理员 manages accounts, 安全管理员 roles and access.

Neither sees business data; neither can act on their own account (the domain refuses).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from auth import accounts, admin
from auth.access import current
from auth.forms import (
    AccountRolesForm,
    AllowlistForm,
    EmptyForm,
    LiftBlockForm,
    NewAccountForm,
    ResetPasswordForm,
)
from auth.i18n import UserFacingError
from auth.labels import CLASS_LABELS, ROLE_LABELS
from auth.models import Account, RoleIpAllowlist
from auth.permissions import requires
from auth.roles import BUSINESS_ROLES, Permission, Role, RoleClass
from auth.web import translate
from pwa import audit_log, clock
from pwa.audit_log import actor
from pwa.domain import audit, bulk_access
from pwa.extensions import db
from pwa.models import Region, Unit

blueprint = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


def _account_or_404(session, account_id: int) -> Account:
    account = session.scalar(
        select(Account).options(selectinload(Account.roles)).where(Account.id == account_id)
    )
    if account is None:
        abort(404)
    return account


def _act(account_id: int, event: str, action, success: str) -> Response:
    """Run one administrative action on another account, in one transaction with its audit
    record; a refusal is recorded too."""
    try:
        with db.write() as s:
            target = _account_or_404(s, account_id)
            actor = s.get(Account, current().account.id)
            action(s, target, actor)
            audit_log.record(s, event, object_type="account", object_id=account_id)
    except UserFacingError as refused:
        _audit_refusal(event, refused, object_type="account", object_id=account_id)
        flash(translate(refused), "error")
    else:
        flash(success, "success")
    return redirect(request_target(account_id))


def _audit_refusal(event: str, refused: UserFacingError, **target) -> None:
    audit_log.record_or_refuse(event, outcome="refused", detail={"reason": refused.msgid}, **target)


def request_target(account_id: int) -> str:
    if current().can(Permission.MANAGE_ACCOUNTS):
        return url_for("admin.show_account", account_id=account_id)
    return url_for("admin.edit_access", account_id=account_id)


# --- 系统管理员: accounts --------------------------------------------------------------


@blueprint.get("/accounts")
@requires(Permission.MANAGE_ACCOUNTS)
def list_accounts() -> str:
    rows = admin.list_accounts(db.session, clock.now())
    return render_template(
        "auth/admin_accounts.html",
        rows=rows,
        role_labels=ROLE_LABELS,
        class_labels=CLASS_LABELS,
        manage="accounts",
    )


@blueprint.route("/accounts/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_ACCOUNTS)
def create_account() -> str | Response:
    form = NewAccountForm()
    form.account_class.choices = [(c.value, str(CLASS_LABELS[c])) for c in RoleClass]
    if form.validate_on_submit():
        spec = accounts.NewAccount(
            username=form.username.data,
            display_name=form.display_name.data,
            account_class=RoleClass(form.account_class.data),
            password=form.password.data,
        )
        try:
            with db.write() as s:
                created = accounts.create_account(
                    s, spec, created_by=s.get(Account, current().account.id), now=clock.now()
                )
                created_id = created.id
                audit_log.record(
                    s,
                    "admin.account.create",
                    object_type="account",
                    object_id=created_id,
                    detail={"username": created.username, "class": spec.account_class.value},
                )
        except UserFacingError as refused:
            _audit_refusal("admin.account.create", refused)
            field = form.password if "密码" in refused.msgid else form.username
            field.errors.append(translate(refused))
        else:
            flash(_("账户已创建。业务账户的角色与管辖范围由安全管理员设置。"), "success")
            return redirect(url_for("admin.show_account", account_id=created_id))
    return render_template("auth/admin_new_account.html", form=form)


@blueprint.get("/accounts/<int:account_id>")
@requires(Permission.MANAGE_ACCOUNTS)
def show_account(account_id: int) -> str:
    account = _account_or_404(db.session, account_id)
    return render_template(
        "auth/admin_account.html",
        account=account,
        form=EmptyForm(),
        reset_form=ResetPasswordForm(),
        locked_until=admin.lock_of(db.session, account, clock.now()),
        role_labels=ROLE_LABELS,
        class_labels=CLASS_LABELS,
    )


@blueprint.post("/accounts/<int:account_id>/disable")
@requires(Permission.MANAGE_ACCOUNTS)
def disable_account(account_id: int) -> Response:
    return _act(
        account_id,
        "admin.account.disable",
        lambda s, t, a: accounts.disable(s, t, by=a, now=clock.now()),
        _("账户已停用，其全部会话已结束"),
    )


@blueprint.post("/accounts/<int:account_id>/enable")
@requires(Permission.MANAGE_ACCOUNTS)
def enable_account(account_id: int) -> Response:
    return _act(
        account_id,
        "admin.account.enable",
        lambda s, t, a: accounts.enable(s, t, by=a),
        _("账户已启用"),
    )


@blueprint.post("/accounts/<int:account_id>/reset-totp")
@requires(Permission.MANAGE_ACCOUNTS)
def reset_totp(account_id: int) -> Response:
    return _act(
        account_id,
        "admin.account.reset_totp",
        lambda s, t, a: accounts.reset_totp(s, t, by=a, now=clock.now()),
        _("动态码已重置：该用户下次登录时需重新绑定验证器，其全部会话已结束"),
    )


@blueprint.post("/accounts/<int:account_id>/reset-password")
@requires(Permission.MANAGE_ACCOUNTS)
def reset_password(account_id: int) -> Response:
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        flash(_("请设置临时密码"), "error")
        return redirect(url_for("admin.show_account", account_id=account_id))
    return _act(
        account_id,
        "admin.account.reset_password",
        lambda s, t, a: accounts.reset_password(s, t, form.password.data, by=a, now=clock.now()),
        _("密码已重置为临时密码，用户登录后须修改"),
    )


# --- 安全管理员: roles, jurisdictions, unlocking, allowlists -----------------------------


@blueprint.get("/security/accounts")
@requires(Permission.MANAGE_ROLES)
def list_access() -> str:
    rows = admin.list_accounts(db.session, clock.now())
    return render_template(
        "auth/admin_accounts.html",
        rows=rows,
        role_labels=ROLE_LABELS,
        class_labels=CLASS_LABELS,
        manage="access",
    )


def _regions() -> list[tuple[str, str]]:
    regions = db.session.execute(
        select(Region.id, Region.name, Region.code).order_by(Region.code)
    ).all()
    return [("", _("（不按行政区划）"))] + [(str(r.id), f"{r.name}（{r.code}）") for r in regions]


@blueprint.route("/security/accounts/<int:account_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_ROLES)
def edit_access(account_id: int) -> str | Response:
    account = _account_or_404(db.session, account_id)
    form = AccountRolesForm()
    form.roles.choices = [(r.value, str(ROLE_LABELS[r])) for r in Role if r in BUSINESS_ROLES]
    form.region.choices = _regions()
    if not form.is_submitted():
        form.roles.data = [r.value for r in account.role_set]
        form.region.data = str(account.region_id or "")
        if account.unit_id:
            form.unit.data = db.session.scalar(
                select(Unit.credit_code).where(Unit.id == account.unit_id)
            )
    if form.validate_on_submit():
        unit_id = None
        if form.unit.data and form.unit.data.strip():
            unit_id = db.session.scalar(
                select(Unit.id).where(Unit.credit_code == form.unit.data.strip().upper())
            )
            if unit_id is None:
                form.unit.errors.append(_("找不到该统一社会信用代码对应的单位"))
        if not form.unit.errors:
            wanted = {Role(r) for r in form.roles.data or []}
            try:
                with db.write() as s:
                    target = _account_or_404(s, account_id)
                    actor = s.get(Account, current().account.id)
                    region_id = int(form.region.data) if form.region.data and not unit_id else None
                    _change_access(s, target, actor, wanted, region_id, unit_id)
            except UserFacingError as refused:
                _audit_refusal(
                    "admin.access.change", refused, object_type="account", object_id=account_id
                )
                flash(translate(refused), "error")
            else:
                flash(_("角色与管辖范围已更新，下一次请求起生效"), "success")
                return redirect(url_for("admin.edit_access", account_id=account_id))
    return render_template(
        "auth/admin_access.html",
        account=account,
        form=form,
        unlock_form=EmptyForm(),
        role_labels=ROLE_LABELS,
        class_labels=CLASS_LABELS,
        locked_until=admin.lock_of(db.session, account, clock.now()),
        personnel_block=bulk_access.block_of(db.session, account.id),
        lift_block_form=LiftBlockForm(formdata=None),
        policy=current_app.config["BULK_ACCESS_POLICY"],
    )


def _change_access(
    s, target: Account, actor: Account, wanted: set[Role], region_id, unit_id
) -> None:
    """Jurisdiction and roles as the form asks, each change with its audit record."""
    was = {"region": target.region_id, "unit": target.unit_id}
    accounts.set_jurisdiction(s, target, region_id=region_id, unit_id=unit_id, changed_by=actor)
    now, subject = clock.now(), {"object_type": "account", "object_id": target.id}
    if was != {"region": region_id, "unit": unit_id}:
        detail = {"region": region_id, "unit": unit_id, "was": was}
        audit_log.record(s, "admin.jurisdiction.change", detail=detail, **subject)
    for role in sorted(wanted - target.role_set):
        accounts.grant_role(s, target, role, granted_by=actor, now=now)
        audit_log.record(s, "admin.role.grant", detail={"role": role.value}, **subject)
    for role in sorted(target.role_set - wanted):
        accounts.revoke_role(s, target, role, revoked_by=actor, now=now)
        audit_log.record(s, "admin.role.revoke", detail={"role": role.value}, **subject)


@blueprint.post("/security/accounts/<int:account_id>/unlock")
@requires(Permission.MANAGE_ROLES)
def unlock_account(account_id: int) -> Response:
    return _act(
        account_id,
        "admin.account.unlock",
        lambda s, t, a: admin.unlock_account(s, t, by=a),
        _("已解锁"),
    )


@blueprint.route("/security/ip-allowlist", methods=["GET", "POST"])
@requires(Permission.MANAGE_ROLES)
def edit_allowlist() -> str | Response:
    form = AllowlistForm()
    form.role.choices = [(r.value, str(ROLE_LABELS[r])) for r in Role]
    if form.validate_on_submit():
        try:
            with db.write() as s:
                entry = admin.add_allowlist_entry(
                    s,
                    Role(form.role.data),
                    form.cidr.data,
                    form.note.data or "",
                    by=s.get(Account, current().account.id),
                    now=clock.now(),
                )
                audit_log.record(
                    s,
                    "admin.allowlist.add",
                    object_type="role",
                    object_id=entry.role.value,
                    detail={"cidr": entry.cidr},
                )
        except UserFacingError as refused:
            _audit_refusal(
                "admin.allowlist.add", refused, object_type="role", object_id=form.role.data
            )
            form.cidr.errors.append(translate(refused))
        else:
            flash(_("已添加访问网段，下一次请求起生效"), "success")
            return redirect(url_for("admin.edit_allowlist"))
    return render_template(
        "auth/admin_allowlist.html",
        form=form,
        entries=admin.allowlist(db.session),
        delete_form=EmptyForm(),
        role_labels=ROLE_LABELS,
    )


@blueprint.post("/security/ip-allowlist/<int:entry_id>/delete")
@requires(Permission.MANAGE_ROLES)
def delete_allowlist_entry(entry_id: int) -> Response:
    with db.write() as s:
        entry = s.get(RoleIpAllowlist, entry_id)
        if entry is None:
            abort(404)
        own = entry.role in current().roles
        audit_log.record(
            s,
            "admin.allowlist.delete",
            outcome="refused" if own else "ok",
            object_type="role",
            object_id=entry.role.value,
            detail={"cidr": entry.cidr},
        )
        if own:
            flash(_("不能修改自己所持角色的访问限制"), "error")
        else:
            s.delete(entry)
            flash(_("已删除访问网段"), "success")
    return redirect(url_for("admin.edit_allowlist"))


# --- 安全管理员: bulk-access blocks of personnel data ------------------------------------


def _blocks_page(form: LiftBlockForm, form_account: int | None) -> str:
    return render_template(
        "auth/admin_blocks.html",
        blocks=bulk_access.current_blocks(db.session),
        form=form,
        form_account=form_account,
        error=bool(form.errors),  # the page title says so
        blank=LiftBlockForm(formdata=None),
        policy=current_app.config["BULK_ACCESS_POLICY"],
    )


@blueprint.get("/security/personnel-blocks")
@requires(Permission.MANAGE_ROLES)
def list_personnel_blocks() -> str:
    return _blocks_page(LiftBlockForm(formdata=None), None)


@blueprint.post("/security/personnel-blocks/<int:account_id>/lift")
@requires(Permission.MANAGE_ROLES)
def lift_personnel_block(account_id: int) -> Response | tuple[str, int]:
    """Lift a block with a stated reason (audited); the account's windows start afresh."""
    target = db.session.get(Account, account_id)
    if target is None:
        abort(404)
    form = LiftBlockForm()
    if not form.validate_on_submit():
        return _blocks_page(form, account_id), 400
    reason = form.reason.data.strip()
    try:
        with db.write() as s:
            now = clock.now()
            was = bulk_access.lift(s, account_id, by_id=current().account.id, now=now)
            audit.record(
                s,
                actor(),
                "personnel.unblocked",
                now=now,
                object_type="account",
                object_id=account_id,
                detail={"reason": reason, **was},
            )
    except UserFacingError as refused:
        flash(translate(refused), "error")
    else:
        flash(_("已解除 %(username)s 的人员信息访问限制", username=target.username), "success")
    if request.form.get("back") == "account":
        return redirect(url_for("admin.edit_access", account_id=account_id))
    return redirect(url_for("admin.list_personnel_blocks"))
