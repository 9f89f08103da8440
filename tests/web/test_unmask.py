"""Unmasking an ID number (step-up, reason, audit, once) and exact ID-number search."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from auth.roles import Role
from pwa.domain import idnumber
from pwa.domain.personnel import ID_CONTEXT
from pwa.extensions import db, secrets
from pwa.models import AuditEvent, Occupancy, Person, Region, Unit
from tests.auth_helpers import Clock, csrf_from, login, make_account

START = __import__("datetime").datetime(2026, 6, 1, 2, 0, 5, tzinfo=__import__("datetime").UTC)


@pytest.fixture
def clock(seeded_app):
    return Clock(seeded_app, START)


@pytest.fixture
def staff(seeded_app, clock):
    _id, secret = make_account(seeded_app, "staff", Role.OFFICE_STAFF)
    client = seeded_app.test_client()
    login(client, "staff", secret, clock)
    client.secret = secret
    return client


def person_in(app, region_code):
    with app.app_context():
        row = db.session.execute(
            select(Person.id, Person.id_number_ciphertext)
            .join(Occupancy, Occupancy.person_id == Person.id)
            .join(Unit, Unit.id == Occupancy.unit_id)
            .join(Region, Region.id == Unit.region_id)
            .where(Region.code == region_code, Occupancy.exit_date.is_(None))
            .limit(1)
        ).one()
        return row.id, secrets.cipher.decrypt(row.id_number_ciphertext, ID_CONTEXT)


def unmask_form(client, person_id):
    html = client.get(f"/people/{person_id}/id-number").get_data(as_text=True)
    challenge = re.search(r'name="challenge" type="hidden" value="([^"]+)"', html).group(1)
    return html, challenge


def test_unmask_needs_code_and_reason_and_shows_the_number_once(seeded_app, staff, clock):
    person_id, number = person_in(seeded_app, "130700")
    detail = staff.get(f"/people/{person_id}").get_data(as_text=True)
    assert idnumber.mask(number) in detail and number not in detail

    html, challenge = unmask_form(staff, person_id)
    no_reason = staff.post(
        f"/people/{person_id}/id-number",
        data={
            "csrf_token": csrf_from(html),
            "challenge": challenge,
            "code": clock.code(staff.secret),
            "reason": "",
        },
    )
    assert no_reason.status_code == 400
    assert "请写明查看完整身份证号的理由" in no_reason.get_data(as_text=True)
    assert number not in no_reason.get_data(as_text=True)

    # The code was not spent on the incomplete form: it still works with a reason.
    html, challenge = unmask_form(staff, person_id)
    shown = staff.post(
        f"/people/{person_id}/id-number",
        data={
            "csrf_token": csrf_from(html),
            "challenge": challenge,
            "code": clock.code(staff.secret),
            "reason": "核对入编材料",
        },
    )
    assert shown.status_code == 200
    assert number in shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "no-store"

    with seeded_app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.event == "personnel.unmask", AuditEvent.outcome == "ok"
            )
        ).one()
        assert event.object_id == str(person_id) and "核对入编材料" in event.detail
        everything = " ".join(
            f"{e.detail} {e.object_id}" for e in db.session.scalars(select(AuditEvent))
        )
        assert number not in everything

    # The same challenge and code cannot show it again.
    again = staff.post(
        f"/people/{person_id}/id-number",
        data={
            "csrf_token": csrf_from(html),
            "challenge": challenge,
            "code": clock.code(staff.secret),
            "reason": "再看一次",
        },
    )
    assert again.status_code == 400 and number not in again.get_data(as_text=True)


def test_wrong_code_reveals_nothing(seeded_app, staff, clock):
    person_id, number = person_in(seeded_app, "130700")
    html, challenge = unmask_form(staff, person_id)
    wrong = "000000" if clock.code(staff.secret) != "000000" else "111111"
    response = staff.post(
        f"/people/{person_id}/id-number",
        data={
            "csrf_token": csrf_from(html),
            "challenge": challenge,
            "code": wrong,
            "reason": "核对材料",
        },
    )
    assert response.status_code == 400
    assert "动态码不正确" in response.get_data(as_text=True)
    assert number not in response.get_data(as_text=True)


def test_find_by_id_number_posts_and_stays_in_scope(seeded_app, staff, clock):
    person_id, number = person_in(seeded_app, "130700")
    page = staff.get("/people/find").get_data(as_text=True)
    found = staff.post(
        "/people/find", data={"csrf_token": csrf_from(page), "id_number": number.lower()}
    )
    assert found.status_code == 200
    assert f"/people/{person_id}/id-number" in found.get_data(as_text=True)
    assert number not in found.request.url
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    invalid = staff.post("/people/find", data={"csrf_token": csrf_from(page), "id_number": bad})
    assert invalid.status_code == 400 and "校验位" in invalid.get_data(as_text=True)
    assert staff.get(f"/people/find?id_number={number}").status_code == 200  # GET never searches

    county_id, county_secret = make_account(
        seeded_app, "county", Role.OFFICE_STAFF, region_code="130726"
    )
    county = seeded_app.test_client()
    login(county, "county", county_secret, clock)
    page = county.get("/people/find").get_data(as_text=True)
    outside = county.post("/people/find", data={"csrf_token": csrf_from(page), "id_number": number})
    if person_in(seeded_app, "130726")[0] != person_id:
        assert outside.status_code == 404 and "未找到" in outside.get_data(as_text=True)
    with seeded_app.app_context():
        outcomes = [
            e.outcome
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.event == "personnel.find")
            )
        ]
    assert outcomes == ["found", "invalid", "not_found"]


def test_organisation_department_cannot_unmask_or_search(seeded_app, clock):
    _id, secret = make_account(seeded_app, "zzb", Role.ORG_REVIEWER)
    zzb = seeded_app.test_client()
    login(zzb, "zzb", secret, clock)
    assert zzb.get("/people/1/id-number").status_code == 403
    assert zzb.get("/people/find").status_code == 403
