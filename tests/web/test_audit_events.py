"""Every security-relevant event leaves one audit record with the fields SECURITY.md lists —
UTC time, account, role, IP, event, object, outcome, request id — and never a password, a
one-time code or an ID number."""

from __future__ import annotations

import json
import re

import pytest

from auth.roles import Role
from tests.audit_helpers import one, rows
from tests.auth_helpers import PASSWORD, csrf_from, login, make_account, sign_in
from tests.web.test_login import post_code, post_password


def wrong_code(clock, secret: str) -> str:
    return "000000" if clock.code(secret) != "000000" else "111111"


def assert_no_secrets(app, *secrets: str) -> None:
    text = " ".join(
        f"{r.role} {r.ip} {r.event} {r.object_type} {r.object_id} {r.outcome} {r.detail}"
        for r in rows(app)
    )
    for secret in secrets:
        assert secret not in text


def test_a_sign_in_leaves_complete_records_for_both_steps(web, web_app, clock):
    staff_id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    code = clock.code(secret)
    password = post_password(web, "staff", PASSWORD)
    second = post_code(web, code)
    assert second.status_code == 302
    first, then = one(web_app, "auth.login.password"), one(web_app, "auth.login.code")
    for record, response in ((first, password), (then, second)):
        assert record.outcome == "ok" and record.account_id == staff_id
        assert record.role == "office_staff" and record.ip == "127.0.0.1"
        assert (record.object_type, record.object_id) == ("account", str(staff_id))
        assert record.occurred_at == clock.now and record.occurred_at.utcoffset().seconds == 0
        assert record.request_id == response.headers["X-Request-ID"]
    assert_no_secrets(web_app, PASSWORD, code, secret)


def test_failed_passwords_are_recorded_for_known_and_unknown_usernames(web, web_app, clock):
    staff_id, _ = make_account(web_app, "staff", Role.OFFICE_STAFF)
    post_password(web, "staff", "Wrong#pass-2026")
    post_password(web, "nobody", "Wrong#pass-2026")
    known, unknown = rows(web_app, event="auth.login.password")
    assert (known.outcome, known.account_id) == ("bad_credentials", staff_id)
    assert (unknown.outcome, unknown.account_id, unknown.object_id) == (
        "bad_credentials",
        None,
        "",
    )
    assert_no_secrets(web_app, "Wrong#pass-2026", "nobody")


def test_a_lockout_by_passwords_is_recorded_once(web, web_app, clock):
    staff_id, _ = make_account(web_app, "staff", Role.OFFICE_STAFF)
    for _ in range(6):
        post_password(web, "staff", "bad")
    lockout = one(web_app, "auth.lockout")
    assert (lockout.account_id, lockout.outcome) == (staff_id, "locked")
    assert json.loads(lockout.detail)["factor"] == "password"
    outcomes = [r.outcome for r in rows(web_app, event="auth.login.password")]
    assert outcomes == ["bad_credentials"] * 4 + ["locked"] * 2


def test_wrong_codes_a_replay_and_a_lockout_by_codes(web, web_app, clock):
    staff_id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    code = clock.code(secret)
    post_password(web, "staff", PASSWORD)
    post_code(web, code)
    other = web_app.test_client()
    post_password(other, "staff", PASSWORD)
    post_code(other, code)  # the same code again: a replay
    for _ in range(4):
        post_code(other, wrong_code(clock, secret))
    outcomes = [r.outcome for r in rows(web_app, event="auth.login.code")]
    assert outcomes == ["ok", "reused_code", "wrong_code", "wrong_code", "wrong_code", "locked"]
    lockout = one(web_app, "auth.lockout")
    assert lockout.account_id == staff_id and json.loads(lockout.detail)["factor"] == "code"
    assert_no_secrets(web_app, code, wrong_code(clock, secret))


def test_a_replayed_step_up_code_is_recorded(web_app, clock):
    staff_id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    client = web_app.test_client()
    login(client, "staff", secret, clock)
    code = clock.code(secret)
    for _ in range(2):
        page = client.get("/account/recovery-codes").get_data(as_text=True)
        challenge = re.search(r'name="challenge" type="hidden" value="([^"]+)"', page).group(1)
        client.post(
            "/account/recovery-codes",
            data={"csrf_token": csrf_from(page), "challenge": challenge, "code": code},
        )
    assert one(web_app, "account.recovery_codes.regenerate").account_id == staff_id
    refused = one(web_app, "auth.stepup")
    assert refused.outcome == "reused_code" and refused.account_id == staff_id
    assert json.loads(refused.detail)["action"] == "regenerate_recovery_codes"


def test_logout_is_recorded(web, web_app, clock):
    staff_id, secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    login(web, "staff", secret, clock)
    page = web.get("/logout").get_data(as_text=True)
    web.post("/logout", data={"csrf_token": csrf_from(page)})
    record = one(web_app, "auth.logout")
    assert (record.account_id, record.role, record.object_id) == (
        staff_id,
        "office_staff",
        str(staff_id),
    )


def test_a_refusal_by_the_access_hook_is_recorded(web_app, clock):
    staff_id, _ = make_account(web_app, "staff", Role.OFFICE_STAFF)
    staff = web_app.test_client()
    sign_in(staff, web_app, staff_id)
    response = staff.get("/admin/accounts")
    assert response.status_code == 403
    denied = one(web_app, "access.denied")
    assert (denied.account_id, denied.outcome) == (staff_id, "denied")
    assert (denied.object_type, denied.object_id) == ("endpoint", "admin.list_accounts")
    assert json.loads(denied.detail) == {
        "method": "GET",
        "path": "/admin/accounts",
        "reason": "permission",
    }
    assert denied.request_id == response.headers["X-Request-ID"]


def test_a_refusal_by_ip_allowlist_is_recorded_with_its_reason(web_app, clock):
    from auth.models import RoleIpAllowlist
    from pwa.extensions import db

    staff_id, _ = make_account(web_app, "staff", Role.OFFICE_STAFF)
    with web_app.app_context(), db.write() as s:
        s.add(RoleIpAllowlist(role=Role.OFFICE_STAFF, cidr="10.1.0.0/16", created_at=clock.now))
    staff = web_app.test_client()
    sign_in(staff, web_app, staff_id)
    assert staff.get("/", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 403
    denied = one(web_app, "access.denied")
    assert denied.ip == "203.0.113.5" and json.loads(denied.detail)["reason"] == "ip"


def test_role_and_jurisdiction_changes_are_recorded_per_change(web_app, clock):
    new_id, _ = make_account(web_app, "wangfang", Role.OFFICE_STAFF, region_code=None)
    sec_id, sec_secret = make_account(web_app, "secadmin", Role.SECURITY_ADMIN)
    secadmin = web_app.test_client()
    login(secadmin, "secadmin", sec_secret, clock)
    page = secadmin.get(f"/admin/security/accounts/{new_id}").get_data(as_text=True)
    region = re.search(r'<option value="(\d+)">张家口市', page).group(1)
    secadmin.post(
        f"/admin/security/accounts/{new_id}",
        data={
            "csrf_token": csrf_from(page),
            "roles": ["office_staff", "office_leader"],
            "region": region,
            "unit": "",
        },
    )
    grant = one(web_app, "admin.role.grant")
    assert (grant.account_id, grant.role, grant.object_id) == (
        sec_id,
        "security_admin",
        str(new_id),
    )
    assert json.loads(grant.detail) == {"role": "office_leader"}
    moved = one(web_app, "admin.jurisdiction.change")
    assert json.loads(moved.detail) == {
        "region": int(region),
        "unit": None,
        "was": {"region": None, "unit": None},
    }
    # Refused: nobody changes their own access — recorded as refused.
    own = secadmin.get(f"/admin/security/accounts/{sec_id}").get_data(as_text=True)
    secadmin.post(
        f"/admin/security/accounts/{sec_id}",
        data={"csrf_token": csrf_from(own), "roles": ["office_staff"], "region": "", "unit": ""},
    )
    refused = one(web_app, "admin.access.change")
    assert refused.outcome == "refused" and refused.object_id == str(sec_id)


def test_admin_actions_and_unlocks_are_recorded(web_app, clock):
    staff_id, _ = make_account(web_app, "staff", Role.OFFICE_STAFF)
    sys_id, sys_secret = make_account(web_app, "sysadmin", Role.SYSTEM_ADMIN)
    sec_id, sec_secret = make_account(web_app, "secadmin", Role.SECURITY_ADMIN)
    for _ in range(5):
        post_password(web_app.test_client(), "staff", "bad")
    sysadmin, secadmin = web_app.test_client(), web_app.test_client()
    login(sysadmin, "sysadmin", sys_secret, clock)
    login(secadmin, "secadmin", sec_secret, clock)
    page = secadmin.get(f"/admin/security/accounts/{staff_id}").get_data(as_text=True)
    secadmin.post(
        f"/admin/security/accounts/{staff_id}/unlock", data={"csrf_token": csrf_from(page)}
    )
    page = secadmin.get("/admin/security/ip-allowlist").get_data(as_text=True)
    secadmin.post(
        "/admin/security/ip-allowlist",
        data={"csrf_token": csrf_from(page), "role": "office_staff", "cidr": "10.1.0.0/16"},
    )
    page = sysadmin.get(f"/admin/accounts/{staff_id}").get_data(as_text=True)
    sysadmin.post(f"/admin/accounts/{staff_id}/disable", data={"csrf_token": csrf_from(page)})
    sysadmin.post(f"/admin/accounts/{sys_id}/disable", data={"csrf_token": csrf_from(page)})
    unlock = one(web_app, "admin.account.unlock")
    assert (unlock.account_id, unlock.object_id, unlock.outcome) == (sec_id, str(staff_id), "ok")
    added = one(web_app, "admin.allowlist.add")
    assert (added.object_type, added.object_id) == ("role", "office_staff")
    assert json.loads(added.detail) == {"cidr": "10.1.0.0/16"}
    disabled, own = rows(web_app, event="admin.account.disable")
    assert (disabled.outcome, disabled.object_id) == ("ok", str(staff_id))
    assert (own.outcome, own.object_id) == ("refused", str(sys_id))


def test_creating_an_account_is_recorded_without_its_password(web_app, clock):
    _sys, sys_secret = make_account(web_app, "sysadmin", Role.SYSTEM_ADMIN)
    sysadmin = web_app.test_client()
    login(sysadmin, "sysadmin", sys_secret, clock)
    page = sysadmin.get("/admin/accounts/new").get_data(as_text=True)
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
    new_id = created.location.rsplit("/", 1)[1]
    record = one(web_app, "admin.account.create")
    assert record.object_id == new_id
    assert json.loads(record.detail) == {"username": "wangfang", "class": "business"}
    assert_no_secrets(web_app, "Tz9!kLm#2wQp", "王芳")


# -- personnel reads, unmasking and decisions (the seeded city) ----------------------------------


@pytest.fixture
def seeded_clock(seeded_app):
    from tests.auth_helpers import Clock
    from tests.web.test_unmask import START

    return Clock(seeded_app, START)


def test_personnel_reads_and_an_unmasking_are_recorded_without_the_number(seeded_app, seeded_clock):
    from tests.web.test_unmask import person_in, unmask_form

    staff_id, secret = make_account(seeded_app, "staff", Role.OFFICE_STAFF)
    staff = seeded_app.test_client()
    login(staff, "staff", secret, seeded_clock)
    person_id, number = person_in(seeded_app, "130700")
    shown = staff.get(f"/people/{person_id}")
    read = one(seeded_app, "personnel.read", object_id=str(person_id))
    assert (read.account_id, read.object_type, read.outcome) == (staff_id, "person", "ok")
    assert read.request_id == shown.headers["X-Request-ID"]

    html, challenge = unmask_form(staff, person_id)
    assert len(rows(seeded_app, event="personnel.read")) == 2  # the form names the person too
    staff.post(
        f"/people/{person_id}/id-number",
        data={
            "csrf_token": csrf_from(html),
            "challenge": challenge,
            "code": seeded_clock.code(secret),
            "reason": f"核对 {number} 的入编材料",  # a number typed into the reason …
        },
    )
    unmask = one(seeded_app, "personnel.unmask")
    assert (unmask.account_id, unmask.object_id, unmask.outcome) == (
        staff_id,
        str(person_id),
        "ok",
    )
    assert (
        json.loads(unmask.detail)["reason"] == f"核对 {number[:6]}********{number[14:]} 的入编材料"
    )
    assert_no_secrets(seeded_app, number, number.lower())  # … is masked in the log


def test_a_signed_decision_is_recorded_with_the_version_it_signed(seeded_app):
    from tests.auth_helpers import Clock
    from tests.item_helpers import make_world
    from tests.web.test_approvals import (
        START,
        client_for,
        post_decision,
        quota_use,
        snapshot,
        to_decision,
    )

    clock = Clock(seeded_app, START)
    world = make_world(seeded_app)
    item_id = quota_use(world)
    to_decision(world, item_id)
    seen = snapshot(world, item_id)["hash"]
    leader = client_for(world, "leader")
    response = post_decision(leader, item_id, clock.code(world.secrets["leader"]))
    assert response.status_code == 303
    decided = one(seeded_app, "item.decide")
    assert (decided.account_id, decided.role, decided.object_type, decided.object_id) == (
        world.ids["leader"],
        "office_leader",
        "item",
        str(item_id),
    )
    assert json.loads(decided.detail) == {"verdict": "approve", "version_hash": seen}
    assert decided.request_id == response.headers["X-Request-ID"]
    step = [r for r in rows(seeded_app) if r.event.startswith("item.step.")][-1]
    assert step.request_id == decided.request_id  # the state change, in the same request
