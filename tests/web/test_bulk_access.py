"""Bulk access to personnel is blocked, not only logged: a scripted scraper under a frozen
clock, the daily and sequential-id rules, the security administrator's alert and lift, the
audit trail, concurrent reads on SQLite and PostgreSQL, and the IP allowlist on personnel
pages."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from auth.models import RoleIpAllowlist, SecurityNotice
from auth.roles import Role
from auth.web_session import cookie_name
from pwa.domain import bulk_access
from pwa.domain.bulk_access import BulkAccessPolicy
from pwa.extensions import db
from pwa.models import AuditEvent, Occupancy, Person, PersonnelAccess, PushMessage
from tests.auth_helpers import Clock, csrf_from, login, make_account, sign_in
from tests.push_helpers import BrowserKeys, closed_endpoint, subscribe

START = datetime(2026, 6, 1, 2, 0, 5, tzinfo=UTC)  # 10:00 in Beijing
BLOCKED = "人员信息访问已被暂停"


@pytest.fixture
def clock(seeded_app):
    return Clock(seeded_app, START)


@pytest.fixture
def staff(seeded_app, clock):
    account_id, secret = make_account(seeded_app, "staff", Role.OFFICE_STAFF)
    client = seeded_app.test_client()
    login(client, "staff", secret, clock)
    client.account_id, client.secret = account_id, secret
    return client


@pytest.fixture
def secadmin(seeded_app, clock):
    account_id, secret = make_account(seeded_app, "secadmin", Role.SECURITY_ADMIN)
    client = seeded_app.test_client()
    login(client, "secadmin", secret, clock)
    client.account_id = account_id
    # A phone subscribed to notifications: the alert is pushed there too.
    subscribe(seeded_app, account_id, BrowserKeys(closed_endpoint("secadmin")), now=clock.now)
    return client


def people(app) -> list[int]:
    """Everyone on an establishment in 张家口市 (the staff member's jurisdiction), by id."""
    with app.app_context():
        return sorted(
            set(
                db.session.scalars(select(Occupancy.person_id).where(Occupancy.exit_date.is_(None)))
            )
        )


def scattered(app, n: int) -> list[int]:
    """``n`` people no two of whom have consecutive ids (the sequential rule stays quiet)."""
    ids = people(app)[::2]
    assert len(ids) >= n
    return ids[:n]


def name_of(app, person_id: int) -> str:
    with app.app_context():
        return db.session.get(Person, person_id).name


def events(app, name: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.id)
            )
        )


def lift(client, account_id: int, reason: str, **extra):
    page = client.get("/admin/security/personnel-blocks").get_data(as_text=True)
    return client.post(
        f"/admin/security/personnel-blocks/{account_id}/lift",
        data={"csrf_token": csrf_from(page), "reason": reason, **extra},
    )


def test_the_31st_distinct_person_in_ten_minutes_is_refused_and_blocks(
    seeded_app, staff, secadmin, clock
):
    ids = scattered(seeded_app, 31)
    for person_id in ids[:30]:
        assert staff.get(f"/people/{person_id}").status_code == 200
        clock.advance(seconds=5)
    for person_id in ids[:30]:  # re-reading the same 30 is fine
        assert staff.get(f"/people/{person_id}").status_code == 200

    refused = staff.get(f"/people/{ids[30]}")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 403
    assert BLOCKED in html and "安全管理员" in html
    assert name_of(seeded_app, ids[30]) not in html

    # Blocked: every personnel page says so and shows nobody, even people read before.
    first = staff.get(f"/people/{ids[0]}")
    assert first.status_code == 403 and name_of(seeded_app, ids[0]) not in first.text
    with seeded_app.app_context():
        unit_id = db.session.scalar(select(Occupancy.unit_id).where(Occupancy.person_id == ids[0]))
    assert staff.get(f"/units/{unit_id}/people").status_code == 403
    assert staff.get("/people/find").status_code == 403
    assert staff.get(f"/people/{ids[0]}/id-number").status_code == 403
    htmx = staff.get(f"/units/{unit_id}/people?page=1", headers={"HX-Request": "true"})
    assert htmx.status_code == 403 and BLOCKED in htmx.text
    assert staff.get("/").status_code == 200  # the rest of the app still works

    blocked = events(seeded_app, "personnel.blocked")
    assert len(blocked) == 1
    detail = json.loads(blocked[0].detail)
    assert detail["rule"] == "window" and detail["window_count"] == 31
    assert blocked[0].object_id == str(staff.account_id) and blocked[0].outcome == "blocked"
    reads = events(seeded_app, "personnel.read")
    assert {e.object_id for e in reads if e.outcome == "ok"} == {str(i) for i in ids[:30]}
    assert events(seeded_app, "personnel.refused")  # each refusal while blocked is recorded

    # The security administrator is told: a notice on the account page and a push.
    with seeded_app.app_context():
        notice = db.session.scalars(
            select(SecurityNotice).where(SecurityNotice.account_id == secadmin.account_id)
        ).one()
        assert (notice.kind, notice.subject) == ("bulk_blocked", "staff")
        push = db.session.scalars(
            select(PushMessage).where(PushMessage.account_id == secadmin.account_id)
        ).one()
        assert push.category == "security" and "staff" not in push.target
    account_page = secadmin.get("/account").get_data(as_text=True)
    assert "账户 staff 短时间内查阅人员信息过多" in account_page

    # A new session (re-login) changes nothing.
    again = seeded_app.test_client()
    login(again, "staff", staff.secret, clock)
    assert again.get(f"/people/{ids[0]}").status_code == 403

    # Only the security administrator sees and lifts blocks.
    assert again.get("/admin/security/personnel-blocks").status_code == 403
    sys_id, _ = make_account(seeded_app, "sysadmin", Role.SYSTEM_ADMIN)
    sysadmin = seeded_app.test_client()
    sign_in(sysadmin, seeded_app, sys_id)
    assert sysadmin.get("/admin/security/personnel-blocks").status_code == 403
    page = secadmin.get("/admin/security/personnel-blocks").get_data(as_text=True)
    assert "测试staff（staff）" in page and "10 分钟内查阅了 31 名不同人员" in page
    assert (
        sysadmin.post(
            f"/admin/security/personnel-blocks/{staff.account_id}/lift",
            data={"csrf_token": csrf_from(sysadmin.get("/account").text), "reason": "我来解除"},
        ).status_code
        == 403
    )
    access_page = secadmin.get(f"/admin/security/accounts/{staff.account_id}").text
    assert "人员信息访问已暂停" in access_page

    lifted = lift(secadmin, staff.account_id, "已与本人核实，系年度核查")
    assert lifted.status_code == 302
    record = events(seeded_app, "personnel.unblocked")[0]
    assert "已与本人核实，系年度核查" in record.detail and record.account_id == secadmin.account_id
    assert "当前没有被限制的账户" in secadmin.get("/admin/security/personnel-blocks").text

    # The windows start afresh: the person who was refused can be read now.
    assert again.get(f"/people/{ids[30]}").status_code == 200
    assert staff.get(f"/people/{ids[0]}").status_code == 200


def test_the_lift_form_refuses_bad_input(seeded_app, staff, secadmin, clock):
    seeded_app.config["BULK_ACCESS_POLICY"] = BulkAccessPolicy(window_limit=2)
    for person_id in scattered(seeded_app, 3):
        staff.get(f"/people/{person_id}")
    empty = lift(secadmin, staff.account_id, "   ")
    assert empty.status_code == 400 and "请写明解除限制的理由" in empty.text
    assert "<title>错误：" in empty.text
    short = lift(secadmin, staff.account_id, "好")
    assert short.status_code == 400 and "理由请写 4 到 200 个字" in short.text
    assert "好</textarea>" in short.text  # what was typed is kept
    long = lift(secadmin, staff.account_id, "很" * 201)
    assert long.status_code == 400
    no_token = secadmin.post(
        f"/admin/security/personnel-blocks/{staff.account_id}/lift", data={"reason": "核实无误"}
    )
    assert no_token.status_code == 400
    assert lift(secadmin, 999_999, "核实无误，解除").status_code == 404
    assert not events(seeded_app, "personnel.unblocked")
    assert staff.get("/people/find").status_code == 403  # still blocked

    # Lifted from the account's own page, the form returns there.
    lifted = lift(secadmin, staff.account_id, "核实无误，解除", back="account")
    assert lifted.status_code == 302
    assert lifted.location.endswith(f"/admin/security/accounts/{staff.account_id}")
    twice = lift(secadmin, staff.account_id, "核实无误，解除")
    assert twice.status_code == 302
    assert "当前未被限制" in secadmin.get(twice.location).text
    assert len(events(seeded_app, "personnel.unblocked")) == 1
    assert staff.get("/people/find").status_code == 200


def test_a_list_page_counts_everyone_it_shows(seeded_app, staff, clock):
    with seeded_app.app_context():
        unit_id, size = db.session.execute(
            select(Occupancy.unit_id, func.count())
            .where(Occupancy.exit_date.is_(None))
            .group_by(Occupancy.unit_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
    assert size > 50
    first = staff.get(f"/units/{unit_id}/people")
    assert first.status_code == 200  # 25 people with consecutive ids: not a sequential read
    second = staff.get(f"/units/{unit_id}/people?page=2")
    assert second.status_code == 403 and BLOCKED in second.text
    detail = json.loads(events(seeded_app, "personnel.blocked")[0].detail)
    assert detail["rule"] == "window" and detail["window_count"] == 50
    assert [e.outcome for e in events(seeded_app, "personnel.list")] == ["ok"]


def test_the_window_slides_and_the_daily_limit_counts_the_office_day(seeded_app, staff, clock):
    seeded_app.config["BULK_ACCESS_POLICY"] = BulkAccessPolicy(window_limit=5, day_limit=12)
    ids = scattered(seeded_app, 30)
    for batch in (ids[0:5], ids[5:10]):
        for person_id in batch:
            assert staff.get(f"/people/{person_id}").status_code == 200
        clock.advance(minutes=10, seconds=1)  # the ten-minute window has moved on
    # 23:59 in Beijing: still the same office day, 10 people so far, 2 more allowed.
    clock.advance(hours=13, minutes=59 - 20)
    sign_in(staff, seeded_app, staff.account_id)  # the old session has long expired
    for person_id in ids[10:12]:
        assert staff.get(f"/people/{person_id}").status_code == 200
    clock.advance(minutes=10, seconds=1)  # 00:09 + : a new office day in Beijing
    for person_id in ids[12:17]:
        assert staff.get(f"/people/{person_id}").status_code == 200
    clock.advance(minutes=10, seconds=1)
    for person_id in ids[17:24]:
        assert staff.get(f"/people/{person_id}").status_code == 200
        clock.advance(minutes=3)
    refused = staff.get(f"/people/{ids[24]}")
    assert refused.status_code == 403
    detail = json.loads(events(seeded_app, "personnel.blocked")[0].detail)
    assert detail["rule"] == "day" and detail["day_count"] == 13


def test_access_records_are_pruned_after_a_day(app):
    account_id, _ = make_account(app, "reader", Role.OFFICE_STAFF, region_code=None)
    policy = BulkAccessPolicy()
    with app.app_context():
        for when, person_ids in ((START, [1, 2]), (START + policy.retention / 2, [3])):
            with db.write() as session:
                bulk_access.admit(
                    session, account_id, person_ids, direct=False, now=when, policy=policy
                )
        with db.write() as session:
            later = START + policy.retention + policy.window
            bulk_access.admit(session, account_id, [4], direct=False, now=later, policy=policy)
        kept = db.session.scalars(
            select(PersonnelAccess.person_id).where(PersonnelAccess.account_id == account_id)
        )
        assert sorted(kept) == [3, 4]


def test_consecutive_person_ids_block_at_the_run_limit(seeded_app, staff, clock):
    ids = people(seeded_app)
    run = next(ids[i : i + 15] for i in range(len(ids)) if ids[i + 14] - ids[i] == 14)
    for person_id in run[:14]:
        assert staff.get(f"/people/{person_id}").status_code == 200
        clock.advance(seconds=20)
    refused = staff.get(f"/people/{run[14]}")
    assert refused.status_code == 403 and name_of(seeded_app, run[14]) not in refused.text
    detail = json.loads(events(seeded_app, "personnel.blocked")[0].detail)
    assert detail["rule"] == "sequential" and detail["run_length"] == 15


def test_personnel_pages_check_the_role_ip_allowlist_on_every_request(seeded_app, clock):
    account_id, _secret = make_account(seeded_app, "staff", Role.OFFICE_STAFF)
    with seeded_app.app_context(), db.write() as s:
        s.add(RoleIpAllowlist(role=Role.OFFICE_STAFF, cidr="10.1.0.0/16", created_at=clock.now))
    staff = seeded_app.test_client()
    sign_in(staff, seeded_app, account_id)
    person_id = people(seeded_app)[0]
    inside = {"REMOTE_ADDR": "10.1.2.3"}
    outside = {"REMOTE_ADDR": "203.0.113.5"}
    assert staff.get(f"/people/{person_id}", environ_base=inside).status_code == 200
    # The same session from another network: refused, with a reason, showing nobody.
    moved = staff.get(f"/people/{person_id}", environ_base=outside)
    assert moved.status_code == 403
    assert "网段" in moved.text and name_of(seeded_app, person_id) not in moved.text
    assert staff.get("/people/find", environ_base=outside).status_code == 403
    assert staff.get(f"/people/{person_id}", environ_base=inside).status_code == 200


# --- concurrency: K reads that together cross the limit ----------------------------------


@pytest.mark.parametrize("threads", [10])
def test_concurrent_reads_cannot_all_slip_through(any_app, threads):
    """10 reads of 5 new people each against a limit of 30: exactly 6 get through, one
    blocks the account, the rest are refused — on SQLite and on PostgreSQL."""
    account_id, _ = make_account(any_app, "scraper", Role.OFFICE_STAFF, region_code=None)
    policy = BulkAccessPolicy(window_limit=30, run_limit=10_000)
    now = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    barrier = threading.Barrier(threads)
    verdicts: list[bulk_access.Verdict] = []
    failures: list[BaseException] = []

    def read(k: int) -> None:
        try:
            with any_app.app_context():
                barrier.wait()
                with db.write() as session:
                    verdicts.append(
                        bulk_access.admit(
                            session,
                            account_id,
                            range(k * 100, k * 100 + 5),
                            direct=True,
                            now=now,
                            policy=policy,
                        )
                    )
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    workers = [threading.Thread(target=read, args=(k,)) for k in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not failures
    assert sum(v.allowed for v in verdicts) == 6
    assert sum(v.newly_blocked for v in verdicts) == 1
    with any_app.app_context():
        assert bulk_access.block_of(db.session, account_id) is not None
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(PersonnelAccess)
                .where(PersonnelAccess.account_id == account_id)
            )
            == 30
        )


def test_concurrent_page_requests_of_one_session_show_at_most_the_limit(seeded_app, clock):
    """29 people read; then 8 requests for 8 new people arrive at once from the same
    session: exactly one is shown (the 30th), the rest get 403 and the account is blocked."""
    account_id, _ = make_account(seeded_app, "staff", Role.OFFICE_STAFF)
    make_account(seeded_app, "secadmin", Role.SECURITY_ADMIN)
    ids = scattered(seeded_app, 37)
    first = seeded_app.test_client()
    token = sign_in(first, seeded_app, account_id)
    for person_id in ids[:29]:
        assert first.get(f"/people/{person_id}").status_code == 200
    clients = []
    for _ in range(8):
        client = seeded_app.test_client()
        client.set_cookie(cookie_name(seeded_app), token)
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    codes: list[int] = []

    def read(client, person_id: int) -> None:
        barrier.wait()
        codes.append(client.get(f"/people/{person_id}").status_code)

    workers = [
        threading.Thread(target=read, args=(client, person_id))
        for client, person_id in zip(clients, ids[29:], strict=True)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(codes) == [200] + [403] * 7
    assert len(events(seeded_app, "personnel.blocked")) == 1
    with seeded_app.app_context():
        notices = db.session.scalars(
            select(SecurityNotice.subject).where(SecurityNotice.kind == "bulk_blocked")
        )
        assert list(notices) == ["staff"]  # one alert, however many requests were refused


def test_longest_run():
    assert bulk_access.longest_run([]) == 0
    assert bulk_access.longest_run([5, 3, 4, 9, 10, 4]) == 3
    assert bulk_access.longest_run(range(100, 120, 2)) == 1
