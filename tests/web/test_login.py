"""Login, TOTP and sessions through the pages, as SECURITY.md describes them."""

from __future__ import annotations

import re

import pytest

from auth.roles import Role
from tests.auth_helpers import (
    PASSWORD,
    csrf_from,
    login,
    make_account,
    session_cookie,
)


def post_password(client, username, password):
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "username": username,
            "password": password,
        },
    )


def post_code(client, code, url="/login/code"):
    page = client.get(url)
    return client.post(
        url, data={"csrf_token": csrf_from(page.get_data(as_text=True)), "code": code}
    )


def test_anonymous_visitors_are_sent_to_login(web):
    response = web.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=/")


def test_login_page_is_usable_one_handed(web):
    html = web.get("/login").get_data(as_text=True)
    assert 'autocomplete="username"' in html and 'autocomplete="current-password"' in html


def test_full_login_rotates_the_session_at_each_step(web, web_app, clock):
    _id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    web.get("/login")
    anonymous = session_cookie(web, web_app)
    response = post_password(web, "staff", PASSWORD)
    assert response.location.endswith("/login/code")
    after_password = session_cookie(web, web_app)
    assert after_password != anonymous
    assert len(after_password) >= 43  # 256 random bits, url-safe
    html = web.get("/login/code").get_data(as_text=True)
    assert 'inputmode="numeric"' in html and 'autocomplete="one-time-code"' in html
    assert 'type="number"' not in html
    response = post_code(web, clock.code(secret))
    assert response.status_code == 302 and response.location == "/"
    assert session_cookie(web, web_app) not in (anonymous, after_password)
    assert web.get("/").status_code == 200


def test_login_returns_to_the_page_asked_for_but_never_off_site(web, web_app, clock):
    _id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    assert web.get("/account").location == "/login?next=/account"
    page = web.get("/login?next=/account")
    assert 'value="/account"' in page.get_data(as_text=True)
    web.post(
        "/login",
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "username": "staff",
            "password": PASSWORD,
            "next": "/account",
        },
    )
    assert post_code(web, clock.code(secret)).location == "/account"
    page = web.get("/logout")
    web.post("/logout", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    clock.next_step()
    page = web.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    web.post(
        "/login",
        data={
            "csrf_token": token,
            "username": "staff",
            "password": PASSWORD,
            "next": "//evil.example/x",
        },
    )
    assert post_code(web, clock.code(secret)).location == "/"


def test_unknown_user_and_wrong_password_look_identical(web, web_app):
    make_account(web_app, "staff", Role.OFFICE_STAFF)

    def visible(response):
        html = response.get_data(as_text=True)
        html = re.sub(r'value="[^"]*"', "", html)  # CSRF tokens, the typed username
        # The htmx CSRF header carries a timestamp: two requests a second apart differ.
        html = re.sub(r'"X-CSRFToken": "[^"]*"', "", html)
        return response.status_code, re.sub(r"[0-9a-f]{16}", "", html)

    wrong = post_password(web, "staff", "Wrong#pass-2026")
    unknown = post_password(web, "nobody", "Wrong#pass-2026")
    assert visible(wrong) == visible(unknown)
    assert "用户名或密码不正确" in wrong.get_data(as_text=True)
    assert wrong.status_code == 200


def test_five_failures_lock_and_say_until_when(web, web_app, clock):
    make_account(web_app, "staff", Role.OFFICE_STAFF)
    for _ in range(4):
        assert "用户名或密码不正确" in post_password(web, "staff", "bad").get_data(as_text=True)
    html = post_password(web, "staff", "bad").get_data(as_text=True)
    assert "已暂时锁定，请于 09:15 后再试" in html  # 01:00 UTC + 15 min, Beijing time
    html = post_password(web, "staff", PASSWORD).get_data(as_text=True)
    assert "已暂时锁定" in html  # the right password does not get through a lock
    clock.advance(minutes=16)
    assert post_password(web, "staff", PASSWORD).location.endswith("/login/code")


@pytest.mark.parametrize(
    "make_code, message",
    [
        (lambda clock, secret: "12345", "请输入验证器应用中显示的 6 位数字动态码"),
        (
            lambda clock, secret: "000000" if clock.code(secret) != "000000" else "111111",
            "动态码不正确",
        ),
        (
            lambda clock, secret: __import__("auth.totp").totp.code_at_step(
                secret, __import__("auth.totp").totp.step_at(clock.now) - 4
            ),
            "动态码已过期",
        ),
        (
            lambda clock, secret: __import__("auth.totp").totp.code_at_step(
                secret, __import__("auth.totp").totp.step_at(clock.now) + 1
            ),
            "动态码不正确",
        ),
    ],
)
def test_bad_codes_get_clear_messages(web, web_app, clock, make_code, message):
    _id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    post_password(web, "staff", PASSWORD)
    response = post_code(web, make_code(clock, secret))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert "<title>错误：" in html


def test_a_code_is_accepted_once(web, web_app, clock):
    _id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    code = clock.code(secret)
    post_password(web, "staff", PASSWORD)
    assert post_code(web, code).status_code == 302
    other = web_app.test_client()
    post_password(other, "staff", PASSWORD)
    assert "此动态码已使用过" in post_code(other, code).get_data(as_text=True)


def test_five_wrong_codes_lock_the_second_factor(web, web_app, clock):
    _id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    post_password(web, "staff", PASSWORD)
    for _ in range(5):
        html = post_code(web, "999999" if clock.code(secret) != "999999" else "888888").get_data(
            as_text=True
        )
    assert "已暂时锁定" in html
    assert "已暂时锁定" in post_code(web, clock.code(secret)).get_data(as_text=True)


def test_the_password_only_state_expires_after_five_minutes(web, web_app, clock):
    _id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    post_password(web, "staff", PASSWORD)
    clock.advance(minutes=5, seconds=1)
    response = web.get("/login/code")
    assert response.status_code == 401
    assert "重新登录" in response.get_data(as_text=True)


def test_idle_and_absolute_session_limits(web, web_app, clock):
    _id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    login(web, "staff", secret, clock)
    clock.advance(minutes=14)
    assert web.get("/").status_code == 200
    clock.advance(minutes=14)  # active every 14 minutes: still fine
    assert web.get("/").status_code == 200
    clock.advance(minutes=15, seconds=1)
    assert web.get("/").status_code == 401

    web2 = web_app.test_client()
    login(web2, "staff", secret, clock)
    signed_in_at = clock.now
    last_ok = clock.now
    while (status := web2.get("/").status_code) == 200:
        last_ok = clock.now
        clock.advance(minutes=14)  # never idle for long, yet …
    assert status == 401
    hours = lambda moment: (moment - signed_in_at).total_seconds() / 3600  # noqa: E731
    assert hours(last_ok) < 12 <= hours(clock.now)  # … the absolute limit of 12 h ends it


def test_logout_wipes_the_browser_and_a_replayed_cookie_gets_401(web, web_app, clock):
    _id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    login(web, "staff", secret, clock)
    stolen = session_cookie(web, web_app)
    page = web.get("/logout")
    assert page.status_code == 200
    response = web.post("/logout", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert "bb_session=;" in response.headers["Set-Cookie"]
    replay = web_app.test_client()
    replay.set_cookie("bb_session", stolen)
    assert replay.get("/").status_code == 401
    assert replay.get("/account", headers={"HX-Request": "true"}).status_code == 401


def test_logout_is_a_post_with_csrf(web, web_app, clock):
    _id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    login(web, "staff", secret, clock)
    assert web.post("/logout").status_code == 400  # no token: refused, still signed in
    assert web.get("/").status_code == 200


def test_at_most_two_live_sessions(web_app, clock):
    _id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    phones = [web_app.test_client() for _ in range(3)]
    for phone in phones:
        login(phone, "staff", secret, clock)
    assert phones[0].get("/").status_code == 401
    assert phones[1].get("/").status_code == 200
    assert phones[2].get("/").status_code == 200


def test_my_devices_page_ends_another_session(web_app, clock):
    _id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    phone, tablet = web_app.test_client(), web_app.test_client()
    login(phone, "staff", secret, clock)
    login(tablet, "staff", secret, clock)
    html = phone.get("/account").get_data(as_text=True)
    hashes = re.findall(r'name="session" value="([0-9a-f]{64})"', html)
    assert len(hashes) == 2
    from auth.sessions import hash_token

    other = next(h for h in hashes if h != hash_token(session_cookie(phone, web_app)))
    response = phone.post(
        "/account/sessions/end", data={"csrf_token": csrf_from(html), "session": other}
    )
    assert response.status_code == 302
    assert tablet.get("/").status_code == 401
    assert phone.get("/").status_code == 200
    # Someone else's (or a made-up) session id is simply not found.
    assert (
        phone.post(
            "/account/sessions/end", data={"csrf_token": csrf_from(html), "session": "0" * 64}
        ).status_code
        == 404
    )


def test_session_cookie_flags_in_production(tmp_path, sqlite_url):
    from pwa import create_app
    from tests.conftest import make_config

    config = make_config(sqlite_url, SESSION_COOKIE_SECURE=True, FORCE_HTTPS=False)
    app = create_app(config)
    client = app.test_client()
    response = client.get("/login", base_url="https://bianban.example")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-bb_session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Domain" not in cookie and "Expires" not in cookie


def test_a_disabled_account_loses_its_sessions(web, web_app, clock):
    from auth import accounts
    from auth.models import Account
    from pwa.extensions import db

    staff_id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    admin_id, _ = make_account(web_app, "sysadmin", Role.SYSTEM_ADMIN)
    login(web, "staff", secret, clock)
    with web_app.app_context(), db.write() as s:
        accounts.disable(s, s.get(Account, staff_id), by=s.get(Account, admin_id), now=clock.now)
    assert web.get("/").status_code == 401
    assert "该账户已停用" in post_password(web_app.test_client(), "staff", PASSWORD).get_data(
        as_text=True
    )
