"""我的: profile, devices and sessions, password, recovery codes."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from auth import accounts, passwords, recovery, security_events, sessions
from auth.access import current
from auth.forms import EndSessionForm, PasswordChangeForm
from auth.i18n import UserFacingError
from auth.models import Account
from auth.permissions import signed_in
from auth.stepup_web import new_challenge, require_fresh_totp
from auth.web import recovery_pepper, session_policy, translate
from pwa import audit_log, clock
from pwa.domain.push import subscriptions as push_subscriptions
from pwa.extensions import db
from pwa.models import Region, Unit

blueprint = Blueprint("account", __name__, template_folder="templates")


def _jurisdiction_name(account: Account) -> str | None:
    if account.unit_id is not None:
        return db.session.scalar(select(Unit.full_name).where(Unit.id == account.unit_id))
    if account.region_id is not None:
        return db.session.scalar(select(Region.name).where(Region.id == account.region_id))
    return None


@blueprint.get("/account")
@signed_in
def show_account() -> str:
    account = current().account
    live = sessions.live_sessions(db.session, account.id, clock.now(), session_policy())
    return render_template(
        "auth/account.html",
        account=account,
        roles=sorted(current().roles),
        jurisdiction=_jurisdiction_name(account),
        live_sessions=live,
        this_session=session.id_hash,
        recovery_left=recovery.remaining(db.session, account.id),
        end_form=EndSessionForm(),
        notices=security_events.recent(db.session, account.id),
        push_devices=len(push_subscriptions.of_account(db.session, account.id)),
    )


@blueprint.post("/account/sessions/end")
@signed_in
def end_session() -> Response:
    form = EndSessionForm()
    if not form.validate_on_submit():
        abort(400)
    target = form.session.data
    account = current().account
    owned = {
        s.id_hash
        for s in sessions.live_sessions(db.session, account.id, clock.now(), session_policy())
    }
    if target not in owned:
        abort(404)  # someone else's session, or already ended: never say which
    if target == session.id_hash:
        audit_log.record_quietly("account.session.end", detail={"own": True})
        session.end()
        return redirect(url_for("auth.login_password"))
    with db.write() as s:
        sessions.revoke(s, target, clock.now())
        push_subscriptions.remove_for_session(s, target)
        audit_log.record(s, "account.session.end")
    flash(_("已结束该设备上的会话"), "success")
    return redirect(url_for("account.show_account"))


@blueprint.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password() -> str | Response:
    account = current().account
    form = PasswordChangeForm()
    error = None
    if form.validate_on_submit():
        stored_hash = db.session.scalar(
            select(Account.password_hash).where(Account.id == account.id)
        )
        if not passwords.verify_password(stored_hash, form.current.data):
            audit_log.record_or_refuse("account.password.change", outcome="bad_password")
            form.current.errors.append(_("当前密码不正确"))
        elif form.new.data != form.repeat.data:
            form.repeat.errors.append(_("两次输入的新密码不一致"))
        else:
            try:
                with db.write() as s:
                    accounts.change_password(
                        s,
                        s.get(Account, account.id),
                        form.new.data,
                        clock.now(),
                        keep_session_hash=session.id_hash,
                    )
                    audit_log.record(s, "account.password.change")
            except UserFacingError as refused:
                form.new.errors.append(translate(refused))
            else:
                session.rotate(session.stage, account.id, session.via_recovery_code)
                flash(_("密码已修改，其他设备上的会话已结束"), "success")
                return redirect(url_for("account.show_account"))
        error = True
    expired = account.must_change_password or passwords.is_expired(
        account.password_changed_at, clock.now(), current_app.config["PASSWORD_MAX_AGE"]
    )
    return render_template("auth/password.html", form=form, error=error, expired=expired)


def _recovery_binding() -> str:
    account = current().account
    return f"account:{account.id}:recovery:{account.totp_confirmed_at.isoformat()}"


@blueprint.get("/account/recovery-codes")
@signed_in
def confirm_recovery_codes() -> str:
    form = new_challenge("regenerate_recovery_codes", _recovery_binding())
    return render_template("auth/recovery_confirm.html", form=form, error=None)


@blueprint.post("/account/recovery-codes")
@signed_in
@require_fresh_totp("regenerate_recovery_codes", bound_to=lambda: _recovery_binding())
def regenerate_recovery_codes() -> str:
    if not g.step_up_ok:
        form = new_challenge("regenerate_recovery_codes", _recovery_binding())
        return render_template("auth/recovery_confirm.html", form=form, error=g.step_up_error), 400
    with db.write() as s:
        codes = recovery.regenerate(s, current().account.id, recovery_pepper(), clock.now())
        audit_log.record(s, "account.recovery_codes.regenerate")
    return render_template(
        "auth/recovery_codes.html",
        codes=codes,
        continue_url=url_for("account.show_account"),
        first_time=False,
    )
