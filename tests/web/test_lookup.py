"""Unit cards, browsing, pins and the personnel screens, role by role, on the demo city."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from auth.roles import Role
from pwa.domain import idnumber
from pwa.domain.quota import summarize, unit_positions
from pwa.extensions import db
from pwa.models import AuditEvent, Occupancy, Person, Region, Unit
from tests.auth_helpers import csrf_from, make_account, sign_in
from tests.conftest import AS_OF

MASKED = re.compile(r"\d{6}\*{8}\d{3}[\dX]")


@pytest.fixture
def city(seeded_app):
    """Ids of a few places in the tiny demo city."""
    with seeded_app.app_context():
        s = db.session
        city_id = s.scalar(select(Region.id).where(Region.code == "130700"))
        county_id = s.scalar(select(Region.id).where(Region.code == "130726"))
        education = s.scalar(
            select(Unit.id).where(Unit.short_name == "市教育局", Unit.region_id == city_id)
        )
        county_unit = s.scalar(select(Unit.id).where(Unit.region_id == county_id).limit(1))
        biggest = s.execute(
            select(Occupancy.unit_id)
            .where(Occupancy.exit_date.is_(None))
            .join(Unit, Unit.id == Occupancy.unit_id)
            .where(Unit.region_id == city_id)
            .group_by(Occupancy.unit_id)
            .order_by(__import__("sqlalchemy").func.count().desc())
            .limit(1)
        ).scalar()
        return {
            "city": city_id,
            "county": county_id,
            "education": education,
            "county_unit": county_unit,
            "big": biggest,
        }


class SignedInClients(dict):
    """Signed-in clients by role, each account made on first use."""

    def __init__(self, app):
        super().__init__()
        self.app = app

    def __missing__(self, role):
        if role == "county":
            account_id, _ = make_account(
                self.app, "tcounty", Role.OFFICE_STAFF, region_code="130726"
            )
        else:
            unit_id = None
            if role is Role.UNIT_CLERK:
                with self.app.app_context():
                    unit_id = db.session.scalar(
                        select(Unit.id).where(Unit.short_name == "市教育局")
                    )
            account_id, _ = make_account(
                self.app, f"t{role.value.replace('_', '')}"[:30], role, unit_id=unit_id
            )
        client = self.app.test_client()
        sign_in(client, self.app, account_id)
        self[role] = client
        return client


@pytest.fixture
def people(seeded_app):
    return SignedInClients(seeded_app)


def names_in_unit(app, unit_id):
    with app.app_context():
        return set(
            db.session.scalars(
                select(Person.name)
                .join(Occupancy, Occupancy.person_id == Person.id)
                .where(Occupancy.unit_id == unit_id)
            )
        )


def test_unit_card_shows_the_quota_module_figures(seeded_app, people, city):
    response = people[Role.OFFICE_STAFF].get(f"/units/{city['big']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    with seeded_app.app_context():
        positions = unit_positions(db.session, city["big"], AS_OF)
    total = summarize(positions)
    for p in positions:
        assert f'<dd class="app-stat__value">{p.approved}</dd>' in html
        assert f'<dd class="app-stat__value">{p.actual}</dd>' in html
    assert total.approved > 0
    assert "编制台账" in html and "内设机构" in html and "主要职责" in html


def test_unit_card_is_marked_cacheable_and_holds_no_personal_data(seeded_app, people, city):
    response = people[Role.OFFICE_STAFF].get(f"/units/{city['big']}")
    html = response.get_data(as_text=True)
    assert response.headers["X-Offline-Cache"] == "unit-card"
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "csrf" not in html.lower()
    assert not MASKED.search(html) and not idnumber.find_valid_numbers(html)
    leaked = [name for name in names_in_unit(seeded_app, city["big"]) if name in html]
    assert leaked == []


@pytest.mark.parametrize(
    "url",
    [
        "/units/{education}",
        "/units/{education}/people",
        "/units/{education}/pin",
        "/browse/regions/{city}",
    ],
)
def test_out_of_jurisdiction_is_404_for_pages_and_fragments(people, city, url):
    county = people["county"]
    target = url.format(**city)
    assert county.get(target).status_code == 404
    assert county.get(target, headers={"HX-Request": "true"}).status_code == 404


def test_county_staff_sees_county_units_only(people, city):
    county = people["county"]
    assert county.get(f"/units/{city['county_unit']}").status_code == 200
    assert county.get(f"/units/{city['education']}").status_code == 404
    tree = county.get("/browse").get_data(as_text=True)
    assert "蔚县" in tree and "桥东区" not in tree


@pytest.mark.parametrize(
    "url",
    [
        "/units/0",
        "/units/99999999",
        "/units/abc",
        "/units/1.5",
        "/units/-1",
        "/people/99999999",
        "/units/99999999/people",
    ],
)
def test_malformed_or_missing_ids_are_404(people, url):
    assert people[Role.OFFICE_STAFF].get(url).status_code == 404


def test_unit_clerk_sees_only_their_unit_and_no_people(people, city):
    clerk = people[Role.UNIT_CLERK]
    assert clerk.get(f"/units/{city['education']}").status_code == 200
    other = city["county_unit"]
    assert clerk.get(f"/units/{other}").status_code == 404
    assert clerk.get(f"/units/{city['education']}/people").status_code == 403


ROLE_VIEWS = {
    # role: (card, people list, leadership section on card, ID numbers on people pages)
    Role.OFFICE_STAFF: (200, 200, True, True),
    Role.OFFICE_LEADER: (200, 200, True, True),
    Role.ORG_REVIEWER: (200, 200, True, False),
    Role.FINANCE_REVIEWER: (200, 403, False, False),
    Role.HR_REVIEWER: (200, 403, False, False),
    Role.SYSTEM_ADMIN: (403, 403, False, False),
    Role.SECURITY_ADMIN: (403, 403, False, False),
    Role.AUDIT_ADMIN: (403, 403, False, False),
}


@pytest.mark.parametrize("role", list(ROLE_VIEWS))
def test_remit_matrix(seeded_app, people, city, role):
    card_status, people_status, leadership, id_numbers = ROLE_VIEWS[role]
    client = people[role]
    card = client.get(f"/units/{city['big']}")
    assert card.status_code == card_status
    if card_status == 200:
        assert ("领导职数" in card.get_data(as_text=True)) is leadership
        assert not [
            n for n in names_in_unit(seeded_app, city["big"]) if n in card.get_data(as_text=True)
        ]
    listing = client.get(f"/units/{city['big']}/people")
    assert listing.status_code == people_status
    if people_status == 200:
        html = listing.get_data(as_text=True)
        assert bool(MASKED.search(html)) is id_numbers
        assert not idnumber.find_valid_numbers(html)
        assert listing.headers["Cache-Control"] == "no-store"
    unmask = client.get("/people/1/id-number")
    assert unmask.status_code in ((403,) if not id_numbers else (200, 404))


def test_organisation_department_sees_leaders_only(seeded_app, people, city):
    zzb = people[Role.ORG_REVIEWER]
    html = zzb.get(f"/units/{city['big']}/people").get_data(as_text=True)
    shown = set(re.findall(r'href="/people/(\d+)"', html))
    assert shown and "领导" in html
    with seeded_app.app_context():
        everyone = set(
            db.session.scalars(
                select(Occupancy.person_id).where(
                    Occupancy.unit_id == city["big"], Occupancy.exit_date.is_(None)
                )
            )
        )
    non_leader = next(iter({str(p) for p in everyone} - shown))
    assert zzb.get(f"/people/{non_leader}").status_code == 404
    leader_page = zzb.get(f"/people/{next(iter(shown))}").get_data(as_text=True)
    assert "身份证号" not in leader_page and not MASKED.search(leader_page)


def test_personnel_pages_are_paginated_at_most_50(people, city):
    staff = people[Role.OFFICE_STAFF]
    first = staff.get(f"/units/{city['big']}/people").get_data(as_text=True)
    rows = len(re.findall(r'href="/people/\d+"', first))
    assert 0 < rows <= 50
    assert staff.get(f"/units/{city['big']}/people?page=999").status_code == 200
    assert staff.get(f"/units/{city['big']}/people?page=abc").status_code == 200
    fragment = staff.get(
        f"/units/{city['big']}/people?page=1", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "<html" not in fragment and 'href="/people/' in fragment


def test_every_personnel_read_is_audited_without_values(seeded_app, people, city):
    staff = people[Role.OFFICE_STAFF]
    staff.get(f"/units/{city['big']}/people")
    with seeded_app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert events[-1].event == "personnel.list"
    assert events[-1].object_id == str(city["big"]) and events[-1].request_id


def test_audit_failure_means_no_personnel_data(seeded_app, people, city, monkeypatch):
    from pwa.domain import audit

    def broken(*args, **kwargs):
        raise audit.AuditUnavailable("disk full")

    monkeypatch.setattr(audit, "record", broken)
    response = people[Role.OFFICE_STAFF].get(f"/units/{city['big']}/people")
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert not [n for n in names_in_unit(seeded_app, city["big"]) if n in html]


def test_pin_and_unpin(people, city):
    staff = people[Role.OFFICE_STAFF]
    page = staff.get(f"/units/{city['big']}/pin").get_data(as_text=True)
    assert (
        staff.post(f"/units/{city['big']}/pin", data={"csrf_token": csrf_from(page)}).status_code
        == 302
    )
    assert "已固定 · 管理" in staff.get(f"/units/{city['big']}").get_data(as_text=True)
    page = staff.get(f"/units/{city['big']}/pin").get_data(as_text=True)
    assert (
        staff.post(f"/units/{city['big']}/unpin", data={"csrf_token": csrf_from(page)}).status_code
        == 302
    )
    assert "固定以备核查" in staff.get(f"/units/{city['big']}").get_data(as_text=True)
    county = people["county"]
    page = county.get(f"/units/{city['county_unit']}/pin").get_data(as_text=True)
    assert (
        county.post(f"/units/{city['big']}/pin", data={"csrf_token": csrf_from(page)}).status_code
        == 404
    )


def test_browse_tree_and_region_pages(people, city):
    staff = people[Role.OFFICE_STAFF]
    tree = staff.get("/browse").get_data(as_text=True)
    assert "张家口市" in tree and "蔚县" in tree
    region = staff.get(f"/browse/regions/{city['city']}").get_data(as_text=True)
    assert "市教育局" in region and "政府工作部门" in region


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "教" * 500,
        "🏛️教育",
        "ｊｙｊ",
        "教育局' OR 1=1 --",
        "<script>alert(1)</script>",
        '"*NEAR:',
        "%_%",
        "\u3000",
        "13070219850101",
        "𠀋",
    ],
)
def test_any_query_returns_a_normal_page(people, query):
    staff = people[Role.OFFICE_STAFF]
    response = staff.get("/search", query_string={"q": query})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html
    fragment = staff.get("/search", query_string={"q": query}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)


def test_search_finds_by_hanzi_and_initials_within_scope(people, city):
    staff, county = people[Role.OFFICE_STAFF], people["county"]
    hanzi = staff.get("/search?q=教育").get_data(as_text=True)
    assert "张家口市教育局" in hanzi and "蔚县教育局" in hanzi
    initials = staff.get("/search?q=jyj").get_data(as_text=True)
    assert "教育局" in initials
    own = county.get("/search?q=教育").get_data(as_text=True)
    assert "蔚县教育局" in own and "张家口市教育局" not in own


def test_search_results_carry_kind_rank_region_and_badge(people):
    html = people[Role.OFFICE_STAFF].get("/search?q=市教育局").get_data(as_text=True)
    first = html.split('class="app-list__item"', 2)[1]
    assert "张家口市教育局" in first and "政府工作部门" in first and "正处级" in first
    assert re.search(r"app-badge--(vacant|full|over)", first)


def test_an_id_number_typed_into_unit_search_is_not_searched_and_leaves_the_url(seeded_app, people):
    from pwa.domain.personnel import ID_CONTEXT
    from pwa.extensions import secrets

    with seeded_app.app_context():
        blob = db.session.scalar(select(Person.id_number_ciphertext).limit(1))
        number = secrets.cipher.decrypt(blob, ID_CONTEXT)
    staff = people[Role.OFFICE_STAFF]
    response = staff.get(f"/search?q={number}")
    assert response.status_code == 302 and response.location == "/search"
    swap = staff.get(f"/search?q={number}", headers={"HX-Request": "true"})
    assert swap.headers["HX-Redirect"] == "/search" and number not in swap.get_data(as_text=True)
    assert "按身份证号查找人员" in staff.get("/search").get_data(as_text=True)
