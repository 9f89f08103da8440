"""The approver's inbox (the main phone screen) and the home page's summary: boxes per role,
badges, filters, overdue marking, 编委 agenda, pagination, htmx fragments and scope."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from auth.roles import Role
from pwa.domain.items import payloads as p
from pwa.domain.items import service
from pwa.models import Funding, ItemType, QuotaKind, TaskStage
from tests.auth_helpers import Clock
from tests.item_helpers import World, make_world, new_key
from tests.pagecheck import PageCheckingClient
from tests.web.test_approvals import (
    JOINT_REVIEWER,
    START,
    add_account,
    approve,
    client_for,
    open_occupancies,
    page,
    quota_use,
    snapshot,
    staff_exit,
    text_of,
    to_decision,
    to_joint_review,
)


@pytest.fixture
def clock(seeded_app: Flask) -> Clock:
    seeded_app.test_client_class = PageCheckingClient
    return Clock(seeded_app, START)


@pytest.fixture
def world(seeded_app: Flask, clock: Clock) -> World:
    return make_world(seeded_app)


def links(html: str) -> set[int]:
    """The items listed (links to item pages) in an inbox page or fragment."""
    return {int(i) for i in re.findall(r'href="/items/(\d+)"', html)}


def tabs(html: str) -> list[str]:
    nav = re.search(r'<nav class="app-tabs".*?</nav>', html, re.S).group(0)
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", t)).strip()
        for t in re.findall(r'<a class="app-tabs__link[^"]*"[^>]*>(.*?)</a>', nav, re.S)
    ]


def current_tab(html: str) -> str:
    link = re.search(
        r'<a class="app-tabs__link app-tabs__link--current"[^>]*>(.*?)</a>', html, re.S
    )
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", link.group(1))).strip()


def test_each_role_finds_its_work_in_its_boxes(world, clock):
    item_id = quota_use(world)
    staff, clerk = client_for(world, "staff"), client_for(world, "clerk")

    html = page(staff, "/items")
    assert tabs(html) == ["待我审批 1", "我已处理", "我发起的", "抄送我的", "编委议程"]
    assert current_tab(html) == "待我审批 1"
    assert item_id in links(html)
    assert "编办受理审核" in html and "已提交" in html
    assert "期限 2026-06-06" in html

    html = page(clerk, "/items")  # a clerk lands on what they declared
    assert current_tab(html) == "我发起的"
    assert "编委议程" not in tabs(html)
    assert item_id in links(html)
    assert item_id not in links(page(clerk, "/items?box=todo"))
    assert "没有待您办理的事项" in page(clerk, "/items?box=todo")

    route = to_joint_review(world, item_id)
    assert item_id not in links(page(staff, "/items?box=todo"))
    assert item_id in links(page(staff, "/items?box=done"))
    finance = client_for(world, "czj")
    html = page(finance, "/items")
    assert tabs(html) == ["待我审批 1", "我已处理", "我发起的", "抄送我的"]
    assert item_id in links(html) and "财政局联审" in html

    for stage in route:  # every department's opinion
        world.run(
            service.give_opinion,
            world.who(JOINT_REVIEWER[stage]),
            item_id,
            agree=True,
            comment="",
            expected_version=snapshot(world, item_id)["version"],
        )
    assert item_id in links(page(finance, "/items?box=done"))
    leader = client_for(world, "leader")
    html = page(leader, "/items")
    assert item_id in links(html) and "分管领导审批" in html and "待决定" in html

    approve(world, item_id)
    assert item_id not in links(page(leader, "/items?box=todo"))
    assert item_id in links(page(leader, "/items?box=done"))
    assert item_id in links(page(clerk, "/items?box=mine"))
    assert "已批准" in page(clerk, "/items?box=mine")
    # 用编 approvals are copied to 人社局, which then may open the item.
    hr = client_for(world, "rsj")
    assert item_id in links(page(hr, "/items?box=copied"))
    assert hr.get(f"/items/{item_id}").status_code == 200


def test_overdue_marking_filters_and_fragments(world, clock):
    use_id = quota_use(world)
    exit_id = staff_exit(world, open_occupancies(world)[0])
    with world.app.app_context():
        from sqlalchemy import select

        from pwa.extensions import db
        from pwa.models import Unit

        other_unit = db.session.scalar(
            select(Unit.id)
            .where(
                Unit.id != world.unit_id,
                Unit.region_id
                == select(Unit.region_id).where(Unit.id == world.unit_id).scalar_subquery(),
            )
            .limit(1)
        )
        other_name = db.session.get(Unit, other_unit).short_name
    adjust = service.Draft(
        ItemType.QUOTA_ADJUST,
        other_unit,
        p.QuotaAdjust(QuotaKind.ADMINISTRATIVE, Funding.FULL, 1, "新增职能"),
    )
    adjust_id = world.run(
        service.create, world.who("staff2"), adjust, idempotency_key=new_key(), submit=True
    ).id
    clock.advance(days=6)  # the intake step has five days
    staff = client_for(world, "staff")

    html = page(staff, "/items")
    assert links(html) >= {use_id, exit_id, adjust_id}
    assert html.count("已逾期</span>") == 3
    assert "其中 3 项已逾期" in html
    assert "app-inbox__row--overdue" in html

    assert links(page(staff, "/items?box=todo&due=overdue")) >= {use_id, exit_id, adjust_id}
    assert not links(page(staff, "/items?box=todo&due=soon")) & {use_id, exit_id, adjust_id}
    html = page(staff, "/items?box=todo&type=staff_exit")
    assert exit_id in links(html) and use_id not in links(html)
    assert 'value="staff_exit" selected' in html and "清除筛选" in html
    html = page(staff, f"/items?box=todo&unit={other_unit}")
    assert adjust_id in links(html) and use_id not in links(html)
    options = re.search(r'<select[^>]*id="filter-unit".*?</select>', page(staff, "/items"), re.S)
    assert "市教育局" in options.group(0) and other_name in options.group(0)

    # The filter form is a plain GET that htmx enhances; the fragment is the result list only.
    form = re.search(r"<form[^>]*hx-get[^>]*>", page(staff, "/items"), re.S).group(0)
    assert 'method="get"' in form and 'hx-target="#inbox-results"' in form
    assert 'hx-push-url="true"' in form
    fragment = staff.get("/items?box=todo&type=staff_exit", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and "<h1" not in body
    assert exit_id in links(body) and use_id not in links(body)
    assert "没有符合筛选条件的事项" in page(staff, "/items?box=todo&type=data_query")

    home = text_of(page(staff, "/"))
    assert re.search(r"3\s*待我审批", home) and re.search(r"3\s*已逾期", home)
    assert "机构编制概览" in home  # the overview stays below


def test_urged_and_flagged_items_are_marked(world, clock):
    flagged = quota_use(world, count=2)  # more than the one vacant place: flagged
    world.run(service.urge, world.who("clerk"), flagged)
    html = text_of(page(client_for(world, "staff"), "/items"))
    assert "校验未通过" in html and "催办 1 次" in html


def test_the_committee_agenda_for_the_office(world, clock):
    item_id = world.run(
        service.create,
        world.who("staff"),
        service.Draft(
            ItemType.QUOTA_ADJUST,
            world.unit_id,
            p.QuotaAdjust(QuotaKind.ADMINISTRATIVE, Funding.FULL, 2, "承担新增职能"),
        ),
        idempotency_key=new_key(),
        submit=True,
    ).id
    to_decision(world, item_id, reviewer="staff2")
    approve(world, item_id, "leader")
    approve(world, item_id, "director")
    assert snapshot(world, item_id)["open"] == [TaskStage.COMMITTEE]
    for name in ("leader", "staff2"):
        html = page(client_for(world, name), "/items?box=agenda")
        assert item_id in links(html) and "编委会议审议" in html
        assert "编委议程 1" in tabs(html)
    director = client_for(world, "director")
    assert item_id in links(page(director, "/items?box=todo"))
    home = text_of(page(director, "/"))
    assert re.search(r"1\s*编委议程", home)
    # Joint reviewers have no agenda.
    assert "编委议程" not in page(client_for(world, "czj"), "/")
    assert item_id not in links(page(client_for(world, "czj"), "/items?box=agenda"))


def test_pagination_keeps_the_filters(world, clock):
    occupancy = open_occupancies(world)[0]
    ids = [staff_exit(world, occupancy) for _ in range(31)]
    staff = client_for(world, "staff")
    first = page(staff, "/items?box=todo&type=staff_exit")
    assert "共 31 项" in first and "第 1 / 2 页" in first
    assert len(links(first) & set(ids)) == 30
    next_url = re.search(r'href="([^"]*page=2[^"]*)"', first).group(1).replace("&amp;", "&")
    assert "type=staff_exit" in next_url and "box=todo" in next_url
    second = page(staff, next_url)
    assert len(links(second) & set(ids)) == 1 and "上一页" in second
    beyond = page(staff, "/items?box=todo&type=staff_exit&page=99")  # clamped to the last
    assert "第 2 / 2 页" in beyond


def test_nothing_outside_the_jurisdiction_is_listed(world, clock):
    item_id = quota_use(world)
    add_account(world, "county_staff", Role.OFFICE_STAFF, region_code="130726")
    county = client_for(world, "county_staff")
    for box in ("todo", "done", "mine", "copied", "agenda"):
        assert item_id not in links(page(county, f"/items?box={box}"))
    html = page(county, f"/items?box=todo&unit={world.unit_id}")
    assert item_id not in links(html)
    fragment = county.get(f"/items?unit={world.unit_id}", headers={"HX-Request": "true"})
    assert item_id not in links(fragment.get_data(as_text=True))
    assert "市教育局" not in page(county, "/items")
    home = text_of(page(county, "/"))
    assert re.search(r"0\s*待我审批", home)


def test_inbox_and_item_pages_are_never_stored(world, clock):
    item_id = quota_use(world)
    staff = client_for(world, "staff")
    for url in ("/items", f"/items/{item_id}", "/items/batch", "/items/delegations"):
        assert staff.get(url).headers["Cache-Control"] == "no-store", url


def test_admins_have_no_inbox_and_no_summary(world, clock):
    add_account(world, "secadmin", Role.SECURITY_ADMIN)
    admin = client_for(world, "secadmin")
    assert admin.get("/items").status_code == 403
    assert admin.get("/items", headers={"HX-Request": "true"}).status_code == 403
    assert "待我审批" not in page(admin, "/")


def test_bad_filter_values_are_ignored(world, clock):
    item_id = quota_use(world)
    staff = client_for(world, "staff")
    html = page(staff, "/items?box=nonsense&type=nonsense&due=later&page=-3&unit=x")
    assert item_id in links(html)
