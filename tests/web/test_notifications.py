"""The notification pages and endpoints: subscribing this device, preferences, the test
push, a tap on a notification, the service worker's subscription change, and the security
events that announce themselves by push (new device, lockout)."""

from __future__ import annotations

import base64
import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from auth.models import Account, KnownDevice, SecurityNotice
from auth.roles import Role
from pwa import push_runtime
from pwa.domain.push import outbox
from pwa.domain.push.categories import Category
from pwa.domain.push.sender import VapidKeys
from pwa.extensions import db
from pwa.models.push import PushMessage, PushPreference, PushSubscription
from tests.auth_helpers import PASSWORD, csrf_from, login, make_account, sign_in


def b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def browser_subscription(endpoint: str = "https://push.example.net/send/abc") -> dict:
    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {"endpoint": endpoint, "keys": {"p256dh": b64u(point), "auth": b64u(os.urandom(16))}}


def token_of(client, path: str = "/account") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


def subscribe(client, subscription: dict, token: str | None = None):
    return client.post(
        "/account/notifications/subscribe",
        json={"subscription": subscription},
        headers={"X-CSRFToken": token or token_of(client)},
    )


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_account_page_offers_notifications_with_the_vapid_key(staff, web_app):
    html = staff.get("/account").get_data(as_text=True)
    public = VapidKeys(web_app.config["VAPID_PRIVATE_KEY"], "mailto:x@y.z").public_key
    assert f'data-vapid-key="{public}"' in html
    assert "data-push-enable" in html and "开启通知" in html
    assert 'href="/account/notifications"' in html


def test_subscribing_stores_one_row_per_browser(staff, web_app):
    subscription = browser_subscription()
    first = subscribe(staff, subscription)
    assert first.status_code == 200 and first.json["ok"] and first.json["created"]
    again = subscribe(staff, subscription)
    assert again.json["ok"] and not again.json["created"]
    assert count(web_app, PushSubscription) == 1
    with web_app.app_context():
        row = db.session.scalar(select(PushSubscription))
        # The auth secret is not stored in clear.
        assert base64.urlsafe_b64decode(subscription["keys"]["auth"] + "==") not in row.auth_secret


@pytest.mark.parametrize(
    "subscription, fragment",
    [
        (None, "格式不正确"),
        ({"endpoint": "ftp://push.example.net/x", "keys": {}}, "https"),
        ({"endpoint": "https://push.example.net/x"}, "缺少加密密钥"),
        (
            {"endpoint": "https://push.example.net/x", "keys": {"p256dh": "AAAA", "auth": "AAAA"}},
            "加密密钥格式不正确",
        ),
    ],
)
def test_a_bad_subscription_is_refused_with_a_reason(staff, web_app, subscription, fragment):
    response = subscribe(staff, subscription)
    assert response.status_code == 400 and fragment in response.json["message"]
    assert count(web_app, PushSubscription) == 0


def test_subscribing_needs_csrf_and_a_signed_in_account(web, staff, web_app):
    refused = staff.post(
        "/account/notifications/subscribe", json={"subscription": browser_subscription()}
    )
    assert refused.status_code == 400
    anonymous = web.post(
        "/account/notifications/subscribe",
        json={"subscription": browser_subscription()},
        headers={"X-CSRFToken": token_of(web, "/login")},
    )
    assert anonymous.status_code in (302, 401, 403)
    assert count(web_app, PushSubscription) == 0


def test_at_most_five_devices_the_longest_unused_makes_room(staff, web_app, clock):
    token = token_of(staff)
    for n in range(6):
        clock.advance(minutes=1)
        response = subscribe(staff, browser_subscription(f"https://push.example.net/{n}"), token)
    assert "最久未用" in response.json["message"]
    with web_app.app_context():
        endpoints = set(db.session.scalars(select(PushSubscription.endpoint)))
    assert len(endpoints) == 5 and "https://push.example.net/0" not in endpoints


def test_unsubscribe_removes_only_my_own(staff, web_app):
    subscription = browser_subscription()
    subscribe(staff, subscription)
    other_id, _ = make_account(web_app, "other", Role.OFFICE_STAFF)
    other = web_app.test_client()
    sign_in(other, web_app, other_id)
    response = other.post(
        "/account/notifications/unsubscribe",
        json={"endpoint": subscription["endpoint"]},
        headers={"X-CSRFToken": token_of(other)},
    )
    assert response.json["removed"] is False and count(web_app, PushSubscription) == 1
    response = staff.post(
        "/account/notifications/unsubscribe",
        json={"endpoint": subscription["endpoint"]},
        headers={"X-CSRFToken": token_of(staff)},
    )
    assert response.json["removed"] is True and count(web_app, PushSubscription) == 0


def test_a_device_can_be_turned_off_from_the_settings_page_without_javascript(staff, web_app):
    subscribe(staff, browser_subscription())
    page = staff.get("/account/notifications").get_data(as_text=True)
    with web_app.app_context():
        device_id = db.session.scalar(select(PushSubscription.id))
    assert f"/account/notifications/devices/{device_id}/remove" in page
    response = staff.post(
        f"/account/notifications/devices/{device_id}/remove", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302 and count(web_app, PushSubscription) == 0
    missing = staff.post(
        f"/account/notifications/devices/{device_id}/remove", data={"csrf_token": csrf_from(page)}
    )
    assert missing.status_code == 404


def test_the_test_button_queues_a_test_push_or_explains_why_not(staff, web_app):
    page = staff.get("/account/notifications").get_data(as_text=True)
    response = staff.post(
        "/account/notifications/test", data={"csrf_token": csrf_from(page)}, follow_redirects=True
    )
    assert "还没有开启通知的设备" in response.get_data(as_text=True)
    assert count(web_app, PushMessage) == 0
    subscribe(staff, browser_subscription())
    response = staff.post(
        "/account/notifications/test", data={"csrf_token": csrf_from(page)}, follow_redirects=True
    )
    assert "测试通知已发出" in response.get_data(as_text=True)
    assert count(web_app, PushMessage, PushMessage.category == Category.TEST.value) == 1


def test_preferences_are_saved_and_bad_times_are_explained(staff, web_app):
    page = staff.get("/account/notifications").get_data(as_text=True)
    assert 'id="security-always" checked disabled' in page
    form = {
        "csrf_token": csrf_from(page),
        "task": "y",
        "outcome": "y",
        "quiet_start": "22:00",
        "quiet_end": "07:30",
    }
    saved = staff.post("/account/notifications", data=form)
    assert saved.status_code == 302
    with web_app.app_context():
        row = db.session.scalar(select(PushPreference))
        assert set(row.muted.split(",")) == {"reminder", "deadline"}
        assert (row.quiet_start, row.quiet_end) == (22 * 60, 7 * 60 + 30)
    shown = staff.get("/account/notifications").get_data(as_text=True)
    assert 'value="22:00"' in shown and 'value="07:30"' in shown
    bad = staff.post("/account/notifications", data=form | {"quiet_end": "25:00"})
    assert bad.status_code == 400 and "时:分" in bad.get_data(as_text=True)
    half = staff.post("/account/notifications", data=form | {"quiet_end": ""})
    assert half.status_code == 400 and "同时填写" in half.get_data(as_text=True)
    with web_app.app_context():  # nothing half-written
        assert db.session.scalar(select(PushPreference.quiet_end)) == 7 * 60 + 30


def test_a_tap_opens_the_target_for_its_own_account_only(staff, web_app, clock):
    subscribe(staff, browser_subscription())
    with web_app.app_context(), db.write() as s:
        staff_id = s.scalar(select(Account.id).where(Account.username == "staff"))
        outbox.notify(
            s,
            [staff_id],
            Category.TASK,
            now=clock.now,
            zone=push_runtime.zone(web_app),
            target="/items/42",
        )
        token = s.scalar(select(PushMessage.token))
    response = staff.get(f"/notifications/{token}")
    assert response.status_code == 302 and response.location.endswith("/items/42")
    with web_app.app_context():
        assert db.session.scalar(select(PushMessage.opened_at)) is not None
    other_id, _ = make_account(web_app, "other", Role.OFFICE_STAFF)
    other = web_app.test_client()
    sign_in(other, web_app, other_id)
    elsewhere = other.get(f"/notifications/{token}")
    assert elsewhere.status_code == 302 and not elsewhere.location.endswith("/items/42")
    signed_out = web_app.test_client().get(f"/notifications/{token}")
    assert signed_out.status_code == 302 and "/login" in signed_out.location


def test_the_service_worker_changes_a_subscription_only_with_the_old_secret(staff, web_app):
    old = browser_subscription("https://push.example.net/old")
    subscribe(staff, old)
    new = browser_subscription("https://push.example.net/new")
    anonymous = web_app.test_client()
    garbled = anonymous.post("/push/subscription-change", data="not json")
    assert garbled.status_code == 400 and "请求格式不正确" in garbled.json["message"]
    wrong = anonymous.post(
        "/push/subscription-change",
        json={
            "old_endpoint": old["endpoint"],
            "old_auth": b64u(os.urandom(16)),
            "subscription": new,
        },
    )
    assert wrong.status_code == 404
    right = anonymous.post(
        "/push/subscription-change",
        json={
            "old_endpoint": old["endpoint"],
            "old_auth": old["keys"]["auth"],
            "subscription": new,
        },
    )
    assert right.status_code == 200 and right.json["ok"]
    with web_app.app_context():
        assert list(db.session.scalars(select(PushSubscription.endpoint))) == [new["endpoint"]]


def test_sw_js_is_served_for_the_whole_scope_and_never_cached_long(web):
    response = web.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    for handler in ("push", "notificationclick", "pushsubscriptionchange"):
        assert f'addEventListener("{handler}"' in body


def test_logging_out_ends_this_devices_notifications(web_app, clock):
    account_id, secret = make_account(web_app, "leaver", Role.OFFICE_STAFF)
    client = web_app.test_client()
    login(client, "leaver", secret, clock)
    subscribe(client, browser_subscription())
    other = web_app.test_client()
    sign_in(other, web_app, account_id)
    subscribe(other, browser_subscription("https://push.example.net/other"))
    page = client.get("/logout").get_data(as_text=True)
    assert "data-logout" in page
    response = client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    with web_app.app_context():
        assert list(db.session.scalars(select(PushSubscription.endpoint))) == [
            "https://push.example.net/other"
        ]


def test_disabling_an_account_ends_every_subscription(web_app, clock):
    from auth import accounts

    account_id, _ = make_account(web_app, "gone", Role.OFFICE_STAFF)
    admin_id, _ = make_account(web_app, "sysadmin", Role.SYSTEM_ADMIN)
    client = web_app.test_client()
    sign_in(client, web_app, account_id)
    subscribe(client, browser_subscription())
    with web_app.app_context(), db.write() as s:
        accounts.disable(s, s.get(Account, account_id), by=s.get(Account, admin_id), now=clock.now)
    assert count(web_app, PushSubscription) == 0


def test_a_sign_in_from_a_new_device_is_a_security_notice_and_a_push(web_app, clock):
    account_id, secret = make_account(web_app, "roamer", Role.OFFICE_STAFF)
    phone = web_app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (Linux; Android 14) Chrome/126 Mobile"
    login(phone, "roamer", secret, clock)
    subscribe(phone, browser_subscription())
    assert count(web_app, SecurityNotice) == 0  # the first device ever is expected
    same_phone = web_app.test_client()  # signing in again later on the same phone
    same_phone.environ_base["HTTP_USER_AGENT"] = phone.environ_base["HTTP_USER_AGENT"]
    login(same_phone, "roamer", secret, clock)
    assert count(web_app, SecurityNotice) == 0
    laptop = web_app.test_client()
    laptop.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (Windows NT 10.0) Edg/126"
    login(laptop, "roamer", secret, clock)
    assert count(web_app, KnownDevice, KnownDevice.account_id == account_id) == 2
    with web_app.app_context():
        notice = db.session.scalar(select(SecurityNotice))
        message = db.session.scalar(select(PushMessage))
    assert notice.kind == "new_device" and "Windows" in notice.device
    assert message.category == Category.SECURITY.value and message.account_id == account_id
    page = laptop.get("/account").get_data(as_text=True)
    assert "在新设备上登录" in page and "Windows" in page


def test_a_lockout_tells_the_account_and_the_security_administrators(web_app, clock, web):
    account_id, secret = make_account(web_app, "target", Role.OFFICE_STAFF)
    admin_id, _ = make_account(web_app, "secadmin", Role.SECURITY_ADMIN)
    for client_id in (account_id, admin_id):
        client = web_app.test_client()
        sign_in(client, web_app, client_id)
        subscribe(client, browser_subscription(f"https://push.example.net/{client_id}"))
    for _ in range(web_app.config["THROTTLE_POLICY"].max_failures):
        page = web.get("/login").get_data(as_text=True)
        web.post(
            "/login",
            data={
                "csrf_token": csrf_from(page),
                "username": "target",
                "password": "wrong" + PASSWORD,
            },
        )
    with web_app.app_context():
        notices = {
            (n.account_id, n.kind, n.subject) for n in db.session.scalars(select(SecurityNotice))
        }
        pushed = set(db.session.scalars(select(PushMessage.account_id)))
    assert notices == {(account_id, "locked_password", ""), (admin_id, "other_locked", "target")}
    assert pushed == {account_id, admin_id}


def test_push_payload_texts_are_translated_per_category(web_app):
    from flask_babel import force_locale

    from pwa import push_runtime

    with web_app.test_request_context(), force_locale("zh_Hans_CN"):
        title, body = push_runtime.texts(Category.TASK, 3)
    assert title == "编办移动办公" and body == "您有 3 项新的待办"
    assert json.dumps(body, ensure_ascii=False).count("3") == 1
