"""The item page and its actions: remit-scoped display, intake, joint review, TOTP-signed
decisions bound to the version hash, revocation, batch approval, 委托, 催办, 转交 and the
printable approval sheet — through the web pages, with the item services setting the scene."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from auth.models import AccountRole
from auth.roles import Permission, Role, RoleClass, permissions_of
from pwa.domain import idnumber
from pwa.domain.items import payloads as p
from pwa.domain.items import service
from pwa.extensions import db
from pwa.models import (
    AuditEvent,
    Decision,
    EntryMode,
    ExitReason,
    Funding,
    ItemState,
    ItemType,
    LeadershipLevel,
    LeadershipPosition,
    Occupancy,
    QuotaKind,
    QuotaReservation,
    TaskStage,
    Verdict,
)
from pwa.models.item import Item, ItemEvent
from tests.auth_helpers import Clock, csrf_from, make_account, sign_in
from tests.item_helpers import World, make_world, new_key
from tests.pagecheck import PageCheckingClient

START = datetime(2026, 6, 1, 2, 0, 5, tzinfo=UTC)
JOINT_REVIEWER = {
    TaskStage.JOINT_ORG: "zzb",
    TaskStage.JOINT_FINANCE: "czj",
    TaskStage.JOINT_HR: "rsj",
}
STAGE_NAMES = {
    TaskStage.JOINT_ORG: "组织部联审",
    TaskStage.JOINT_FINANCE: "财政局联审",
    TaskStage.JOINT_HR: "人社局联审",
}
STALE = "事项在您打开页面后已被修改"
ALREADY_DECIDED = "已有决定"


# -- the cast and the scene ---------------------------------------------------------------------


@pytest.fixture
def clock(seeded_app: Flask) -> Clock:
    seeded_app.test_client_class = PageCheckingClient
    return Clock(seeded_app, START)


@pytest.fixture
def world(seeded_app: Flask, clock: Clock) -> World:
    return make_world(seeded_app)


def client_for(world: World, name: str) -> PageCheckingClient:
    client = world.app.test_client()
    sign_in(client, world.app, world.ids[name])
    return client


def add_account(world: World, name: str, role: Role, **kwargs) -> None:
    world.ids[name], world.secrets[name] = make_account(world.app, name, role, **kwargs)


def quota_use(world: World, count: int = 1, who: str = "clerk", submit: bool = True) -> int:
    draft = service.Draft(
        ItemType.QUOTA_USE,
        world.unit_id,
        p.QuotaUse(
            QuotaKind.ADMINISTRATIVE,
            Funding.FULL,
            count,
            EntryMode.CIVIL_SERVICE_EXAM,
            "科员",
            "补充执法力量",
        ),
    )
    return world.run(
        service.create, world.who(who), draft, idempotency_key=new_key(), submit=submit
    ).id


def open_occupancies(world: World) -> list[tuple[int, int]]:
    with world.app.app_context():
        rows = db.session.execute(
            select(Occupancy.id, Occupancy.person_id)
            .where(Occupancy.unit_id == world.unit_id, Occupancy.exit_date.is_(None))
            .order_by(Occupancy.id)
        ).all()
    return [(r.id, r.person_id) for r in rows]


def staff_exit(world: World, occupancy: tuple[int, int], who: str = "clerk") -> int:
    draft = service.Draft(
        ItemType.STAFF_EXIT,
        world.unit_id,
        p.StaffExit(occupancy[0], occupancy[1], ExitReason.RETIREMENT, "到龄退休"),
    )
    return world.run(
        service.create, world.who(who), draft, idempotency_key=new_key(), submit=True
    ).id


def quota_adjust(world: World, who: str, delta: int = 1) -> int:
    draft = service.Draft(
        ItemType.QUOTA_ADJUST,
        world.unit_id,
        p.QuotaAdjust(QuotaKind.ADMINISTRATIVE, Funding.FULL, delta, "新增职能"),
    )
    return world.run(
        service.create, world.who(who), draft, idempotency_key=new_key(), submit=True
    ).id


def snapshot(world: World, item_id: int) -> dict:
    """The item's state, version, hash and open stages, read in a fresh session."""

    def read(session):
        item = service._load(session, item_id, lock=False)
        return {
            "state": item.state,
            "version": item.version,
            "hash": service.version_hash(item),
            "open": [t.stage for t in item.tasks if t.closed_at is None],
            "document_number": item.document_number,
            "reservation_id": item.reservation_id,
        }

    return world.read(read)


def to_joint_review(world: World, item_id: int, reviewer: str = "staff") -> list[TaskStage]:
    """受理 → 审核 → 审核通过: the joint stages now open (empty when it went to decision)."""
    staff = world.who(reviewer)
    version = snapshot(world, item_id)["version"]
    version = world.run(service.accept, staff, item_id, expected_version=version).version
    version = world.run(service.begin_review, staff, item_id, expected_version=version).version
    world.run(service.forward, staff, item_id, comment="", expected_version=version)
    return [s for s in snapshot(world, item_id)["open"] if s in JOINT_REVIEWER]


def to_decision(world: World, item_id: int, reviewer: str = "staff") -> list[TaskStage]:
    """受理 → 审核 → 审核通过 → every joint reviewer agrees: the item waits for a decision.
    Returns the joint stages it went through."""
    reviewed = []
    staff = world.who(reviewer)
    version = snapshot(world, item_id)["version"]
    version = world.run(service.accept, staff, item_id, expected_version=version).version
    version = world.run(service.begin_review, staff, item_id, expected_version=version).version
    world.run(service.forward, staff, item_id, comment="材料齐全", expected_version=version)
    seen = snapshot(world, item_id)
    while seen["state"] is ItemState.JOINT_REVIEW:
        stage = next(s for s in seen["open"] if s in JOINT_REVIEWER)
        reviewed.append(stage)
        world.run(
            service.give_opinion,
            world.who(JOINT_REVIEWER[stage]),
            item_id,
            agree=True,
            comment="无意见",
            expected_version=seen["version"],
        )
        seen = snapshot(world, item_id)
    assert seen["state"] is ItemState.AWAITING_DECISION, seen
    return reviewed


def approve(world: World, item_id: int, leader: str = "leader") -> None:
    """A decision made directly through the service (to set a scene, not to test it)."""
    world.run(
        service.decide,
        world.who(leader),
        item_id,
        verdict=Verdict.APPROVE,
        comment="同意",
        version_hash_seen=snapshot(world, item_id)["hash"],
        signed_with="totp",
    )


def approved_quota_use(world: World) -> int:
    item_id = quota_use(world)
    to_decision(world, item_id)
    approve(world, item_id)
    return item_id


STAFF_ENTRY_NAME = "欧阳明远"


def staff_entry(world: World) -> tuple[int, str]:
    """A 人员上编 on the reservation of an approved 用编申请; (item id, raw ID number)."""
    reservation_id = snapshot(world, approved_quota_use(world))["reservation_id"]
    id_number = idnumber.make("130702", date(1998, 5, 1), 321)
    draft = service.Draft(
        ItemType.STAFF_ENTRY,
        world.unit_id,
        p.StaffEntry(
            reservation_id,
            STAFF_ENTRY_NAME,
            "male",
            date(1998, 5, 1),
            idnumber.mask(id_number),
            "bachelor",
            "执法岗",
            EntryMode.CIVIL_SERVICE_EXAM,
            "公务员招录",
        ),
        sealed={"id_number": id_number},
    )
    item_id = world.run(
        service.create, world.who("clerk"), draft, idempotency_key=new_key(), submit=True
    ).id
    return item_id, id_number


def page(client, url: str, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def challenge_of(html: str, action: str) -> str:
    match = re.search(
        rf'action="[^"]*/{action}"[^>]*>.*?name="challenge" value="([^"]+)"', html, re.S
    )
    assert match, f"no {action} challenge on the page"
    return match.group(1)


def post_decision(
    client, item_id: int, code: str, *, verdict: str = "approve", comment: str = "", html=None
):
    html = html or page(client, f"/items/{item_id}")
    return client.post(
        f"/items/{item_id}/decide",
        data={
            "csrf_token": csrf_from(html),
            "challenge": challenge_of(html, "decide"),
            "verdict": verdict,
            "comment": comment,
            "code": code,
        },
    )


def post_form(client, url: str, html: str, **data):
    return client.post(url, data={"csrf_token": csrf_from(html), **data})


def decisions(world: World, item_id: int) -> list[Decision]:
    with world.app.app_context():
        return list(db.session.scalars(select(Decision).where(Decision.item_id == item_id)))


def audit_events(world: World, event: str) -> list[AuditEvent]:
    with world.app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.event == event)))


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- who may open what ----------------------------------------------------------------------------


def test_every_item_route_refuses_administrators(world, clock):
    item_id = quota_use(world)
    add_account(world, "sysadmin", Role.SYSTEM_ADMIN)
    admin = client_for(world, "sysadmin")
    token = csrf_from(page(admin, "/"))
    for url in (
        "/items",
        f"/items/{item_id}",
        f"/items/{item_id}/sheet",
        "/items/batch",
        "/items/delegations",
    ):
        assert admin.get(url).status_code == 403, url
        assert admin.get(url, headers={"HX-Request": "true"}).status_code == 403, url
    for action in (
        "accept",
        "begin-review",
        "forward",
        "return",
        "refuse",
        "opinion",
        "decide",
        "revoke",
        "complete",
        "urge",
        "transfer",
    ):
        response = admin.post(f"/items/{item_id}/{action}", data={"csrf_token": token})
        assert response.status_code == 403, action
    for url in ("/items/batch/review", "/items/batch/approve", "/items/delegations"):
        assert admin.post(url, data={"csrf_token": token}).status_code == 403, url
    assert snapshot(world, item_id)["state"] is ItemState.SUBMITTED


P = Permission
ACTION_ACCESS = {  # each action route's declared permission (any of)
    "accept": {P.REVIEW_ITEMS},
    "begin-review": {P.REVIEW_ITEMS},
    "forward": {P.REVIEW_ITEMS},
    "return": {P.REVIEW_ITEMS},
    "refuse": {P.REVIEW_ITEMS},
    "opinion": {P.JOINT_REVIEW},
    "decide": {P.REVIEW_ITEMS, P.DECIDE_ITEMS},
    "revoke": {P.DECIDE_ITEMS},
    "complete": {P.REVIEW_ITEMS, P.DECIDE_ITEMS},
    "urge": {P.SUBMIT_ITEMS, P.REVIEW_ITEMS, P.DECIDE_ITEMS},
    "transfer": {P.REVIEW_ITEMS, P.DECIDE_ITEMS, P.JOINT_REVIEW},
}
SHEET_ACCESS = {P.SUBMIT_ITEMS, P.REVIEW_ITEMS, P.DECIDE_ITEMS}


def test_items_outside_the_jurisdiction_answer_404_on_pages_and_fragments(world, clock):
    item_id = quota_use(world)
    to_decision(world, item_id)
    add_account(world, "county_staff", Role.OFFICE_STAFF, region_code="130726")
    add_account(world, "county_leader", Role.OFFICE_LEADER, region_code="130726")
    with world.app.app_context():
        other_unit = db.session.scalar(
            select(Occupancy.unit_id).where(Occupancy.unit_id != world.unit_id).limit(1)
        )
    add_account(world, "other_clerk", Role.UNIT_CLERK, unit_id=other_unit)
    exit_id = staff_exit(world, open_occupancies(world)[0])
    to_decision(world, exit_id)  # 下编 has no joint review: 组织部 and 财政局 never see it
    cases = [
        ("county_staff", Role.OFFICE_STAFF, item_id),
        ("county_leader", Role.OFFICE_LEADER, item_id),
        ("other_clerk", Role.UNIT_CLERK, item_id),
        ("zzb", Role.ORG_REVIEWER, exit_id),
        ("czj", Role.FINANCE_REVIEWER, exit_id),
    ]
    for name, role, target in cases:
        granted = permissions_of(frozenset({role}))
        client = client_for(world, name)
        token = csrf_from(page(client, "/"))
        assert client.get(f"/items/{target}").status_code == 404, name
        fragment = client.get(f"/items/{target}", headers={"HX-Request": "true"})
        assert fragment.status_code == 404, name
        assert "<html" not in fragment.get_data(as_text=True)
        sheet = client.get(f"/items/{target}/sheet", headers={"HX-Request": "true"})
        assert sheet.status_code == (404 if granted & SHEET_ACCESS else 403), name
        for action, access in ACTION_ACCESS.items():
            response = client.post(
                f"/items/{target}/{action}",
                data={
                    "csrf_token": token,
                    "expected_version": "1",
                    "to": "1",
                    "verdict": "approve",
                    "code": "123456",
                    "comment": "x",
                },
            )
            assert response.status_code == (404 if granted & access else 403), (name, action)
    for target in (item_id, exit_id):
        assert snapshot(world, target)["state"] is ItemState.AWAITING_DECISION
        assert decisions(world, target) == []


def test_a_county_leader_has_no_authority_over_a_city_unit(world, clock):
    """Out-of-jurisdiction: the county's leader holds the role but not the unit."""
    item_id = quota_use(world)
    to_decision(world, item_id)
    add_account(world, "county_leader", Role.OFFICE_LEADER, region_code="130726")
    leader = client_for(world, "county_leader")
    assert leader.get(f"/items/{item_id}").status_code == 404
    assert leader.get(f"/items/{item_id}", headers={"HX-Request": "true"}).status_code == 404
    inbox_html = page(leader, "/items")
    assert f"/items/{item_id}" not in inbox_html
    assert decisions(world, item_id) == []


# -- remit --------------------------------------------------------------------------------------


def test_joint_reviewers_see_a_staff_entry_without_names_or_id_numbers(world, clock):
    item_id, id_number = staff_entry(world)
    route = to_joint_review(world, item_id)
    assert TaskStage.JOINT_FINANCE in route  # every 上编 changes funded headcount
    masked = idnumber.mask(id_number)
    personal = (STAFF_ENTRY_NAME, masked, id_number, "1998-05-01", "身份证号")
    for stage, name in JOINT_REVIEWER.items():
        client = client_for(world, name)
        if stage not in route:
            assert client.get(f"/items/{item_id}").status_code == 404, name
            continue
        html = page(client, f"/items/{item_id}")
        # 组织部 manages civil servants: it sees the person, never an ID number.
        hidden = personal[1:3] + personal[4:] if stage is TaskStage.JOINT_ORG else personal
        for forbidden in hidden:
            assert forbidden not in html, (name, forbidden)
        assert "公务员招录" in html  # the reason is in every reviewer's remit
        assert 'name="opinion"' in html
    finance = page(client_for(world, "czj"), f"/items/{item_id}")
    assert "使用的预占编制" in finance and "执法岗" not in finance  # quota yes, posts no

    office = page(client_for(world, "staff"), f"/items/{item_id}")
    assert STAFF_ENTRY_NAME in office and masked in office and id_number not in office
    applicant = page(client_for(world, "clerk"), f"/items/{item_id}")
    assert STAFF_ENTRY_NAME in applicant and masked in applicant and id_number not in applicant


def test_the_organisation_department_sees_leadership_posts_but_no_personal_fields(world, clock):
    draft = service.Draft(
        ItemType.LEADERSHIP_POSTS,
        world.unit_id,
        p.LeadershipPosts(
            LeadershipLevel.DIVISION, LeadershipPosition.DEPUTY, "副局长", 3, "增设分管领导"
        ),
    )
    item_id = world.run(
        service.create, world.who("clerk"), draft, idempotency_key=new_key(), submit=True
    ).id
    assert to_joint_review(world, item_id) == [TaskStage.JOINT_ORG]
    html = page(client_for(world, "zzb"), f"/items/{item_id}")
    assert "副局长" in html and "核定职数" in html and "组织部联审" in html
    assert "身份证号" not in html
    # 财政局 has no part in 职数核定.
    assert client_for(world, "czj").get(f"/items/{item_id}").status_code == 404


# -- the office's intake ------------------------------------------------------------------------


def test_intake_accept_review_forward_with_versions_and_comments(world, clock):
    item_id = quota_use(world)
    staff = client_for(world, "staff")
    html = page(staff, f"/items/{item_id}")
    assert "受理" in html and "不予受理" in html
    assert 'name="expected_version" value="2"' in html

    early = post_form(staff, f"/items/{item_id}/begin-review", html, expected_version="2")
    assert early.status_code == 409  # out of order: a clear conflict, never a crash
    assert snapshot(world, item_id)["state"] is ItemState.SUBMITTED
    response = post_form(staff, f"/items/{item_id}/accept", html, expected_version="2")
    assert response.status_code == 303 and response.location.endswith(f"/items/{item_id}")
    html = page(staff, f"/items/{item_id}")
    assert "已受理" in html and "app-flash" in html

    stale = post_form(staff, f"/items/{item_id}/begin-review", html, expected_version="2")
    assert stale.status_code == 409 and "已被他人更新" in stale.get_data(as_text=True)

    response = post_form(staff, f"/items/{item_id}/begin-review", html, expected_version="3")
    assert response.status_code == 303
    html = page(staff, f"/items/{item_id}")
    assert "审核通过，送联审" in html

    no_reason = post_form(
        staff, f"/items/{item_id}/return", html, expected_version="4", comment="  "
    )
    assert no_reason.status_code == 400
    assert "请填写意见或理由" in no_reason.get_data(as_text=True)
    assert snapshot(world, item_id)["state"] is ItemState.UNDER_REVIEW

    response = post_form(
        staff, f"/items/{item_id}/forward", html, expected_version="4", comment="材料齐全，同意报送"
    )
    assert response.status_code == 303
    seen = snapshot(world, item_id)
    assert seen["state"] is ItemState.JOINT_REVIEW
    route = "、".join(STAGE_NAMES[s] for s in seen["open"])
    history = text_of(page(staff, f"/items/{item_id}"))
    assert f"审核通过 · 送联审：{route}" in history
    assert "材料齐全，同意报送" in history

    # A unit clerk cannot take the office's steps even with a crafted POST.
    clerk = client_for(world, "clerk")
    own = page(clerk, f"/items/{item_id}")
    assert f'action="/items/{item_id}/accept"' not in own
    assert (
        post_form(clerk, f"/items/{item_id}/accept", own, expected_version="5").status_code == 403
    )


def test_refusing_intake_needs_a_reason_and_is_only_possible_before_acceptance(world, clock):
    item_id = quota_use(world)
    staff = client_for(world, "staff")
    html = page(staff, f"/items/{item_id}")
    response = post_form(staff, f"/items/{item_id}/refuse", html, expected_version="2", comment="")
    assert response.status_code == 400
    response = post_form(
        staff, f"/items/{item_id}/refuse", html, expected_version="2", comment="不属于本级审批事项"
    )
    assert response.status_code == 303
    assert snapshot(world, item_id)["state"] is ItemState.REJECTED
    html = page(staff, f"/items/{item_id}")
    assert f'action="/items/{item_id}/refuse"' not in html


def test_joint_review_opinions(world, clock):
    item_id = quota_use(world)
    route = to_joint_review(world, item_id)
    assert TaskStage.JOINT_FINANCE in route and len(route) > 1
    finance = client_for(world, "czj")
    html = page(finance, f"/items/{item_id}")
    version = str(snapshot(world, item_id)["version"])
    objection = post_form(
        finance, f"/items/{item_id}/opinion", html, expected_version=version, opinion="object"
    )
    assert objection.status_code == 400 and "请填写意见或理由" in objection.get_data(as_text=True)
    nothing = post_form(finance, f"/items/{item_id}/opinion", html, expected_version=version)
    assert nothing.status_code == 400 and "请选择同意或不同意" in nothing.get_data(as_text=True)
    agreed = post_form(
        finance,
        f"/items/{item_id}/opinion",
        html,
        expected_version=version,
        opinion="agree",
        comment="经费有保障",
    )
    assert agreed.status_code == 303
    html = text_of(page(finance, f"/items/{item_id}"))
    assert "财政局联审 · 同意" in html and "经费有保障" in html and "测试czj" in html
    for stage in route:
        if stage is not TaskStage.JOINT_FINANCE:
            assert f"{STAGE_NAMES[stage]} · 待提出意见" in html
    # Once given, the opinion form is gone; the reviewer may not decide.
    assert 'name="opinion"' not in page(finance, f"/items/{item_id}")
    assert (
        finance.post(
            f"/items/{item_id}/decide", data={"csrf_token": csrf_from(page(finance, "/"))}
        ).status_code
        == 403
    )


# -- signed decisions ---------------------------------------------------------------------------


def test_a_leader_approves_with_a_fresh_totp_code(world, clock):
    item_id = quota_use(world)
    route = to_decision(world, item_id)
    leader = client_for(world, "leader")
    before = snapshot(world, item_id)
    html = page(leader, f"/items/{item_id}")
    # The approval card restates what is decided, with the quota before and after.
    text = text_of(html)
    for shown in ("张家口市教育局", "用编申请", "待决定", "行政编制", "财政全额拨款", "考试录用"):
        assert shown in text, shown
    assert "批准前" in text and "批准后" in text
    assert "空编 1 名，申请使用 1 名" in text
    for stage in route:
        assert f"{STAGE_NAMES[stage]} · 同意" in text
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert before["hash"][:8] in html
    # Opening the page changed nothing.
    assert snapshot(world, item_id)["version"] == before["version"]

    response = post_decision(
        leader, item_id, clock.code(world.secrets["leader"]), comment="同意使用", html=html
    )
    assert response.status_code == 303 and response.location.endswith(f"/items/{item_id}")
    after = snapshot(world, item_id)
    assert after["state"] is ItemState.APPROVED and after["document_number"].endswith("号")
    html = text_of(page(leader, f"/items/{item_id}"))
    assert "已签批同意，事项已批准" in html and after["document_number"] in html
    [decision] = decisions(world, item_id)
    assert decision.signed_with == "totp" and decision.version_hash == before["hash"]
    [event] = audit_events(world, "item.decide")
    assert event.object_id == str(item_id) and event.outcome == "ok"
    assert json.loads(event.detail) == {"verdict": "approve", "version_hash": before["hash"]}
    with world.app.app_context():
        reservation = db.session.get(QuotaReservation, after["reservation_id"])
        assert reservation.granted == 1
    # No decision form once decided; the sheet link appears for the office.
    assert 'name="verdict"' not in html


def test_a_wrong_code_decides_nothing(world, clock):
    item_id = quota_use(world)
    to_decision(world, item_id)
    leader = client_for(world, "leader")
    good = clock.code(world.secrets["leader"])
    wrong = "000000" if good != "000000" else "111111"
    response = post_decision(leader, item_id, wrong)
    assert response.status_code == 400
    assert "动态码不正确" in response.get_data(as_text=True)
    assert snapshot(world, item_id)["state"] is ItemState.AWAITING_DECISION
    assert decisions(world, item_id) == []
    # The page offers a fresh challenge: the right code then works.
    response = post_decision(leader, item_id, good, html=response.get_data(as_text=True))
    assert response.status_code == 303


def test_a_replayed_code_is_refused(world, clock):
    occupancies = open_occupancies(world)
    first, second = staff_exit(world, occupancies[0]), staff_exit(world, occupancies[1])
    to_decision(world, first)
    to_decision(world, second)
    leader = client_for(world, "leader")
    code = clock.code(world.secrets["leader"])
    assert post_decision(leader, first, code).status_code == 303
    response = post_decision(leader, second, code)
    assert response.status_code == 400
    assert "此动态码已使用过" in response.get_data(as_text=True)
    assert snapshot(world, second)["state"] is ItemState.AWAITING_DECISION
    clock.next_step()
    assert post_decision(leader, second, clock.code(world.secrets["leader"])).status_code == 303


def test_a_decision_on_a_changed_item_is_refused_as_stale(world, clock):
    item_id = quota_use(world)
    to_decision(world, item_id)
    leader = client_for(world, "leader")
    html = page(leader, f"/items/{item_id}")
    with world.app.app_context(), db.write() as s:  # the item changes after it was displayed
        s.get(Item, item_id).version += 1
    response = post_decision(leader, item_id, clock.code(world.secrets["leader"]), html=html)
    assert response.status_code == 409
    assert STALE in response.get_data(as_text=True)
    assert f'href="/items/{item_id}"' in response.get_data(as_text=True)
    assert decisions(world, item_id) == []
    assert [e.outcome for e in audit_events(world, "item.decide")] == ["stale"]
    # Re-opened, the page is bound to the new content and the decision goes through.
    assert post_decision(leader, item_id, clock.code(world.secrets["leader"])).status_code == 303


def test_two_deciders_racing_one_wins_the_other_is_told_it_is_decided(world, clock):
    item_id = quota_use(world)
    to_decision(world, item_id)
    leader, leader2 = client_for(world, "leader"), client_for(world, "leader2")
    page1, page2 = page(leader, f"/items/{item_id}"), page(leader2, f"/items/{item_id}")
    first = post_decision(leader, item_id, clock.code(world.secrets["leader"]), html=page1)
    second = post_decision(leader2, item_id, clock.code(world.secrets["leader2"]), html=page2)
    assert first.status_code == 303
    assert second.status_code == 409
    body = second.get_data(as_text=True)
    assert ALREADY_DECIDED in body and f'href="/items/{item_id}"' in body
    assert len(decisions(world, item_id)) == 1


def test_the_service_refuses_the_slower_of_two_concurrent_deciders(world, clock):
    """Both passed their step-up on the same version: the second write finds it decided."""
    item_id = quota_use(world)
    to_decision(world, item_id)
    seen = snapshot(world, item_id)["hash"]
    approve(world, item_id, "leader")
    with pytest.raises(service.ItemConflict) as refused:
        world.run(
            service.decide,
            world.who("leader2"),
            item_id,
            verdict=Verdict.APPROVE,
            comment="",
            version_hash_seen=seen,
            signed_with="totp",
        )
    assert ALREADY_DECIDED in refused.value.msgid


def test_rejecting_needs_a_comment_and_the_code_is_not_spent_on_an_incomplete_form(world, clock):
    item_id = quota_use(world)
    to_decision(world, item_id)
    leader = client_for(world, "leader")
    code = clock.code(world.secrets["leader"])
    response = post_decision(leader, item_id, code, verdict="reject")
    assert response.status_code == 400
    assert "请填写意见" in response.get_data(as_text=True)
    response = post_decision(
        leader,
        item_id,
        code,
        verdict="reject",
        comment="与机构改革方向不符",
        html=response.get_data(as_text=True),
    )
    assert response.status_code == 303
    assert snapshot(world, item_id)["state"] is ItemState.REJECTED
    history = text_of(page(client_for(world, "clerk"), f"/items/{item_id}"))
    assert "不予批准" in history and "与机构改革方向不符" in history


def test_a_decider_returns_the_item_for_correction(world, clock):
    item_id = quota_use(world)
    to_decision(world, item_id)
    leader = client_for(world, "leader")
    response = post_decision(
        leader,
        item_id,
        clock.code(world.secrets["leader"]),
        verdict="return",
        comment="请补充岗位说明",
    )
    assert response.status_code == 303
    assert snapshot(world, item_id)["state"] is ItemState.RETURNED
    clerk = page(client_for(world, "clerk"), f"/items/{item_id}")
    assert "请补充岗位说明" in clerk and "退回补正" in clerk
    assert f'href="/items/{item_id}/edit"' in clerk  # the applicant's way back in
    assert f'href="/items/{item_id}/withdraw"' in clerk
    assert f'href="/items/{item_id}/edit"' not in page(leader, f"/items/{item_id}")


def test_an_approval_that_fails_its_checks_shows_the_failing_checks(world, clock):
    item_id = quota_use(world, count=2)  # the unit has one vacant place of this kind
    to_decision(world, item_id)
    leader = client_for(world, "leader")
    html = page(leader, f"/items/{item_id}")
    assert "校验未通过" in html
    response = post_decision(leader, item_id, clock.code(world.secrets["leader"]), html=html)
    assert response.status_code == 409
    body = text_of(response.get_data(as_text=True))
    assert "以下自动校验未通过，不能批准" in body and "空编 1 名，申请使用 2 名" in body
    assert snapshot(world, item_id)["state"] is ItemState.AWAITING_DECISION
    assert decisions(world, item_id) == []


def test_nobody_approves_their_own_item(world, clock):
    """An office member who is both 经办人 and 领导 declares a 编制调整 and cannot decide it."""
    add_account(world, "both", Role.OFFICE_LEADER)
    with world.app.app_context(), db.write() as s:
        s.add(
            AccountRole(
                account_id=world.ids["both"],
                role=Role.OFFICE_STAFF,
                role_class=RoleClass.BUSINESS,
                granted_at=START,
            )
        )
    item_id = quota_adjust(world, "both")
    to_decision(world, item_id, reviewer="staff")
    assert TaskStage.DECIDE_LEADER in snapshot(world, item_id)["open"]
    own = client_for(world, "both")
    html = page(own, f"/items/{item_id}")
    assert 'name="verdict"' not in html
    assert f"/items/{item_id}" not in page(own, "/items?box=todo")
    response = own.post(
        f"/items/{item_id}/decide",
        data={
            "csrf_token": csrf_from(html),
            "verdict": "approve",
            "code": clock.code(world.secrets["both"]),
        },
    )
    assert response.status_code == 403
    assert "不能审核或审批本人提交的事项" in response.get_data(as_text=True)
    assert decisions(world, item_id) == []
    # Someone else may.
    assert (
        post_decision(
            client_for(world, "leader"), item_id, clock.code(world.secrets["leader"])
        ).status_code
        == 303
    )


def test_a_notification_link_only_opens_the_page(world, clock):
    item_id = quota_use(world)
    to_decision(world, item_id)

    def events() -> int:
        return world.read(
            lambda s: s.scalar(
                select(func.count()).select_from(ItemEvent).where(ItemEvent.item_id == item_id)
            )
        )

    before, logged = snapshot(world, item_id), events()
    leader = client_for(world, "leader")
    for _ in range(2):
        page(leader, f"/items/{item_id}?from=push")
    assert leader.get(f"/items/{item_id}/decide").status_code == 405
    assert snapshot(world, item_id) == before and events() == logged
    assert decisions(world, item_id) == []


def test_revoking_an_approval_needs_a_fresh_code_and_frees_the_reservation(world, clock):
    item_id = approved_quota_use(world)
    reservation_id = snapshot(world, item_id)["reservation_id"]
    leader2 = client_for(world, "leader2")
    html = page(leader2, f"/items/{item_id}")
    assert "撤销批准" in html
    data = {
        "csrf_token": csrf_from(html),
        "challenge": challenge_of(html, "revoke"),
        "comment": "",
        "code": clock.code(world.secrets["leader2"]),
    }
    response = leader2.post(f"/items/{item_id}/revoke", data=data)
    assert response.status_code == 400 and "请填写撤销理由" in response.get_data(as_text=True)
    data["comment"] = "单位编制需求已变化"
    response = leader2.post(f"/items/{item_id}/revoke", data=data)
    assert response.status_code == 303
    assert snapshot(world, item_id)["state"] is ItemState.REVOKED
    with world.app.app_context():
        assert db.session.get(QuotaReservation, reservation_id).cancelled_on is not None
    [event] = audit_events(world, "item.revoke")
    assert event.outcome == "ok"
    # Office staff cannot revoke; the applicant's side never sees the form.
    assert "撤销理由" not in page(client_for(world, "clerk"), f"/items/{item_id}")


def test_the_office_completes_an_approved_item(world, clock):
    item_id = approved_quota_use(world)
    staff = client_for(world, "staff")
    html = page(staff, f"/items/{item_id}")
    version = str(snapshot(world, item_id)["version"])
    response = post_form(
        staff, f"/items/{item_id}/complete", html, expected_version=version, comment="已全部到岗"
    )
    # Places are still reserved: releasing them is a leader's call, not the clerk's desk.
    assert response.status_code == 403
    assert snapshot(world, item_id)["state"] is ItemState.APPROVED
    staff = client_for(world, "leader2")
    html = page(staff, f"/items/{item_id}")
    response = post_form(
        staff, f"/items/{item_id}/complete", html, expected_version=version, comment="已全部到岗"
    )
    assert response.status_code == 303
    assert snapshot(world, item_id)["state"] is ItemState.COMPLETED
    assert "已办结" in page(staff, f"/items/{item_id}")
    assert f'action="/items/{item_id}/complete"' not in page(
        client_for(world, "clerk"), f"/items/{item_id}"
    )


# -- 催办 and 转交 ------------------------------------------------------------------------


def test_urging_is_rate_limited(world, clock):
    item_id = quota_use(world)
    clerk = client_for(world, "clerk")
    html = page(clerk, f"/items/{item_id}")
    assert post_form(clerk, f"/items/{item_id}/urge", html).status_code == 303
    assert "已催办" in page(clerk, f"/items/{item_id}")
    again = post_form(clerk, f"/items/{item_id}/urge", html)
    assert again.status_code == 400
    assert "小时内不能重复催办" in again.get_data(as_text=True)
    staff_inbox = text_of(page(client_for(world, "staff"), "/items"))
    assert "催办 1 次" in staff_inbox
    clock.advance(hours=4, seconds=1)
    clerk = client_for(world, "clerk")
    html = page(clerk, f"/items/{item_id}")
    assert post_form(clerk, f"/items/{item_id}/urge", html).status_code == 303
    # A joint reviewer may not urge (no such permission); nothing to urge once decided.
    czj = client_for(world, "czj")
    assert post_form(czj, f"/items/{item_id}/urge", page(czj, "/")).status_code == 403


def test_transfer_hands_the_step_to_a_colleague(world, clock):
    item_id = quota_use(world)
    world.run(service.accept, world.who("staff"), item_id, expected_version=2)
    staff = client_for(world, "staff")
    html = page(staff, f"/items/{item_id}")
    assert "转交" in html and "测试staff2" in html
    assert "测试clerk" not in re.search(r'<select[^>]*name="to".*?</select>', html, re.S).group(0)
    missing = post_form(staff, f"/items/{item_id}/transfer", html, comment="")
    assert missing.status_code == 400 and "请选择转交给谁" in missing.get_data(as_text=True)
    clerk_target = post_form(
        staff, f"/items/{item_id}/transfer", html, to=str(world.ids["clerk"]), comment=""
    )
    assert clerk_target.status_code == 400
    response = post_form(
        staff,
        f"/items/{item_id}/transfer",
        html,
        to=str(world.ids["staff2"]),
        comment="本人出差，请代为审核",
    )
    assert response.status_code == 303
    assert f"/items/{item_id}" not in page(staff, "/items?box=todo")
    staff2 = client_for(world, "staff2")
    assert f"/items/{item_id}" in page(staff2, "/items?box=todo")
    history = text_of(page(staff2, f"/items/{item_id}"))
    assert "转交 · 转交给 测试staff2" in history and "本人出差，请代为审核" in history
    assert f'action="/items/{item_id}/begin-review"' in page(staff2, f"/items/{item_id}")
    assert f'action="/items/{item_id}/begin-review"' not in page(staff, f"/items/{item_id}")


# -- batch approval -----------------------------------------------------------------------------


def test_batch_approval_of_two_staff_exits_with_one_code(world, clock):
    occupancies = open_occupancies(world)
    first, second = staff_exit(world, occupancies[0]), staff_exit(world, occupancies[1])
    for item_id in (first, second):
        to_decision(world, item_id)
    other = quota_use(world)  # not a batch type: never listed
    to_decision(world, other)
    leader = client_for(world, "leader")
    listing = page(leader, "/items/batch")
    assert f'value="{first}"' in listing and f'value="{second}"' in listing
    assert f'value="{other}"' not in listing
    assert "人员下编" in listing

    empty = post_form(leader, "/items/batch/review", listing)
    assert empty.status_code == 400 and "请至少勾选一项" in empty.get_data(as_text=True)

    review = leader.post(
        "/items/batch/review",
        data={"csrf_token": csrf_from(listing), "item": [str(first), str(second)]},
    )
    assert review.status_code == 200
    confirm = review.get_data(as_text=True)
    assert "核对并签批（2 项）" in confirm and "到龄退休" in confirm
    challenge = re.search(r'name="challenge" value="([^"]+)"', confirm).group(1)
    data = {
        "csrf_token": csrf_from(confirm),
        "challenge": challenge,
        "item": [str(first), str(second)],
        "code": clock.code(world.secrets["leader"]),
    }
    result = leader.post("/items/batch/approve", data=data)
    assert result.status_code == 200
    body = text_of(result.get_data(as_text=True))
    assert "共 2 项：2 项办理成功，0 项未批准" in body
    for item_id in (first, second):
        assert snapshot(world, item_id)["state"] is ItemState.COMPLETED  # 下编 takes effect
        [decision] = decisions(world, item_id)
        assert decision.signed_with == "totp-batch"
    with world.app.app_context():
        for occupancy_id, _person in occupancies[:2]:
            assert db.session.get(Occupancy, occupancy_id).exit_date is not None
    assert len(audit_events(world, "item.decide")) == 2
    # The same signature cannot be used again.
    clock.next_step()
    again = leader.post("/items/batch/approve", data=data)
    assert again.status_code == 409


def test_batch_approval_still_runs_each_items_own_checks(world, clock):
    occupancy = open_occupancies(world)[0]
    first, duplicate = staff_exit(world, occupancy), staff_exit(world, occupancy)
    for item_id in (first, duplicate):
        to_decision(world, item_id)
    leader = client_for(world, "leader")
    listing = page(leader, "/items/batch")
    review = leader.post(
        "/items/batch/review",
        data={"csrf_token": csrf_from(listing), "item": [str(first), str(duplicate)]},
    )
    confirm = review.get_data(as_text=True)
    result = leader.post(
        "/items/batch/approve",
        data={
            "csrf_token": csrf_from(confirm),
            "challenge": re.search(r'name="challenge" value="([^"]+)"', confirm).group(1),
            "item": [str(first), str(duplicate)],
            "code": clock.code(world.secrets["leader"]),
        },
    )
    body = text_of(result.get_data(as_text=True))
    assert "1 项办理成功，1 项未批准" in body
    assert "自动校验未通过" in body and "此人不在本单位在编" in body
    assert snapshot(world, duplicate)["state"] is ItemState.AWAITING_DECISION


def test_a_batch_whose_items_changed_after_review_is_refused(world, clock):
    occupancies = open_occupancies(world)
    first, second = staff_exit(world, occupancies[0]), staff_exit(world, occupancies[1])
    for item_id in (first, second):
        to_decision(world, item_id)
    leader = client_for(world, "leader")
    listing = page(leader, "/items/batch")
    confirm = leader.post(
        "/items/batch/review",
        data={"csrf_token": csrf_from(listing), "item": [str(first), str(second)]},
    ).get_data(as_text=True)
    with world.app.app_context(), db.write() as s:
        s.get(Item, second).version += 1
    result = leader.post(
        "/items/batch/approve",
        data={
            "csrf_token": csrf_from(confirm),
            "challenge": re.search(r'name="challenge" value="([^"]+)"', confirm).group(1),
            "item": [str(first), str(second)],
            "code": clock.code(world.secrets["leader"]),
        },
    )
    assert result.status_code == 409
    assert decisions(world, first) == [] and decisions(world, second) == []


# -- 委托 ----------------------------------------------------------------------------------


def create_delegation(client, to_id: int, starts: date, ends: date, note: str = ""):
    html = page(client, "/items/delegations")
    return post_form(
        client,
        "/items/delegations",
        html,
        to=str(to_id),
        starts_on=starts.isoformat(),
        ends_on=ends.isoformat(),
        note=note,
    )


def test_a_delegate_decides_for_the_leader_and_both_names_are_in_the_history(world, clock):
    item_id = quota_use(world)
    to_decision(world, item_id)
    leader = client_for(world, "leader")
    html = page(leader, "/items/delegations")
    assert "编办主任审批" in html and "编委会议审议" in html and "数据查询签批" in html
    assert "测试staff2" in html and "测试clerk" not in html and "测试czj" not in html
    today = date(2026, 6, 1)
    response = create_delegation(
        leader, world.ids["staff2"], today, today + timedelta(days=7), "赴省学习"
    )
    assert response.status_code == 303
    assert "生效中" in page(leader, "/items/delegations")
    assert "测试leader" in page(client_for(world, "staff2"), "/items/delegations")
    [event] = audit_events(world, "item.delegate")
    assert event.outcome == "ok"

    staff2 = client_for(world, "staff2")
    assert f"/items/{item_id}" in page(staff2, "/items?box=todo")
    html = page(staff2, f"/items/{item_id}")
    assert "您正受测试leader委托办理" in html
    response = post_decision(
        staff2, item_id, clock.code(world.secrets["staff2"]), comment="同意", html=html
    )
    assert response.status_code == 303
    assert snapshot(world, item_id)["state"] is ItemState.APPROVED
    history = text_of(page(client_for(world, "clerk"), f"/items/{item_id}"))
    assert re.search(r"测试staff2\s*（受测试leader委托）\s*批准", history)
    [decision] = decisions(world, item_id)
    assert decision.account_id == world.ids["staff2"]
    assert decision.on_behalf_of_id == world.ids["leader"]


def test_delegation_can_be_ended_and_bad_input_is_explained(world, clock):
    leader = client_for(world, "leader")
    today = date(2026, 6, 1)
    bad = create_delegation(leader, world.ids["staff2"], today, today - timedelta(days=1))
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.get_data(as_text=True)
    outsider = create_delegation(leader, world.ids["czj"], today, today)
    assert outsider.status_code == 400 and "请选择受托的同事" in outsider.get_data(as_text=True)
    assert create_delegation(leader, world.ids["staff2"], today, today).status_code == 303
    html = page(leader, "/items/delegations")
    delegation_id = re.search(r'action="/items/delegations/(\d+)/end"', html).group(1)
    # Only the delegator ends it.
    staff2 = client_for(world, "staff2")
    token = csrf_from(page(staff2, "/items/delegations"))
    assert (
        staff2.post(
            f"/items/delegations/{delegation_id}/end", data={"csrf_token": token}
        ).status_code
        == 404
    )
    response = post_form(leader, f"/items/delegations/{delegation_id}/end", html)
    assert response.status_code == 303
    assert "已提前结束" in page(leader, "/items/delegations")


def test_the_directors_authority_is_not_delegated(world, clock):
    item_id = quota_adjust(world, "staff")  # 编制调整: 分管领导 → 编办主任 → 编委会议
    to_decision(world, item_id, reviewer="staff2")
    approve(world, item_id, "leader")
    assert snapshot(world, item_id)["open"] == [TaskStage.DECIDE_DIRECTOR]
    director = client_for(world, "director")
    today = date(2026, 6, 1)
    assert create_delegation(director, world.ids["staff2"], today, today).status_code == 303
    assert f"/items/{item_id}" in page(director, "/items?box=todo")
    staff2 = client_for(world, "staff2")
    assert f"/items/{item_id}" not in page(staff2, "/items?box=todo")
    html = page(staff2, f"/items/{item_id}")
    assert 'name="verdict"' not in html
    response = staff2.post(
        f"/items/{item_id}/decide",
        data={"csrf_token": csrf_from(html), "verdict": "approve", "code": "123456"},
    )
    assert response.status_code == 403
    assert snapshot(world, item_id)["open"] == [TaskStage.DECIDE_DIRECTOR]


# -- the approval sheet ---------------------------------------------------------------------------


def test_the_printable_approval_sheet(world, clock):
    item_id = approved_quota_use(world)
    number = snapshot(world, item_id)["document_number"]
    clerk = client_for(world, "clerk")
    html = page(clerk, f"/items/{item_id}")
    assert f"/items/{item_id}/sheet" in html
    sheet = text_of(page(clerk, f"/items/{item_id}/sheet"))
    assert "核准使用编制通知单" in sheet and number in sheet
    assert "张家口市教育局" in sheet and "行政编制" in sheet and "分管领导审批" in sheet
    assert "测试leader" in sheet and "2026-06-01" in sheet
    assert "app-sheet" in page(clerk, f"/items/{item_id}/sheet")
    stylesheet = Path(world.app.static_folder, "css", "app.css").read_text()
    assert "@media print" in stylesheet and ".app-no-print" in stylesheet
    assert page(client_for(world, "staff"), f"/items/{item_id}/sheet")
    # Only once approved; joint reviewers have no sheet.
    pending = quota_use(world)
    assert clerk.get(f"/items/{pending}/sheet").status_code == 404
    assert client_for(world, "rsj").get(f"/items/{item_id}/sheet").status_code == 403


def test_a_staff_exit_names_the_person_masked_and_the_read_is_audited(world, clock):
    occupancy_id, person_id = open_occupancies(world)[0]
    item_id = staff_exit(world, (occupancy_id, person_id))
    with world.app.app_context():
        from pwa.models import Person

        person = db.session.get(Person, person_id)
        name, masked = person.name, person.id_number_masked
    html = page(client_for(world, "staff"), f"/items/{item_id}")
    assert f"{name}（{masked}）" in html
    [event] = audit_events(world, "personnel.read")
    assert event.object_id == str(person_id) and json.loads(event.detail) == {"item": item_id}
    to_decision(world, item_id)
    approve(world, item_id)
    sheet = page(client_for(world, "clerk"), f"/items/{item_id}/sheet")
    assert name in sheet and masked not in sheet and "关于张家口市教育局人员下编的批复" in sheet


def test_the_staff_entry_sheet_carries_no_id_number(world, clock):
    item_id, id_number = staff_entry(world)
    to_decision(world, item_id)
    approve(world, item_id)
    assert snapshot(world, item_id)["state"] is ItemState.COMPLETED
    html = page(client_for(world, "clerk"), f"/items/{item_id}/sheet")
    assert "关于张家口市教育局人员上编的批复" in text_of(html)
    assert id_number not in html and idnumber.mask(id_number) not in html
    assert id_number[6:14] not in html  # not even the birth date part
