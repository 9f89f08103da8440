"""On a phone: first login with pledge and enrolment, recovery codes, and a clean logout."""

from __future__ import annotations

from playwright.sync_api import expect

from auth.roles import Role
from tests.auth_helpers import PASSWORD, make_account
from tests.browser.conftest import oathtool_code, wait_for_fresh_step

STORAGE_DUMP = """async () => ({
  local: Object.keys(localStorage).length,
  session: Object.fromEntries(Object.entries(sessionStorage)),
  caches: (await caches.keys()).length,
  idb: (await indexedDB.databases()).length,
  cookies: document.cookie,
})"""


def test_first_login_enrol_with_an_independent_client_then_logout(
    watched_page, live_server, live_app
):
    make_account(live_app, "firsttimer", Role.OFFICE_STAFF, enrolled=False, pledged=False)
    page = watched_page
    page.goto(live_server + "/")
    expect(page).to_have_url(live_server + "/login?next=/")
    page.get_by_label("用户名").fill("firsttimer")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="下一步").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("保密承诺")
    page.get_by_role("button", name="同意并继续").click()
    expect(page.get_by_text("请勾选以确认您的保密承诺").first).to_be_visible()
    page.get_by_label("我已阅读并承诺遵守以上保密规定").check()
    page.get_by_role("button", name="同意并继续").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("绑定验证器")
    assert page.locator("svg.app-qr").is_visible()
    page.get_by_text("手动输入密钥").click()
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    assert len(secret) == 32
    code_input = page.get_by_label("动态码")
    assert code_input.get_attribute("inputmode") == "numeric"
    assert code_input.get_attribute("autocomplete") == "one-time-code"
    wait_for_fresh_step()
    code_input.fill(oathtool_code(secret))
    page.get_by_role("button", name="完成绑定").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("恢复码")
    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    page.get_by_role("link", name="我已保存，继续").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("机构编制概览")

    page.get_by_role("link", name="我的").click()
    expect(page.get_by_role("heading", name="登录设备")).to_be_visible()
    page.get_by_role("link", name="退出登录").click()
    page.get_by_role("button", name="确认退出").click()
    expect(page).to_have_url(live_server + "/login?logged_out=1")
    expect(page.get_by_text("您已安全退出。")).to_be_visible()
    left = page.evaluate(STORAGE_DUMP)
    # htmx remembers only the path of the page now open (the login page) for its history.
    assert left["session"] in ({}, {"htmx-current-path-for-history": "/login?logged_out=1"})
    assert {k: v for k, v in left.items() if k != "session"} == {
        "local": 0,
        "caches": 0,
        "idb": 0,
        "cookies": "",
    }
    page.goto(live_server + "/")
    expect(page).to_have_url(live_server + "/login?next=/")
    assert page.evaluate("() => window.__csp || []") == []
    assert page.console_errors == []


def test_demo_account_signs_in_with_oathtool(watched_page, live_server, demo_accounts):
    from tests.browser.conftest import sign_in

    sign_in(watched_page, live_server, demo_accounts["county"])
    expect(watched_page.get_by_role("heading", level=1)).to_have_text("机构编制概览")
    expect(watched_page.locator(".app-header__user")).to_have_text("演示·蔚县编办经办人")
    assert watched_page.evaluate("() => window.__csp || []") == []
