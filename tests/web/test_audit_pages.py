"""The audit administrator's pages: only they open them, filters and pages work, the chain's
state is shown, and every look is itself audited — failing closed like personnel reads."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from auth.roles import Role
from pwa.domain import audit
from tests.audit_helpers import T0, audit_sink_broken, one, rows, tamper, write
from tests.auth_helpers import make_account, sign_in, unit_id_by_short_name

AUDIT_PAGES = ("/audit/", "/audit/accounts/{account_id}")


def actor(account_id: int | None, role: str = "office_staff", request_id: str = "r") -> audit.Actor:
    return audit.Actor(account_id=account_id, role=role, ip="10.0.0.9", request_id=request_id)


@pytest.fixture
def auditor(web_app, clock):
    account_id, _ = make_account(web_app, "auditor", Role.AUDIT_ADMIN)
    client = web_app.test_client()
    sign_in(client, web_app, account_id)
    client.account_id = account_id
    return client


def request_ids(html: str) -> list[str]:
    """The request ids on a page, in the order listed: the tests use them as record labels."""
    return re.findall(r"<dt>请求编号</dt><dd><code>([^<]+)</code>", html)


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.AUDIT_ADMIN])
def test_nobody_but_the_audit_administrator_opens_the_audit_pages(web_app, clock, role):
    unit_id = unit_id_by_short_name(web_app, "市教育局") if role is Role.UNIT_CLERK else None
    account_id, _ = make_account(
        web_app, f"u{role.value.replace('_', '')}"[:30], role, unit_id=unit_id
    )
    client = web_app.test_client()
    sign_in(client, web_app, account_id)
    for url in AUDIT_PAGES:
        response = client.get(url.format(account_id=account_id))
        assert response.status_code == 403, (role, url)
        assert "<dt>请求编号</dt>" not in response.get_data(as_text=True)
    assert "审计日志" not in client.get("/").get_data(as_text=True)


def test_the_audit_administrator_finds_the_log_from_home(auditor):
    home = auditor.get("/").get_data(as_text=True)
    assert 'href="/audit/"' in home and "即将上线" not in home
    page = auditor.get("/audit/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"


def test_looking_at_the_log_is_itself_audited(web_app, auditor):
    response = auditor.get("/audit/?event=auth&page=2")
    record = one(web_app, "audit.search")
    assert (record.account_id, record.role) == (auditor.account_id, "audit_admin")
    assert json.loads(record.detail) == {"event": "auth", "page": 2}
    assert record.request_id == response.headers["X-Request-ID"]
    auditor.get(f"/audit/accounts/{auditor.account_id}")
    viewed = one(web_app, "audit.account")
    assert (viewed.object_type, viewed.object_id) == ("account", str(auditor.account_id))


def test_newest_first_fifty_a_page(web_app, auditor):
    write(web_app, 120, event="test.page")
    for n, record in enumerate(rows(web_app, event="test.page")):
        assert record.seq == n + 1
    pages = []
    for page in (1, 2, 3):
        html = auditor.get(f"/audit/?event=test.&page={page}").get_data(as_text=True)
        pages.append([int(s) for s in re.findall(r"<dt>序号</dt><dd>(\d+)</dd>", html)])
        assert ("较早的记录" in html) == (page < 3) and ("较新的记录" in html) == (page > 1)
    assert pages[0] == list(range(120, 70, -1))
    assert pages[1] == list(range(70, 20, -1))
    assert pages[2] == list(range(20, 0, -1))
    assert 'href="/audit/?event=test.&amp;page=2"' in auditor.get("/audit/?event=test.").get_data(
        as_text=True
    )


def test_filters_by_account_event_object_and_time(web_app, auditor):
    staff_id, _ = make_account(web_app, "staff", Role.OFFICE_STAFF)
    leader_id, _ = make_account(web_app, "leader", Role.OFFICE_LEADER)
    evening = datetime(2026, 6, 1, 15, 30, tzinfo=UTC)  # 23:30 in Beijing, 1 June
    next_day = evening + timedelta(hours=1)
    for request_id, who, event, obj, when in (
        ("a-staff-read", staff_id, "personnel.read", ("person", "7"), T0),
        ("b-staff-list", staff_id, "personnel.list", ("unit", "7"), T0),
        ("c-leader-read", leader_id, "personnel.read", ("person", "8"), T0),
        ("d-late", leader_id, "item.decide", ("item", "7"), evening),
        ("e-next-day", leader_id, "item.decide", ("item", "9"), next_day),
    ):
        write(
            web_app,
            actor=actor(who, request_id=request_id),
            event=event,
            object_type=obj[0],
            object_id=obj[1],
            now=when,
        )

    def listed(query: str) -> set[str]:
        html = auditor.get(f"/audit/?{query}").get_data(as_text=True)
        return {r for r in request_ids(html) if r[1] == "-"}

    assert listed("account=staff") == {"a-staff-read", "b-staff-list"}
    assert listed("account=STAFF ") == {"a-staff-read", "b-staff-list"}  # typed loosely
    assert listed("event=personnel.") == {"a-staff-read", "b-staff-list", "c-leader-read"}
    assert listed("event=personnel.read") == {"a-staff-read", "c-leader-read"}
    assert listed("event=%25") == set()  # a LIKE wildcard is taken literally
    assert listed("object_type=person&object_id=7") == {"a-staff-read"}
    assert listed("object_id=7") == {"a-staff-read", "b-staff-list", "d-late"}
    assert listed("since=2026-06-01&until=2026-06-01") == {
        "a-staff-read",
        "b-staff-list",
        "c-leader-read",
        "d-late",
    }
    assert listed("since=2026-06-02") == {"e-next-day"}
    assert listed("account=leader&event=item.&until=2026-06-01") == {"d-late"}

    unknown = auditor.get("/audit/?account=nobody").get_data(as_text=True)
    assert "没有用户名为“nobody”的账户" in unknown and request_ids(unknown) == []
    backwards = auditor.get("/audit/?since=2026-06-02&until=2026-06-01")
    assert "截止日期不能早于起始日期" in backwards.get_data(as_text=True)
    assert auditor.get("/audit/?since=yesterday").status_code == 200


def test_one_accounts_activity_includes_what_was_done_to_it(web_app, auditor):
    staff_id, _ = make_account(web_app, "staff", Role.OFFICE_STAFF)
    other_id, _ = make_account(web_app, "other", Role.OFFICE_STAFF)
    write(web_app, actor=actor(staff_id, request_id="s-own-read"), event="personnel.read")
    write(
        web_app,
        actor=actor(None, role="", request_id="s-failed-login"),
        event="auth.login.password",
        outcome="bad_credentials",
        object_type="account",
        object_id=staff_id,
    )
    write(web_app, actor=actor(other_id, request_id="o-read"), event="personnel.read")
    html = auditor.get(f"/audit/accounts/{staff_id}").get_data(as_text=True)
    assert "测试staff（staff）" in html and "编办经办人" in html
    assert {r for r in request_ids(html) if r[1] == "-"} == {"s-own-read", "s-failed-login"}
    filtered = auditor.get(f"/audit/accounts/{staff_id}?event=auth").get_data(as_text=True)
    assert {r for r in request_ids(filtered) if r[1] == "-"} == {"s-failed-login"}
    assert auditor.get("/audit/accounts/99999").status_code == 404


def test_a_record_reads_in_plain_language(web_app, auditor):
    staff_id, _ = make_account(web_app, "staff", Role.OFFICE_STAFF)
    write(
        web_app,
        actor=actor(staff_id, role="office_leader,office_staff"),
        event="personnel.unmask",
        object_type="person",
        object_id=42,
        detail={"reason": "核对入编材料"},
        now=datetime(2026, 6, 1, 1, 2, 3, tzinfo=UTC),
    )
    html = auditor.get("/audit/?event=personnel").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    for shown in (
        "查看完整身份证号",
        "成功",
        "2026-06-01 09:02:03",  # Beijing time
        "staff",
        "编办领导、编办经办人",
        "10.0.0.9",
        "人员 42",
        "personnel.unmask",
        "reason 核对入编材料",
    ):
        assert shown in text, shown
    assert f'href="/audit/accounts/{staff_id}"' in html


def test_the_chain_state_and_the_latest_checkpoint_are_shown(web_app, auditor):
    write(web_app, 5)
    html = auditor.get("/audit/").get_data(as_text=True)
    assert "完好" in html and "尚无检查点" in html
    runner = web_app.test_cli_runner()
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    html = auditor.get("/audit/").get_data(as_text=True)
    assert "完好" in html and "签名有效" in html and "seq 6" in html  # 5 + the first look
    tamper(web_app, "UPDATE audit_event SET outcome = 'refused' WHERE seq = 7")  # after it
    html = auditor.get("/audit/").get_data(as_text=True)
    assert "发现异常" in html
    assert f"第一条异常记录 seq 7（编号 {rows(web_app)[6].id}）" in html
    tamper(web_app, "DELETE FROM audit_event WHERE seq = 3")
    html = auditor.get(f"/audit/accounts/{auditor.account_id}").get_data(as_text=True)
    assert "其前的 seq 3–3 缺失" in html


def test_the_log_is_not_shown_when_the_look_cannot_be_recorded(web_app, auditor):
    write(web_app, 3)
    with audit_sink_broken(web_app):
        response = auditor.get("/audit/")
    assert response.status_code == 503
    assert "test.event" not in response.get_data(as_text=True)


def test_a_personnel_read_shows_nothing_when_the_audit_insert_fails(seeded_app):
    """The database refuses the audit row (a full disk, a revoked grant): 503, no data."""
    from pwa.extensions import db
    from pwa.models import Person
    from tests.auth_helpers import Clock
    from tests.web.test_unmask import START, person_in

    Clock(seeded_app, START)
    staff_id, _ = make_account(seeded_app, "staff", Role.OFFICE_STAFF)
    staff = seeded_app.test_client()
    sign_in(staff, seeded_app, staff_id)
    person_id, number = person_in(seeded_app, "130700")
    with seeded_app.app_context():
        person = db.session.get(Person, person_id)
        name, masked = person.name, person.id_number_masked
    assert name in staff.get(f"/people/{person_id}").get_data(as_text=True)
    before = len(rows(seeded_app))
    with audit_sink_broken(seeded_app):
        for url in (f"/people/{person_id}", f"/people/{person_id}/id-number"):
            response = staff.get(url)
            html = response.get_data(as_text=True)
            assert response.status_code == 503, url
            assert name not in html and masked not in html and number not in html
    assert len(rows(seeded_app)) == before
