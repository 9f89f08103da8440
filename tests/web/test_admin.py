"""三员 pages, role and jurisdiction changes, IP allowlists, and who may open what."""

from __future__ import annotations

import re

import pytest

from auth.permissions import PUBLIC, declared_access
from auth.roles import Role
from tests.auth_helpers import (
    PASSWORD,
    csrf_from,
    login,
    make_account,
    session_cookie,
    sign_in,
    unit_id_by_short_name,
)
from tests.web.test_login import post_password

ADMIN_PAGES = {
    "/admin/accounts": Role.SYSTEM_ADMIN,
    "/admin/accounts/new": Role.SYSTEM_ADMIN,
    "/admin/security/accounts": Role.SECURITY_ADMIN,
    "/admin/security/ip-allowlist": Role.SECURITY_ADMIN,
    "/admin/security/personnel-blocks": Role.SECURITY_ADMIN,
    "/audit/": Role.AUDIT_ADMIN,
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_opens_only_its_admin_pages(web_app, clock, role):
    unit_id = unit_id_by_short_name(web_app, "市教育局") if role is Role.UNIT_CLERK else None
    account_id, _ = make_account(
        web_app, f"u{role.value.replace('_', '')}"[:30], role, unit_id=unit_id
    )
    client = web_app.test_client()
    sign_in(client, web_app, account_id)
    for url, owner in ADMIN_PAGES.items():
        expected = 200 if role is owner else 403
        assert client.get(url).status_code == expected, (url, role)
    assert client.get("/").status_code == 200
    assert client.get("/account").status_code == 200


def test_admins_see_no_business_data_on_home(web_app, clock):
    for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN):
        account_id, _ = make_account(web_app, role.value.replace("_", ""), role)
        client = web_app.test_client()
        sign_in(client, web_app, account_id)
        html = client.get("/").get_data(as_text=True)
        assert "机构编制概览" not in html and "编制使用情况" not in html
        assert "工作台" in html


def test_every_route_answers_anonymous_visitors_as_declared(web_app):
    client = web_app.test_client()
    for rule in web_app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        response = client.get(rule.rule)
        access = declared_access(web_app.view_functions[rule.endpoint])
        if access == PUBLIC:
            assert response.status_code in (200, 302), rule.rule
        else:
            assert response.status_code in (302, 401), rule.rule
            if response.status_code == 302:
                assert response.location.startswith("/login"), rule.rule


def test_system_admin_creates_and_security_admin_grants(web_app, clock):
    sys_id, sys_secret = make_account(web_app, "sysadmin", Role.SYSTEM_ADMIN)
    sec_id, sec_secret = make_account(web_app, "secadmin", Role.SECURITY_ADMIN)
    sysadmin, secadmin = web_app.test_client(), web_app.test_client()
    login(sysadmin, "sysadmin", sys_secret, clock)
    login(secadmin, "secadmin", sec_secret, clock)

    page = sysadmin.get("/admin/accounts/new").get_data(as_text=True)
    weak = sysadmin.post(
        "/admin/accounts/new",
        data={
            "csrf_token": csrf_from(page),
            "username": "wangfang",
            "display_name": "王芳",
            "account_class": "business",
            "password": "123",
        },
    )
    assert "密码至少 8 个字符" in weak.get_data(as_text=True)
    created = sysadmin.post(
        "/admin/accounts/new",
        data={
            "csrf_token": csrf_from(page),
            "username": "wangfang",
            "display_name": "王芳",
            "account_class": "business",
            "password": "Tz9!kLm#2wQp",
        },
    )
    assert created.status_code == 302
    new_id = int(created.location.rsplit("/", 1)[1])
    duplicate = sysadmin.post(
        "/admin/accounts/new",
        data={
            "csrf_token": csrf_from(page),
            "username": "WangFang",
            "display_name": "王芳",
            "account_class": "business",
            "password": "Tz9!kLm#2wQp",
        },
    )
    assert "该用户名已被使用" in duplicate.get_data(as_text=True)

    page = secadmin.get(f"/admin/security/accounts/{new_id}").get_data(as_text=True)
    region_value = re.search(r'<option value="(\d+)">张家口市', page).group(1)
    saved = secadmin.post(
        f"/admin/security/accounts/{new_id}",
        data={
            "csrf_token": csrf_from(page),
            "roles": ["office_staff"],
            "region": region_value,
            "unit": "",
        },
    )
    assert saved.status_code == 302
    page = secadmin.get(f"/admin/security/accounts/{new_id}").get_data(as_text=True)
    assert re.search(r'value="office_staff" checked|checked[^>]*value="office_staff"', page)

    # Neither admin can touch their own account.
    page = secadmin.get(f"/admin/security/accounts/{sec_id}").get_data(as_text=True)
    assert "三员分立" in page
    own_page = sysadmin.get(f"/admin/accounts/{sys_id}").get_data(as_text=True)
    mine = sysadmin.post(
        f"/admin/accounts/{sys_id}/disable", data={"csrf_token": csrf_from(own_page)}
    )
    assert mine.status_code == 302
    assert "不能停用自己的账户" in sysadmin.get(mine.location).get_data(as_text=True)


def test_role_change_applies_on_the_next_request_and_rotates_the_session(web_app, clock):
    staff_id, staff_secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    sec_id, _ = make_account(web_app, "secadmin", Role.SECURITY_ADMIN)
    staff = web_app.test_client()
    login(staff, "staff", staff_secret, clock)
    before = session_cookie(staff, web_app)
    from auth import accounts
    from auth.models import Account
    from pwa.extensions import db

    with web_app.app_context(), db.write() as s:
        accounts.grant_role(
            s,
            s.get(Account, staff_id),
            Role.OFFICE_LEADER,
            granted_by=s.get(Account, sec_id),
            now=clock.now,
        )
    html = staff.get("/account").get_data(as_text=True)
    assert "编办领导" in html
    assert session_cookie(staff, web_app) != before
    assert staff.get("/").status_code == 200  # the rotated session keeps working


def test_security_admin_unlocks_a_locked_account(web_app, clock):
    make_account(web_app, "staff", Role.OFFICE_STAFF)
    sec_id, sec_secret = make_account(web_app, "secadmin", Role.SECURITY_ADMIN)
    victim = web_app.test_client()
    for _ in range(5):
        post_password(victim, "staff", "wrong")
    assert "已暂时锁定" in post_password(victim, "staff", PASSWORD).get_data(as_text=True)
    secadmin = web_app.test_client()
    login(secadmin, "secadmin", sec_secret, clock)
    listing = secadmin.get("/admin/security/accounts").get_data(as_text=True)
    assert "已锁定" in listing
    staff_link = re.search(
        r'href="/admin/security/accounts/(\d+)"[^>]*>\s*<span[^>]*>测试staff', listing
    ).group(1)
    page = secadmin.get(f"/admin/security/accounts/{staff_link}").get_data(as_text=True)
    assert (
        secadmin.post(
            f"/admin/security/accounts/{staff_link}/unlock", data={"csrf_token": csrf_from(page)}
        ).status_code
        == 302
    )
    assert post_password(victim, "staff", PASSWORD).location.endswith("/login/code")


def test_ip_allowlist_per_role(web_app, clock):
    staff_id, _ = make_account(web_app, "staff", Role.OFFICE_STAFF)
    sec_id, sec_secret = make_account(web_app, "secadmin", Role.SECURITY_ADMIN)
    secadmin = web_app.test_client()
    login(secadmin, "secadmin", sec_secret, clock)
    page = secadmin.get("/admin/security/ip-allowlist").get_data(as_text=True)
    bad = secadmin.post(
        "/admin/security/ip-allowlist",
        data={"csrf_token": csrf_from(page), "role": "office_staff", "cidr": "10.1.0.0/33"},
    )
    assert "网段格式不正确" in bad.get_data(as_text=True)
    own = secadmin.post(
        "/admin/security/ip-allowlist",
        data={"csrf_token": csrf_from(page), "role": "security_admin", "cidr": "10.1.0.0/16"},
    )
    assert "不能修改自己所持角色" in own.get_data(as_text=True)
    assert (
        secadmin.post(
            "/admin/security/ip-allowlist",
            data={
                "csrf_token": csrf_from(page),
                "role": "office_staff",
                "cidr": "10.1.0.0/16",
                "note": "市编办内网",
            },
        ).status_code
        == 302
    )

    staff = web_app.test_client()
    sign_in(staff, web_app, staff_id)
    outside = staff.get("/", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert outside.status_code == 403
    inside = staff.get("/", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert inside.status_code == 200
    # A forged X-Forwarded-For from an untrusted peer changes nothing.
    forged = staff.get(
        "/", environ_base={"REMOTE_ADDR": "203.0.113.5"}, headers={"X-Forwarded-For": "10.1.2.3"}
    )
    assert forged.status_code == 403


def test_forwarded_for_is_honoured_from_a_configured_proxy(web_app, clock):
    staff_id, _ = make_account(web_app, "staff", Role.OFFICE_STAFF)
    from auth.models import RoleIpAllowlist
    from auth.network import parse_networks
    from pwa.extensions import db

    with web_app.app_context(), db.write() as s:
        s.add(RoleIpAllowlist(role=Role.OFFICE_STAFF, cidr="10.1.0.0/16", created_at=clock.now))
    web_app.config["TRUSTED_PROXY_NETWORKS"] = parse_networks(["192.0.2.10/32"])
    staff = web_app.test_client()
    sign_in(staff, web_app, staff_id)
    via_proxy = staff.get(
        "/", environ_base={"REMOTE_ADDR": "192.0.2.10"}, headers={"X-Forwarded-For": "10.1.2.3"}
    )
    assert via_proxy.status_code == 200


def test_jurisdiction_limits_the_overview(web_app, clock):
    city_id, _ = make_account(web_app, "city", Role.OFFICE_STAFF, region_code="130700")
    county_id, _ = make_account(web_app, "county", Role.OFFICE_STAFF, region_code="130726")
    city, county = web_app.test_client(), web_app.test_client()
    sign_in(city, web_app, city_id)
    sign_in(county, web_app, county_id)
    count = lambda html: re.search(  # noqa: E731
        r'<dt class="app-stat__label">机构</dt>\s*<dd class="app-stat__value">(\d+)</dd>', html
    ).group(1)
    assert count(city.get("/").get_data(as_text=True)) == "2"
    assert count(county.get("/").get_data(as_text=True)) == "1"


def test_reset_totp_ends_sessions_and_asks_for_enrolment_again(web_app, clock):
    staff_id, staff_secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    _sys, sys_secret = make_account(web_app, "sysadmin", Role.SYSTEM_ADMIN)
    staff, sysadmin = web_app.test_client(), web_app.test_client()
    login(staff, "staff", staff_secret, clock)
    login(sysadmin, "sysadmin", sys_secret, clock)
    page = sysadmin.get(f"/admin/accounts/{staff_id}").get_data(as_text=True)
    assert "已绑定" in page
    response = sysadmin.post(
        f"/admin/accounts/{staff_id}/reset-totp", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    assert staff.get("/").status_code == 401
    fresh = web_app.test_client()
    assert post_password(fresh, "staff", PASSWORD).location.endswith("/login/enrol")


def test_disable_and_enable_through_the_admin_page(web_app, clock):
    staff_id, staff_secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    _sys, sys_secret = make_account(web_app, "sysadmin", Role.SYSTEM_ADMIN)
    staff, sysadmin = web_app.test_client(), web_app.test_client()
    login(staff, "staff", staff_secret, clock)
    login(sysadmin, "sysadmin", sys_secret, clock)
    page = sysadmin.get(f"/admin/accounts/{staff_id}").get_data(as_text=True)
    sysadmin.post(f"/admin/accounts/{staff_id}/disable", data={"csrf_token": csrf_from(page)})
    assert staff.get("/").status_code == 401
    assert "已停用" in sysadmin.get(f"/admin/accounts/{staff_id}").get_data(as_text=True)
    sysadmin.post(f"/admin/accounts/{staff_id}/enable", data={"csrf_token": csrf_from(page)})
    login(web_app.test_client(), "staff", staff_secret, clock)


def test_admin_objects_that_do_not_exist_are_404(web_app, clock):
    sys_id, _ = make_account(web_app, "sysadmin", Role.SYSTEM_ADMIN)
    sec_id, _ = make_account(web_app, "secadmin", Role.SECURITY_ADMIN)
    sysadmin, secadmin = web_app.test_client(), web_app.test_client()
    sign_in(sysadmin, web_app, sys_id)
    sign_in(secadmin, web_app, sec_id)
    assert sysadmin.get("/admin/accounts/9999").status_code == 404
    assert secadmin.get("/admin/security/accounts/9999").status_code == 404
    assert sysadmin.get("/admin/accounts/abc").status_code == 404
