"""Login: password → one-time code (or recovery code), with pledge and enrolment first time."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from auth import accounts, login, messages, recovery, security_events, sessions, totp
from auth.access import current, pending_account
from auth.devices import device_name
from auth.forms import CodeForm, EmptyForm, LoginForm, PledgeForm, RecoveryForm
from auth.models import Account
from auth.network import client_ip
from auth.permissions import pre_auth, public
from auth.qr import qr_svg
from auth.sessions import Stage
from auth.web import recovery_pepper, safe_next, session_policy, throttle_policy, translate
from pwa import audit_log, clock
from pwa.extensions import db, secrets

blueprint = Blueprint("auth", __name__, template_folder="templates")


def _audit_attempt(s, event: str, result: login.Result, factor: str) -> None:
    """One record per sign-in step, with the account it was about when that exists, and
    one more when this very failure locked the account (never the password or the code)."""
    who = audit_log.actor_for(result.account)
    target = {"object_type": "account", "object_id": result.account.id} if result.account else {}
    audit_log.record(s, event, who=who, outcome=result.outcome.value, **target)
    if result.locked_now:
        until = result.locked_until.isoformat() if result.locked_until else ""
        audit_log.record(
            s,
            "auth.lockout",
            who=who,
            outcome="locked",
            detail={"factor": factor, "until": until},
            **target,
        )


def _after_password(account) -> Response:
    if account.pledge_accepted_at is None:
        return redirect(url_for("auth.accept_pledge"))
    if not account.totp_enrolled:
        return redirect(url_for("auth.enrol_totp"))
    return redirect(url_for("auth.verify_code"))


def _signed_in(account, via_recovery_code: bool = False) -> Response:
    target = safe_next(session.pop("next", None)) or url_for("home.show_home")
    user_agent = request.user_agent.string or ""
    with db.write() as s:
        security_events.signed_in(
            s,
            account.id,
            user_agent=user_agent,
            label=device_name(user_agent),
            ip=client_ip(),
            now=clock.now(),
        )
    session["stamp"] = account.security_stamp
    session.rotate(Stage.FULL, account.id, via_recovery_code)
    return redirect(target)


@blueprint.route("/login", methods=["GET", "POST"])
@public
def login_password() -> str | Response:
    if current().account is not None:
        return redirect(url_for("home.show_home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    error = None
    if form.validate_on_submit():
        with db.write() as s:
            result = login.check_password(
                s, form.username.data, form.password.data, clock.now(), throttle_policy()
            )
            account = result.account
            if result.ok:  # housekeeping where it is cheap: forget long-dead sessions
                sessions.purge(s, clock.now(), session_policy())
            _audit_attempt(s, "auth.login.password", result, "password")
        if result.ok and account is not None:
            next_target = safe_next(form.next.data)
            session.clear()
            if next_target:
                session["next"] = next_target
            session.rotate(Stage.PASSWORD, account.id)
            return _after_password(account)
        error = translate(messages.failure(result))
    return render_template("auth/login.html", form=form, error=error)


@blueprint.route("/login/code", methods=["GET", "POST"])
@pre_auth
def verify_code() -> str | Response:
    account = pending_account()
    if account.pledge_accepted_at is None or not account.totp_enrolled:
        return _after_password(account)
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        with db.write() as s:
            account = s.get(Account, account.id)
            result = login.check_code(
                s, account, form.code.data, secrets.cipher, clock.now(), throttle_policy()
            )
            _audit_attempt(s, "auth.login.code", result, "code")
        if result.ok:
            return _signed_in(account)
        error = translate(messages.failure(result))
    return render_template("auth/code.html", form=form, error=error, account=account)


@blueprint.route("/login/recovery", methods=["GET", "POST"])
@pre_auth
def use_recovery_code() -> str | Response:
    account = pending_account()
    form = RecoveryForm()
    error = None
    if form.validate_on_submit():
        with db.write() as s:
            account = s.get(Account, account.id)
            result = login.check_recovery_code(
                s, account, form.code.data, recovery_pepper(), clock.now(), throttle_policy()
            )
            left = recovery.remaining(s, account.id)
            _audit_attempt(s, "auth.login.recovery", result, "code")
        if result.ok:
            flash(
                _(
                    "已使用恢复码登录，还剩 %(n)d 个。此会话不能签批；请尽快在“我的”页面重新绑定验证器。",  # noqa: E501 - one msgid
                    n=left,
                ),
                "warning",
            )
            return _signed_in(account, via_recovery_code=True)
        error = (
            translate(messages.failure(result))
            if result.outcome is login.Outcome.LOCKED
            else _(messages.WRONG_RECOVERY_CODE)
        )
    return render_template("auth/recovery.html", form=form, error=error)


@blueprint.route("/login/pledge", methods=["GET", "POST"])
@pre_auth
def accept_pledge() -> str | Response:
    account = pending_account()
    form = PledgeForm()
    if form.validate_on_submit():
        with db.write() as s:
            account = s.get(Account, account.id)
            accounts.accept_pledge(account, clock.now())
            audit_log.record(
                s,
                "auth.pledge",
                who=audit_log.actor_for(account),
                object_type="account",
                object_id=account.id,
            )
        return _after_password(account)
    return render_template("auth/pledge.html", form=form)


@blueprint.route("/login/enrol", methods=["GET", "POST"])
@pre_auth
def enrol_totp() -> str | Response:
    account = pending_account()
    if account.pledge_accepted_at is None:
        return redirect(url_for("auth.accept_pledge"))
    if account.totp_enrolled:
        return redirect(url_for("auth.verify_code"))
    form = CodeForm()
    error = None
    with db.write() as s:
        account = s.get(Account, account.id)
        secret = accounts.pending_secret(s, account, secrets.cipher)
    if form.validate_on_submit():
        with db.write() as s:
            account = s.get(Account, account.id)
            result = login.verify_code_for(
                s, account, secret, form.code.data, clock.now(), throttle_policy()
            )
            if result.ok:
                accounts.confirm_enrolment(s, account, secrets.cipher, clock.now())
                codes = recovery.regenerate(s, account.id, recovery_pepper(), clock.now())
            _audit_attempt(s, "auth.login.enrol", result, "code")
        if result.ok:
            session["stamp"] = account.security_stamp
            session.rotate(Stage.FULL, account.id)
            return render_template(
                "auth/recovery_codes.html",
                codes=codes,
                continue_url=safe_next(session.pop("next", None)) or url_for("home.show_home"),
                first_time=True,
            )
        error = translate(messages.failure(result))
    uri = totp.provisioning_uri(secret, account.username)
    return render_template(
        "auth/enrol.html",
        form=form,
        error=error,
        qr=qr_svg(uri),
        uri=uri,
        secret=totp.grouped(secret),
        account=account,
    )


@blueprint.get("/logout")
@public
def confirm_logout() -> str | Response:
    if getattr(session, "stage", Stage.ANONYMOUS) is Stage.ANONYMOUS:
        return redirect(url_for("auth.login_password"))
    return render_template("auth/logout.html", form=EmptyForm())


@blueprint.post("/logout")
@public
def logout() -> Response:
    # CSRFProtect has already refused a POST without a valid token. Logging out never waits
    # for the audit log: ending a session is always the safe thing to do.
    if getattr(session, "stage", Stage.ANONYMOUS) is not Stage.ANONYMOUS:
        who = audit_log.actor() if current().account else audit_log.actor_for(pending_account())
        audit_log.record_quietly(
            "auth.logout", who=who, object_type="account", object_id=session.account_id or ""
        )
    session.end()
    response = redirect(url_for("auth.login_password", logged_out=1))
    # Wipe what this browser holds for the site: caches, storage and cookies.
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response
