"""通知: turning push on for this device, what to be told, a test push, a tap on a
notification, and the service worker script itself (/sw.js)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from auth.access import current
from auth.devices import device_name
from auth.forms import EmptyForm, NotificationPreferencesForm
from auth.permissions import public, signed_in
from auth.web import translate
from pwa import clock, keys, push_runtime
from pwa.domain.push import outbox, preferences, subscriptions
from pwa.domain.push.categories import OPTIONAL, SPECS, Category
from pwa.extensions import csrf, db, secrets

blueprint = Blueprint("notifications", __name__)


@blueprint.app_template_global()
def vapid_public_key() -> str:
    """The browser's applicationServerKey, derived once per app."""
    cached = current_app.extensions.get("pwa.vapid_public_key")
    if cached is None:
        cached = keys.vapid_keys(current_app.config).public_key
        current_app.extensions["pwa.vapid_public_key"] = cached
    return cached


def _policy() -> subscriptions.SubscriptionPolicy:
    return current_app.config["PUSH_SUBSCRIPTION_POLICY"]


def _problem(message: str, status: int = 400) -> Response:
    response = jsonify({"ok": False, "message": message})
    response.status_code = status
    return response


def _posted_subscription() -> tuple[dict, subscriptions.BrowserSubscription]:
    """The JSON body and its checked ``subscription``; a clear 400 otherwise."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(_problem(_("请求格式不正确")))
    try:
        return body, subscriptions.parse(body.get("subscription"), _policy())
    except subscriptions.SubscriptionError as refused:
        abort(_problem(translate(refused)))


@blueprint.post("/account/notifications/subscribe")
@signed_in
def subscribe() -> Response:
    """This browser's PushSubscription, posted by app.js (JSON, CSRF header)."""
    _body, browser = _posted_subscription()
    account = current().account
    user_agent = request.user_agent.string or ""
    with db.write() as s:
        saved = subscriptions.save(
            s,
            account.id,
            browser,
            session_hash=session.id_hash,
            device_label=device_name(user_agent),
            cipher=secrets.cipher,
            now=clock.now(),
            policy=_policy(),
        )
    message = _("本设备已开启通知")
    if saved.evicted_label is not None:
        message = _(
            "本设备已开启通知。每个账户最多 %(n)d 台设备接收通知，已关闭最久未用的设备（%(device)s）的通知。",  # noqa: E501 - one msgid
            n=_policy().max_per_account,
            device=saved.evicted_label,
        )
    return jsonify({"ok": True, "created": saved.created, "message": message})


@blueprint.post("/account/notifications/unsubscribe")
@signed_in
def unsubscribe() -> Response:
    body = request.get_json(silent=True)
    endpoint = body.get("endpoint") if isinstance(body, dict) else None
    removed = False
    if isinstance(endpoint, str):
        with db.write() as s:
            removed = subscriptions.remove_endpoint(s, current().account.id, endpoint)
    return jsonify({"ok": True, "removed": removed, "message": _("本设备已关闭通知")})


@blueprint.post("/account/notifications/devices/<int:subscription_id>/remove")
@signed_in
def remove_device(subscription_id: int) -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400)
    with db.write() as s:
        removed = subscriptions.remove(s, current().account.id, subscription_id)
    if not removed:
        abort(404)
    flash(_("已关闭该设备的通知"), "success")
    return redirect(url_for("notifications.edit_preferences"))


@blueprint.post("/account/notifications/test")
@signed_in
def send_test() -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400)
    with db.write() as s:
        queued = outbox.notify(
            s,
            [current().account.id],
            Category.TEST,
            now=clock.now(),
            zone=push_runtime.zone(current_app),
            deliver_now=True,
        )
    if queued:
        flash(_("测试通知已发出：几秒内应出现在已开启通知的设备上"), "success")
    else:
        flash(_("您还没有开启通知的设备：请先在本机点击“开启通知”"), "warning")
    return redirect(url_for("notifications.edit_preferences"))


def _fill(form: NotificationPreferencesForm, prefs: preferences.Preferences) -> None:
    for category in OPTIONAL:
        getattr(form, category.value).data = category not in prefs.muted
    form.quiet_start.data = preferences.format_clock(prefs.quiet_start)
    form.quiet_end.data = preferences.format_clock(prefs.quiet_end)


@blueprint.route("/account/notifications", methods=["GET", "POST"])
@signed_in
def edit_preferences() -> str | Response:
    account = current().account
    form = NotificationPreferencesForm()
    error = None
    if form.validate_on_submit():
        muted = {c for c in OPTIONAL if not getattr(form, c.value).data}
        try:
            with db.write() as s:
                preferences.store(
                    s,
                    account.id,
                    muted=muted,
                    quiet_start=preferences.parse_clock(form.quiet_start.data),
                    quiet_end=preferences.parse_clock(form.quiet_end.data),
                )
        except preferences.PreferenceError as refused:
            error = translate(refused)
        else:
            flash(_("通知设置已保存"), "success")
            return redirect(url_for("notifications.edit_preferences"))
    elif request.method == "GET":
        _fill(form, preferences.load(db.session, account.id))
    return render_template(
        "notifications/preferences.html",
        form=form,
        error=error,
        specs=SPECS,
        optional=OPTIONAL,
        security=SPECS[Category.SECURITY],
        devices=subscriptions.of_account(db.session, account.id),
        empty_form=EmptyForm(),
    ), (400 if error else 200)


@blueprint.get("/notifications/<token>")
@signed_in
def open_notification(token: str) -> Response:
    """A tap on a notification: the payload carried only an opaque id; where it leads is
    decided here, for the signed-in account only. It opens a page; it never approves."""
    target = None
    if len(token) <= 32:
        with db.write(durable=False) as s:
            target = outbox.opened(s, current().account.id, token, clock.now())
    if not target or not target.startswith("/") or target.startswith("//"):
        target = url_for("home.show_home")
    return redirect(target)


@blueprint.post("/push/subscription-change")
@public
@csrf.exempt
def subscription_changed() -> Response:
    """``pushsubscriptionchange`` from the service worker: it has no session (and needs no
    CSRF token: it carries no ambient authority); it proves possession of the old
    subscription by its auth secret."""
    body, new = _posted_subscription()
    with db.write() as s:
        changed = subscriptions.change(
            s,
            body.get("old_endpoint"),
            body.get("old_auth"),
            new,
            cipher=secrets.cipher,
            now=clock.now(),
        )
    if not changed:
        return _problem(_("找不到原来的推送订阅"), 404)
    return jsonify({"ok": True})
