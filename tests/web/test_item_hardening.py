"""What review found: no 500 on ids beyond the database's integers or on NUL bytes, no ID
numbers in free text, a clerk never sees the office's 数据查询签批 about their unit, every
item step is in the audit log, and 审核 and 审批 of one item are different people's."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from pwa.domain import idnumber
from pwa.domain.items import payloads as p
from pwa.domain.items import service
from pwa.extensions import db
from pwa.models import AuditEvent, EntryMode, Funding, ItemType, QuotaKind
from tests.auth_helpers import Clock, csrf_from, sign_in
from tests.item_helpers import World, make_world, new_key
from tests.pagecheck import PageCheckingClient

HUGE = "99999999999999999999"


@pytest.fixture
def world(seeded_app: Flask) -> World:
    seeded_app.test_client_class = PageCheckingClient
    Clock(seeded_app, datetime(2026, 6, 1, 2, tzinfo=UTC))
    return make_world(seeded_app)


def client_for(world: World, name: str):
    client = world.app.test_client()
    sign_in(client, world.app, world.ids[name])
    return client


def _quota_use(world: World, reason: str = "补充执法力量") -> service.Draft:
    return service.Draft(
        ItemType.QUOTA_USE,
        world.unit_id,
        p.QuotaUse(
            QuotaKind.ADMINISTRATIVE, Funding.FULL, 1, EntryMode.CIVIL_SERVICE_EXAM, "科员", reason
        ),
    )


@pytest.mark.parametrize(
    "path",
    [
        f"/items/{HUGE}",
        f"/items/{HUGE}/sheet",
        f"/items/{HUGE}/edit",
        f"/units/{HUGE}",
        f"/items?unit={HUGE}",
        f"/items?page={HUGE}",
        f"/items/1/attachments/{HUGE}",
        "/items?unit=-1",
    ],
)
def test_ids_beyond_the_database_range_are_not_found_not_errors(world, path):
    response = client_for(world, "staff").get(path)
    assert response.status_code in (200, 404), (path, response.status_code)


def test_posted_huge_numbers_and_nul_bytes_are_refused_cleanly(world):
    item = world.run(
        service.create,
        world.who("clerk"),
        _quota_use(world),
        idempotency_key=new_key(),
        submit=True,
    )
    staff = client_for(world, "staff")
    html = staff.get(f"/items/{item.id}").get_data(as_text=True)
    token = csrf_from(html)
    for data in (
        {"csrf_token": token, "to": HUGE},
        {"csrf_token": token, "to": "1", "comment": "转交\x00"},
    ):
        response = staff.post(f"/items/{item.id}/transfer", data=data)
        assert response.status_code < 500, data
    response = staff.post("/items/batch/review", data={"csrf_token": token, "item": [HUGE, "x"]})
    assert response.status_code < 500
    assert staff.get("/search?q=%00").status_code == 400


def test_free_text_may_not_carry_an_id_number(world):
    number = idnumber.make("130702", date(1990, 1, 1), 17)
    with pytest.raises(service.ItemError):
        world.run(
            service.create,
            world.who("clerk"),
            _quota_use(world, reason=f"拟录用 {number}"),
            idempotency_key=new_key(),
            submit=True,
        )
    item = world.run(
        service.create,
        world.who("clerk"),
        _quota_use(world),
        idempotency_key=new_key(),
        submit=True,
    )
    staff = world.who("staff")
    item = world.run(service.accept, staff, item.id, expected_version=item.version)
    item = world.run(service.begin_review, staff, item.id, expected_version=item.version)
    with pytest.raises(service.ItemError):
        world.run(
            service.return_for_correction,
            staff,
            item.id,
            comment=f"请核对{number}的学历",
            expected_version=item.version,
        )


def test_a_clerk_does_not_see_the_offices_data_query_about_their_unit(world):
    draft = service.Draft(
        ItemType.DATA_QUERY,
        world.unit_id,
        p.DataQuery("核查在编情况", "本单位全部在编人员", 200, 7, "专项核查需要"),
    )
    item = world.run(
        service.create, world.who("staff"), draft, idempotency_key=new_key(), submit=True
    )
    assert client_for(world, "clerk").get(f"/items/{item.id}").status_code == 404
    listing = client_for(world, "clerk").get(f"/units/{world.unit_id}/items")
    assert f"/items/{item.id}" not in listing.get_data(as_text=True)
    assert client_for(world, "leader").get(f"/items/{item.id}").status_code == 200


def test_every_item_step_is_audited_with_the_actor(world):
    clerk = client_for(world, "clerk")
    item = world.run(
        service.create,
        world.who("clerk"),
        _quota_use(world),
        idempotency_key=new_key(),
        submit=True,
    )
    staff = client_for(world, "staff")
    html = staff.get(f"/items/{item.id}").get_data(as_text=True)
    response = staff.post(
        f"/items/{item.id}/accept",
        data={"csrf_token": csrf_from(html), "expected_version": str(item.version)},
    )
    assert response.status_code == 303
    assert clerk.get(f"/items/{item.id}").status_code == 200
    with world.app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "item", AuditEvent.object_id == str(item.id)
            )
        ).all()
    accepted = [e for e in events if e.event == "item.step.accept"]
    assert len(accepted) == 1
    assert accepted[0].account_id == world.ids["staff"] and accepted[0].request_id


def test_the_reviewer_cannot_also_decide_through_a_delegation(world):
    item = world.run(
        service.create,
        world.who("clerk"),
        _quota_use(world),
        idempotency_key=new_key(),
        submit=True,
    )
    item = world.to_decision(item)  # reviewed by "staff"
    today = world.ctx().clock.today
    world.run(
        service.delegate,
        world.who("leader"),
        to_account_id=world.ids["staff"],
        starts_on=today,
        ends_on=today,
        note="出差",
    )
    seen = world.read(lambda s: service.version_hash(s.get(service.Item, item.id)))
    with pytest.raises(service.NotAllowed):
        world.run(
            service.decide,
            world.who("staff"),
            item.id,
            verdict=service.Verdict.APPROVE,
            comment="",
            version_hash_seen=seen,
            signed_with="totp",
        )


def test_the_reviewer_can_send_an_item_to_the_committee(world):
    item = world.run(
        service.create,
        world.who("clerk"),
        _quota_use(world),
        idempotency_key=new_key(),
        submit=True,
    )
    staff_who = world.who("staff")
    item = world.run(service.accept, staff_who, item.id, expected_version=item.version)
    item = world.run(service.begin_review, staff_who, item.id, expected_version=item.version)
    staff = client_for(world, "staff")
    html = staff.get(f"/items/{item.id}").get_data(as_text=True)
    assert 'name="committee"' in html
    response = staff.post(
        f"/items/{item.id}/forward",
        data={
            "csrf_token": csrf_from(html),
            "expected_version": str(item.version),
            "committee": "y",
        },
    )
    assert response.status_code == 303
    item = world.read(lambda s: service.get_visible(s, world.who("staff"), item.id))
    assert item.committee
    item = world.opinions(item)
    seen = world.read(lambda s: service.version_hash(s.get(service.Item, item.id)))
    outcome = world.run(
        service.decide,
        world.who("leader"),
        item.id,
        verdict=service.Verdict.APPROVE,
        comment="",
        version_hash_seen=seen,
        signed_with="totp",
    )
    assert outcome.next_stage is service.TaskStage.DECIDE_DIRECTOR


def test_the_applicant_is_told_about_items_returned_for_correction(world):
    item = world.run(
        service.create,
        world.who("clerk"),
        _quota_use(world),
        idempotency_key=new_key(),
        submit=True,
    )
    staff = world.who("staff")
    item = world.run(service.accept, staff, item.id, expected_version=item.version)
    world.run(
        service.return_for_correction,
        staff,
        item.id,
        comment="请补充岗位说明",
        expected_version=item.version,
    )
    clerk = client_for(world, "clerk")
    home = clerk.get("/").get_data(as_text=True)
    assert "待补正" in home
    mine = clerk.get("/items?box=mine").get_data(as_text=True)
    assert "1 项待补正" in mine  # the badge on 我发起的
    todo = clerk.get("/items?box=todo").get_data(as_text=True)
    assert "被退回补正" in todo  # and a pointer from the other tabs
    assert "待补正" not in client_for(world, "staff").get("/items").get_data(as_text=True)


def test_joint_reviewers_do_not_see_attachment_names(world):
    item = world.run(
        service.create,
        world.who("clerk"),
        _quota_use(world),
        idempotency_key=new_key(),
        submit=False,
    )
    world.run(
        service.attach,
        world.who("clerk"),
        item.id,
        filename="张三人事档案.pdf",
        content_type="application/pdf",
        size=1024,
        sha256="0" * 64,
    )
    item = world.read(lambda s: s.get(service.Item, item.id))
    item = world.run(service.submit, world.who("clerk"), item.id, expected_version=item.version)
    staff = world.who("staff")
    item = world.run(service.accept, staff, item.id, expected_version=item.version)
    item = world.run(service.begin_review, staff, item.id, expected_version=item.version)
    world.run(service.forward, staff, item.id, comment="", expected_version=item.version)
    reviewer = client_for(world, "czj").get(f"/items/{item.id}").get_data(as_text=True)
    assert "张三人事档案" not in reviewer and "仅申报人和编办可查看" in reviewer
    office = client_for(world, "leader").get(f"/items/{item.id}").get_data(as_text=True)
    assert "张三人事档案" in office
