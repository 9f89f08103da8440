"""On a phone: 编办 staff turn on notifications on the account page, a clerk's declaration
reaches them as a Web Push (encrypted for their browser, generic text only), the service
worker shows it, and a tap opens the item — still behind the sign-in, approving still
behind a TOTP code. A browser that refuses notifications is told how to allow them, and
a subscription that fails can be tried again.

Chromium cannot subscribe to a push service offline (TESTING.md §3), so the page's
``PushManager.subscribe()`` is stubbed with keys made here; the push service is a local
HTTP server in this process; what the worker sends is decrypted with those keys (as the
browser would) and handed to the real service worker through CDP.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import select

from auth.roles import Role
from tests.auth_helpers import PASSWORD, make_account
from tests.browser.conftest import sign_in
from tests.push_helpers import BrowserKeys, FakePushService

UNIT = "市教育局"
PAYLOAD_KEYS = {"id", "category", "title", "body", "count", "badge"}

# PushManager as a browser with a push service would give it: subscribe() hands back a
# subscription for keys the test holds; getSubscription() remembers it (per origin, as a
# browser does) so that reloads show the control as "on".
STUB_PUSH = """(() => {
  if (!("PushManager" in self)) return;
  const sub = %s;
  let failures = %d;  // the first subscribe() calls fail as Chromium's do offline
  const REMEMBER = "__fakePushSubscription";
  const toB64u = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const make = () => ({
    endpoint: sub.endpoint,
    expirationTime: null,
    options: { userVisibleOnly: true, applicationServerKey: null },
    toJSON: () => JSON.parse(JSON.stringify(sub)),
    unsubscribe() {
      localStorage.removeItem(REMEMBER);
      return Promise.resolve(true);
    },
  });
  window.__subscribeCalls = [];
  PushManager.prototype.subscribe = function (options) {
    window.__subscribeCalls.push({
      userVisibleOnly: options.userVisibleOnly,
      applicationServerKey: toB64u(options.applicationServerKey),
    });
    if (failures > 0) {
      failures -= 1;
      return Promise.reject(new DOMException("Registration failed", "AbortError"));
    }
    localStorage.setItem(REMEMBER, "1");
    return Promise.resolve(make());
  };
  PushManager.prototype.getSubscription = function () {
    return Promise.resolve(localStorage.getItem(REMEMBER) ? make() : null);
  };
})();"""

NOTIFICATIONS = """async () => (await (await navigator.serviceWorker.ready).getNotifications())
  .map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url }))"""

# A tap on the notification, as the platform would deliver it to the service worker.
TAP = """async () => {
  const [notification] = await self.registration.getNotifications({ tag: "bianban-task" });
  if (!notification) return null;
  self.dispatchEvent(new NotificationEvent("notificationclick", { notification }));
  return notification.data.url;
}"""


@pytest.fixture(scope="module")
def push_service() -> Iterator[FakePushService]:
    with FakePushService() as service:
        yield service


def stub_push(keys: BrowserKeys, failures: int = 0) -> str:
    return STUB_PUSH % (json.dumps(keys.subscription()), failures)


def new_staff(live_app, username: str) -> dict:
    """An 编办经办人 of the city (so a step of any unit there is theirs), fresh per test so
    that no TOTP step is shared with another journey."""
    account_id, secret = make_account(live_app, username, Role.OFFICE_STAFF)
    return {"id": account_id, "username": username, "password": PASSWORD, "totp_secret": secret}


def subscription_rows(live_app, account_id: int) -> list:
    from pwa.extensions import db
    from pwa.models.push import PushSubscription

    with live_app.app_context():
        rows = db.session.scalars(
            select(PushSubscription).where(PushSubscription.account_id == account_id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def push_control(page: Page) -> Locator:
    return page.get_by_role("region", name="通知").locator("[data-push-control]")


def open_account_page(page: Page, base: str, account: dict) -> Locator:
    sign_in(page, base, account)
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的").click()
    expect(page).to_have_url(base + "/account")
    assert page.evaluate("() => window.__swReady") == "activated"
    control = push_control(page)
    expect(control).to_have_attribute("data-push-current", re.compile(r"^(off|on|denied)$"))
    return control


def turn_on(page: Page, context: BrowserContext, base: str, account: dict, keys: BrowserKeys):
    """Notifications allowed for the site; on the account page, 开启通知."""
    context.grant_permissions(["notifications"], origin=base)
    context.add_init_script(stub_push(keys))
    control = open_account_page(page, base, account)
    expect(control).to_have_attribute("data-push-current", "off")
    control.get_by_role("button", name="开启通知").click()
    expect(control.locator("[data-push-message]")).to_have_text("本设备已开启通知")
    expect(control).to_have_attribute("data-push-current", "on")
    expect(control.locator('[data-push-state="on"]')).to_be_visible()
    expect(control.get_by_role("button", name="开启通知")).to_be_hidden()
    return control


def assert_clean(page: Page) -> None:
    assert page.evaluate("() => window.__csp || []") == [], page.url
    assert page.console_errors == [], page.url


def declare_item(live_app, demo_accounts) -> tuple[int, str]:
    """The demo clerk submits a 用编申请 for their unit, through the item services as the
    declaration page calls them (with the clerk signed in for the audit record). Returns
    the item's id and the clerk's name."""
    from flask import g

    from auth.access import Identity
    from auth.models import Account
    from auth.roles import permissions_of
    from auth.scope import scope_for
    from pwa.domain.items import payloads as p
    from pwa.domain.items import service
    from pwa.extensions import db
    from pwa.models import EntryMode, Funding, ItemType, QuotaKind
    from pwa.routes.items_support import context

    with live_app.test_request_context():
        account = db.session.scalar(
            select(Account).where(Account.username == demo_accounts["clerk"]["username"])
        )
        roles = account.role_set
        g.identity = Identity(account=account, roles=roles, permissions=permissions_of(roles))
        clerk = service.Participant(account.id, roles, scope_for(db.session, account))
        payload = p.QuotaUse(
            QuotaKind.ADMINISTRATIVE,
            Funding.FULL,
            1,
            EntryMode.CIVIL_SERVICE_EXAM,
            "办公室科员",
            "办公室一名科员调出，需考试录用补充。",
        )
        draft = service.Draft(ItemType.QUOTA_USE, clerk.scope.unit_id, payload, {}, False)
        with db.write() as session:
            item = service.create(
                session,
                clerk,
                draft,
                idempotency_key=f"push-journey-{time.time_ns()}",
                submit=True,
                ctx=context(),
            )
            session.flush()
            assert item.state.value == "submitted"
            return item.id, account.display_name


def registration_id(cdp, scope_url: str, timeout: float = 5.0) -> str:
    """The service worker registration's id, from CDP's ServiceWorker domain (TESTING.md §3)."""
    found: dict[str, str] = {}

    def updated(event: dict) -> None:
        for reg in event["registrations"]:
            if not reg["isDeleted"]:
                found[reg["scopeURL"]] = reg["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + timeout
    while scope_url not in found and time.monotonic() < deadline:
        cdp.send("Runtime.evaluate", {"expression": "1"})  # pumps the event queue
    assert scope_url in found, f"no service worker registration for {scope_url}"
    return found[scope_url]


def test_office_staff_turn_on_notifications_on_a_phone(
    watched_page, context, live_server, live_app, push_service
):
    page, base = watched_page, live_server
    staff = new_staff(live_app, "push_on_staff")
    keys = BrowserKeys(push_service.endpoint("turn-on"))
    turn_on(page, context, base, staff, keys)

    # The browser was asked for a visible-only subscription to this server's VAPID key.
    from pwa import keys as app_keys

    with live_app.app_context():
        vapid_public = app_keys.vapid_keys(live_app.config).public_key
    assert push_control(page).get_attribute("data-vapid-key") == vapid_public
    assert page.evaluate("() => window.__subscribeCalls") == [
        {"userVisibleOnly": True, "applicationServerKey": vapid_public}
    ]

    # Stored for this account: the endpoint, the browser's key, its auth secret (encrypted
    # at rest), and the session that made it.
    from pwa.domain.push import subscriptions
    from pwa.extensions import secrets

    [row] = subscription_rows(live_app, staff["id"])
    assert row.endpoint == keys.endpoint
    assert row.p256dh == keys.p256dh
    assert keys.auth not in row.auth_secret
    with live_app.app_context():
        assert subscriptions.auth_secret(row, secrets.cipher) == keys.auth
    assert row.session_hash and row.device_label
    assert push_service.captured == []  # turning on sends nothing
    assert_clean(page)

    # A reload still shows it on, and the settings page lists this device.
    page.reload()
    expect(push_control(page)).to_have_attribute("data-push-current", "on")
    expect(page.get_by_text("本账户有 1 台设备接收通知。")).to_be_visible()
    page.get_by_role("link", name="通知设置与测试").click()
    expect(page).to_have_url(base + "/account/notifications")
    expect(page.get_by_role("heading", level=1)).to_have_text("通知设置")
    devices = page.get_by_role("region", name="接收通知的设备").locator(".app-device")
    expect(devices).to_have_count(1)
    expect(devices.locator(".app-device__name")).to_have_text(row.device_label)
    assert_clean(page)

    # Turning it off again forgets the device on the server (and frees the next tests
    # from a subscription they would also have to deliver to).
    control = page.locator("[data-push-control]")
    expect(control).to_have_attribute("data-push-current", "on")
    control.get_by_role("button", name="关闭本设备的通知").click()
    expect(control.locator("[data-push-message]")).to_have_text("本设备已关闭通知")
    expect(control).to_have_attribute("data-push-current", "off")
    assert subscription_rows(live_app, staff["id"]) == []
    assert_clean(page)


def test_a_declaration_reaches_the_staff_phone_and_a_tap_opens_the_item(
    watched_page, context, live_server, live_app, demo_accounts, push_service
):
    from pwa.extensions import db
    from pwa.models.push import PushMessage
    from pwa.push_runtime import make_worker, run_round

    page, base = watched_page, live_server
    staff = new_staff(live_app, "push_task_staff")
    keys = BrowserKeys(push_service.endpoint("task"))
    turn_on(page, context, base, staff, keys)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    # 1. The clerk declares: a 「新待办」 waits in the outbox for this staff member.
    item_id, clerk_name = declare_item(live_app, demo_accounts)
    with live_app.app_context():
        [message] = db.session.scalars(
            select(PushMessage).where(PushMessage.account_id == staff["id"])
        ).all()
        token = message.token
        assert (message.category, message.count, message.state) == ("task", 1, "pending")
        assert message.target == f"/items/{item_id}"

    # 2. The worker sends it: one encrypted POST to this browser's push service.
    with live_app.app_context():
        result = run_round(live_app, make_worker(live_app))
    assert result.sent >= 1, result
    [request] = push_service.requests_for("task")
    assert request.header("content-encoding") == "aes128gcm"
    assert request.header("authorization").startswith("vapid t=")
    assert request.status == 201
    plaintext = keys.decrypt_text(request.body)
    data = json.loads(plaintext)
    assert set(data) <= PAYLOAD_KEYS, data
    assert data["id"] == token and data["category"] == "task" and data["count"] == 1
    assert data["title"] == "编办移动办公"
    assert data["body"] == "您有 1 项新的待办"
    # Nothing about the item: no unit, no person, no link.
    for private in (UNIT, "教育", clerk_name, "用编", "/items", staff["username"]):
        assert private not in plaintext, private
    with live_app.app_context():
        assert db.session.get(PushMessage, message.id).state == "dispatched"

    # 3. That exact payload, delivered to the phone's service worker, shows the notification
    # and tells the open page.
    cdp = context.new_cdp_session(page)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": base, "registrationId": registration_id(cdp, base + "/"), "data": plaintext},
    )
    page.wait_for_function("() => window.__swMessages.some((m) => m.type === 'push')")
    pushed = [m for m in page.evaluate("() => window.__swMessages") if m["type"] == "push"]
    assert pushed == [{"type": "push", "category": "task", "badge": data.get("badge")}]
    assert page.evaluate(NOTIFICATIONS) == [
        {
            "title": "编办移动办公",
            "body": "您有 1 项新的待办",
            "tag": "bianban-task",
            "url": f"/notifications/{token}",
        }
    ]

    # 4. A tap opens /notifications/<id>, which the server turns into the item's page.
    navigations: list[str] = []
    page.on("request", lambda r: r.is_navigation_request() and navigations.append(r.url))
    worker = context.service_workers[0] if context.service_workers else None
    if worker is None:
        worker = context.wait_for_event("serviceworker")
    assert worker.evaluate(TAP) == f"/notifications/{token}"
    expect(page).to_have_url(f"{base}/items/{item_id}")
    assert navigations[:2] == [f"{base}/notifications/{token}", f"{base}/items/{item_id}"]
    expect(page.get_by_role("heading", level=1)).to_have_text(f"用编申请 · {UNIT}")
    expect(page.get_by_role("button", name="受理", exact=True)).to_be_visible()  # signed in
    assert page.evaluate(NOTIFICATIONS) == []  # the tap closed it
    with live_app.app_context():
        assert db.session.get(PushMessage, message.id).opened_at is not None
    assert_clean(page)


def test_a_browser_that_refuses_notifications_is_told_how_to_allow_them(
    watched_page, context, live_server, live_app, push_service
):
    page, base = watched_page, live_server
    staff = new_staff(live_app, "push_denied_staff")
    keys = BrowserKeys(push_service.endpoint("denied"))
    context.add_init_script(stub_push(keys))  # never reached
    posted: list[str] = []
    page.on("request", lambda r: r.method == "POST" and posted.append(r.url))

    control = open_account_page(page, base, staff)
    expect(control).to_have_attribute("data-push-current", "off")
    posted.clear()  # the sign-in's own posts
    control.get_by_role("button", name="开启通知").click()  # headless dismisses the prompt

    expect(control).to_have_attribute("data-push-current", "denied")
    denied = control.locator('[data-push-state="denied"]')
    expect(denied).to_be_visible()
    expect(denied).to_contain_text("您已在浏览器中拒绝了本网站的通知")
    expect(denied).to_contain_text("网站设置 → 通知")
    expect(control.get_by_role("button", name="开启通知")).to_be_hidden()
    assert page.evaluate("() => Notification.permission") != "granted"
    assert page.evaluate("() => window.__subscribeCalls") == []
    assert posted == []
    assert subscription_rows(live_app, staff["id"]) == []
    assert push_service.requests_for("denied") == []
    assert_clean(page)


def test_a_failed_subscription_says_so_and_can_be_tried_again(
    watched_page, context, live_server, live_app, push_service
):
    page, base = watched_page, live_server
    staff = new_staff(live_app, "push_retry_staff")
    keys = BrowserKeys(push_service.endpoint("retry"))
    context.grant_permissions(["notifications"], origin=base)
    context.add_init_script(stub_push(keys, failures=1))

    control = open_account_page(page, base, staff)
    expect(control).to_have_attribute("data-push-current", "off")
    control.get_by_role("button", name="开启通知").click()
    expect(control).to_have_attribute("data-push-current", "error")
    expect(control.locator("[data-push-message]")).to_have_text(
        "开启通知失败，请稍后重试；如仍不行，请检查浏览器的通知设置"
    )
    assert subscription_rows(live_app, staff["id"]) == []

    # "请稍后重试": the button is still there to try again, without reloading the page.
    retry = control.get_by_role("button", name="开启通知")
    expect(retry).to_be_visible()
    retry.click()
    expect(control.locator("[data-push-message]")).to_have_text("本设备已开启通知")
    expect(control).to_have_attribute("data-push-current", "on")
    assert len(page.evaluate("() => window.__subscribeCalls")) == 2
    [row] = subscription_rows(live_app, staff["id"])
    assert row.endpoint == keys.endpoint
    assert_clean(page)
