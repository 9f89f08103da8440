"""First login (pledge, TOTP enrolment, recovery codes), recovery codes and step-up."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from auth import totp
from auth.roles import Role
from tests.auth_helpers import PASSWORD, csrf_from, login, make_account
from tests.web.test_login import post_password


def enrol(web, clock):
    """Pledge → enrolment → code; returns (secret, recovery codes)."""
    response = post_password(web, "newbie", PASSWORD)
    assert response.location.endswith("/login/pledge")
    page = web.get("/login/pledge")
    refused = web.post("/login/pledge", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert "请勾选以确认您的保密承诺" in refused.get_data(as_text=True)
    response = web.post(
        "/login/pledge", data={"csrf_token": csrf_from(page.get_data(as_text=True)), "accept": "y"}
    )
    assert response.location.endswith("/login/enrol")
    html = web.get("/login/enrol").get_data(as_text=True)
    assert "<svg" in html and 'class="app-qr"' in html  # QR code inline, no image fetch
    uri = re.search(r'href="(otpauth://[^"]+)"', html).group(1).replace("&amp;", "&")
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    shown = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    assert shown.replace(" ", "") == secret and len(secret) == 32
    # Reloading shows the same secret: the person may already have scanned it.
    again = web.get("/login/enrol").get_data(as_text=True)
    assert secret in again.replace("&amp;", "&")
    wrong = web.post(
        "/login/enrol",
        data={
            "csrf_token": csrf_from(html),
            "code": "000000" if clock.code(secret) != "000000" else "111111",
        },
    )
    assert "动态码不正确" in wrong.get_data(as_text=True)
    done = web.post(
        "/login/enrol", data={"csrf_token": csrf_from(html), "code": clock.code(secret)}
    )
    assert done.status_code == 200
    codes = re.findall(
        r"<li><code>([A-Z0-9]{5}-[A-Z0-9]{5})</code></li>", done.get_data(as_text=True)
    )
    assert done.headers["Cache-Control"] == "no-store"
    clock.next_step()
    return secret, codes


def test_first_login_pledge_enrol_recovery_codes(web, web_app, clock):
    make_account(web_app, "newbie", Role.OFFICE_STAFF, enrolled=False, pledged=False)
    assert web.get("/").status_code == 302
    secret, codes = enrol(web, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert web.get("/").status_code == 200  # enrolment signed the person in
    # From now on the factor works like any other.
    other = web_app.test_client()
    login(other, "newbie", secret, clock)
    assert other.get("/").status_code == 200


def test_no_data_before_enrolment(web, web_app, clock):
    make_account(web_app, "newbie", Role.OFFICE_STAFF, enrolled=False, pledged=True)
    post_password(web, "newbie", PASSWORD)
    assert web.get("/").status_code == 302
    assert web.get("/login/code").location.endswith("/login/enrol")


def test_recovery_code_logs_in_once_and_cannot_sign(web, web_app, clock):
    make_account(web_app, "newbie", Role.OFFICE_STAFF, enrolled=False, pledged=False)
    secret, codes = enrol(web, clock)
    phone = web_app.test_client()
    post_password(phone, "newbie", PASSWORD)
    page = phone.get("/login/recovery")
    response = phone.post(
        "/login/recovery",
        data={"csrf_token": csrf_from(page.get_data(as_text=True)), "code": codes[0].lower()},
    )
    assert response.status_code == 302
    home = phone.get("/")
    assert "还剩 9 个" in home.get_data(as_text=True)
    # A recovery-code session cannot satisfy a step-up.
    page = phone.get("/account/recovery-codes")
    html = page.get_data(as_text=True)
    challenge = re.search(r'name="challenge" type="hidden" value="([^"]+)"', html).group(1)
    refused = phone.post(
        "/account/recovery-codes",
        data={"csrf_token": csrf_from(html), "challenge": challenge, "code": clock.code(secret)},
    )
    assert refused.status_code == 400
    assert "恢复码登录的会话不能签批" in refused.get_data(as_text=True)
    # The same code does not work twice.
    again = web_app.test_client()
    post_password(again, "newbie", PASSWORD)
    page = again.get("/login/recovery")
    reused = again.post(
        "/login/recovery",
        data={"csrf_token": csrf_from(page.get_data(as_text=True)), "code": codes[0]},
    )
    assert "恢复码不正确或已使用过" in reused.get_data(as_text=True)


def regenerate_page(client):
    html = client.get("/account/recovery-codes").get_data(as_text=True)
    challenge = re.search(r'name="challenge" type="hidden" value="([^"]+)"', html).group(1)
    return html, challenge


def test_step_up_needs_a_fresh_code_bound_to_what_was_shown(web, web_app, clock):
    _id, secret = make_account(web_app, "leader", Role.OFFICE_LEADER)
    login(web, "leader", secret, clock)
    html, challenge = regenerate_page(web)
    ok = web.post(
        "/account/recovery-codes",
        data={"csrf_token": csrf_from(html), "challenge": challenge, "code": clock.code(secret)},
    )
    assert ok.status_code == 200
    assert len(re.findall(r"[A-Z0-9]{5}-[A-Z0-9]{5}", ok.get_data(as_text=True))) == 10

    # The same challenge cannot be used again, even with a new code.
    clock.next_step()
    reused = web.post(
        "/account/recovery-codes",
        data={"csrf_token": csrf_from(html), "challenge": challenge, "code": clock.code(secret)},
    )
    assert "此确认已使用过" in reused.get_data(as_text=True)

    # The code of a step already used (for the login) is refused.
    html, challenge = regenerate_page(web)
    stale_code = totp.code_at_step(secret, totp.step_at(clock.now))
    web.post(
        "/account/recovery-codes",
        data={"csrf_token": csrf_from(html), "challenge": challenge, "code": stale_code},
    )
    html, challenge = regenerate_page(web)
    replay = web.post(
        "/account/recovery-codes",
        data={"csrf_token": csrf_from(html), "challenge": challenge, "code": stale_code},
    )
    assert "此动态码已使用过" in replay.get_data(as_text=True)

    # A challenge expires after five minutes.
    clock.next_step()
    html, challenge = regenerate_page(web)
    clock.advance(minutes=5, seconds=1)
    late = web.post(
        "/account/recovery-codes",
        data={"csrf_token": csrf_from(html), "challenge": challenge, "code": clock.code(secret)},
    )
    assert "超过 5 分钟" in late.get_data(as_text=True)


def test_step_up_is_refused_with_409_when_the_bound_object_changed(web, web_app, clock):
    from auth.models import Account
    from pwa.extensions import db

    account_id, secret = make_account(web_app, "leader", Role.OFFICE_LEADER)
    login(web, "leader", secret, clock)
    html, challenge = regenerate_page(web)
    with web_app.app_context(), db.write() as s:  # the factor is re-confirmed meanwhile
        s.get(Account, account_id).totp_confirmed_at = clock.now
    clock.next_step()
    response = web.post(
        "/account/recovery-codes",
        data={"csrf_token": csrf_from(html), "challenge": challenge, "code": clock.code(secret)},
    )
    assert response.status_code == 409


def test_another_accounts_challenge_is_worthless(web_app, clock):
    _a, secret_a = make_account(web_app, "leader", Role.OFFICE_LEADER)
    _b, secret_b = make_account(web_app, "staff", Role.OFFICE_STAFF)
    a, b = web_app.test_client(), web_app.test_client()
    login(a, "leader", secret_a, clock)
    login(b, "staff", secret_b, clock)
    _html, challenge_a = regenerate_page(a)
    html_b, _challenge_b = regenerate_page(b)
    response = b.post(
        "/account/recovery-codes",
        data={
            "csrf_token": csrf_from(html_b),
            "challenge": challenge_a,
            "code": clock.code(secret_b),
        },
    )
    assert "确认信息无效" in response.get_data(as_text=True)


def test_temporary_password_must_be_changed_first(web, web_app, clock):
    _id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF, must_change=True)
    login(web, "staff", secret, clock)
    assert web.get("/").location == "/account/password"
    page = web.get("/account/password")
    html = page.get_data(as_text=True)
    assert "临时密码或已超过有效期" in html
    weak = web.post(
        "/account/password",
        data={
            "csrf_token": csrf_from(html),
            "current": PASSWORD,
            "new": "password1",
            "repeat": "password1",
        },
    )
    assert "三类" in weak.get_data(as_text=True) or "太常见" in weak.get_data(as_text=True)
    ok = web.post(
        "/account/password",
        data={
            "csrf_token": csrf_from(html),
            "current": PASSWORD,
            "new": "Tz9!kLm#2wQp",
            "repeat": "Tz9!kLm#2wQp",
        },
    )
    assert ok.status_code == 302
    assert web.get("/").status_code == 200


def test_expired_password_after_180_days(web, web_app, clock):
    _id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    clock.advance(days=181)
    login(web, "staff", secret, clock)
    assert web.get("/").location == "/account/password"
