"""在线申报 through the pages: choosing, declaring every item type, validation in Chinese,
ID numbers never echoed, idempotency, tampering, 补正, 撤回 and attachments."""

from __future__ import annotations

import io
import logging
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from auth.roles import Role
from pwa.domain import idnumber
from pwa.domain.items import effects, service
from pwa.domain.items import payloads as p
from pwa.domain.personnel import ID_CONTEXT
from pwa.extensions import db, secrets
from pwa.models import (
    AuditEvent,
    EntryMode,
    Funding,
    ItemAttachment,
    ItemState,
    ItemType,
    Occupancy,
    Person,
    QuotaKind,
    QuotaReservation,
    Region,
    Unit,
)
from pwa.models.item import Item
from tests.auth_helpers import csrf_from, make_account, sign_in
from tests.conftest import AS_OF
from tests.item_helpers import make_world, new_key
from tests.pagecheck import PageCheckingClient

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
RECRUIT_BORN = date(1999, 3, 17)
RECRUIT_ID = idnumber.make("130702", RECRUIT_BORN, 871)  # odd sequence: male


@pytest.fixture
def world(seeded_app, tmp_path):
    seeded_app.test_client_class = PageCheckingClient
    seeded_app.instance_path = str(tmp_path / "instance")  # attachments go here
    return make_world(seeded_app)


class Clients(dict):
    """A signed-in client per cast member (tests.item_helpers.CAST), made on first use."""

    def __init__(self, world):
        super().__init__()
        self.world = world

    def __missing__(self, name):
        client = self.world.app.test_client()
        sign_in(client, self.world.app, self.world.ids[name])
        self[name] = client
        return client


@pytest.fixture
def clients(world):
    return Clients(world)


# -- helpers ------------------------------------------------------------------------------


def items_count(world) -> int:
    return world.read(lambda s: s.scalar(select(func.count()).select_from(Item)))


def get_item(world, item_id) -> Item:
    with world.app.app_context():
        item = db.session.get(Item, item_id)
        db.session.expunge(item)
        return item


def idempotency_key(html: str) -> str:
    return re.search(r'name="idempotency_key"[^>]*value="([0-9a-f]*)"', html).group(1)


def version_of(html: str) -> str:
    return re.search(r'name="version"[^>]*value="(\d*)"', html).group(1)


def open_form(client, item_type, unit_id=None):
    url = f"/items/new?type={item_type.value}" + (f"&unit={unit_id}" if unit_id else "")
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    return html, {
        "csrf_token": csrf_from(html),
        "idempotency_key": idempotency_key(html),
        "type": item_type.value,
        "unit": str(unit_id or ""),
    }


def declare(client, world, item_type, fields, *, unit_id=None, action="submit"):
    unit_id = unit_id or world.unit_id
    _html, hidden = open_form(client, item_type, unit_id)
    return client.post("/items/new", data={**hidden, **fields, "action": action})


def item_id_from(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    return int(re.search(r"/items/(\d+)", response.location).group(1))


def other_unit_id(world) -> int:
    with world.app.app_context():
        return db.session.scalar(
            select(Unit.id).where(Unit.id != world.unit_id, Unit.abolished_on.is_(None)).limit(1)
        )


def add_reservation(world, granted=2) -> tuple[int, str]:
    with world.app.app_context(), db.write() as s:
        reservation = QuotaReservation(
            unit_id=world.unit_id,
            kind=QuotaKind.ADMINISTRATIVE,
            funding=Funding.FULL,
            granted=granted,
            consumed=0,
            document_number="张编办〔2026〕7号",
            granted_on=AS_OF,
            valid_until=date(2026, 12, 1),
        )
        s.add(reservation)
        s.flush()
        return reservation.id, reservation.document_number


def person_on_establishment(world, unit_id) -> tuple[int, int, str]:
    with world.app.app_context():
        row = db.session.execute(
            select(Occupancy.id, Person.id, Person.id_number_ciphertext)
            .join(Person, Person.id == Occupancy.person_id)
            .where(Occupancy.unit_id == unit_id, Occupancy.exit_date.is_(None))
            .order_by(Occupancy.id)
            .limit(1)
        ).one()
        return row[0], row[1], secrets.cipher.decrypt(row[2], ID_CONTEXT)


def quota_use_fields(**overrides):
    return {
        "kind": "administrative",
        "funding": "full",
        "count": "1",
        "entry_mode": "civil_service_exam",
        "post": "科员",
        "reason": "补充教学管理人员",
        **overrides,
    }


def staff_entry_fields(reservation_id, /, **overrides):
    return {
        "reservation_id": str(reservation_id),
        "id_number": RECRUIT_ID,
        "name": "李明",
        "gender": "male",
        "birth_date": RECRUIT_BORN.isoformat(),
        "education": "bachelor",
        "post": "科员",
        "entry_mode": "civil_service_exam",
        "reason": "公务员招录上编",
        **overrides,
    }


# -- who may declare ----------------------------------------------------------------------


def test_administrators_and_reviewers_cannot_declare(world, clients):
    admin_id, _secret = make_account(world.app, "sysadmin", Role.SYSTEM_ADMIN)
    admin = world.app.test_client()
    sign_in(admin, world.app, admin_id)
    assert admin.get("/items/new").status_code == 403
    for name in ("zzb", "czj", "rsj", "leader", "director"):
        client = clients[name]
        assert client.get("/items/new").status_code == 403, name
        token = csrf_from(client.get("/").get_data(as_text=True))
        posted = client.post(
            "/items/new",
            data={"csrf_token": token, "type": "quota_use", "unit": str(world.unit_id)},
        )
        assert posted.status_code == 403, name
        assert client.get("/items/1/edit").status_code == 403
        assert client.get("/items/1/withdraw").status_code == 403
        for action in ("edit", "submit", "withdraw", "attachments"):
            refused = client.post(f"/items/1/{action}", data={"csrf_token": token})
            assert refused.status_code == 403, (name, action)
    assert items_count(world) == 0


def test_downloads_are_hidden_from_administrators(world, clients):
    item_id = item_id_from(declare(clients["clerk"], world, ItemType.QUOTA_USE, quota_use_fields()))
    admin_id, _secret = make_account(world.app, "secadmin", Role.SECURITY_ADMIN)
    admin = world.app.test_client()
    sign_in(admin, world.app, admin_id)
    assert admin.get(f"/items/{item_id}/attachments/1").status_code == 404


def test_a_clerk_declares_for_their_own_unit_only(world, clients):
    clerk = clients["clerk"]
    page = clerk.get("/items/new")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for allowed in ("用编申请", "人员上编", "人员下编", "机构调整", "编制调整", "职数核定"):
        assert allowed in html
    assert "机构设立" not in html and "数据查询签批" not in html
    assert f"unit={world.unit_id}&amp;type=quota_use" in html
    other = other_unit_id(world)
    assert clerk.get(f"/items/new?unit={other}").status_code == 404
    assert clerk.get(f"/items/new?unit={other}&type=quota_use").status_code == 404
    assert clerk.get("/items/new?type=unit_establish").status_code == 404
    assert clerk.get("/items/new?type=nonsense").status_code == 404
    form = clerk.get("/items/new?type=quota_use").get_data(as_text=True)
    assert "提交编委会议" not in form  # only the office puts items on the agenda
    assert "保存草稿" in form and "空编" in form


def test_office_staff_choose_the_unit_first(world, clients):
    staff = clients["staff"]
    html = staff.get("/items/new").get_data(as_text=True)
    assert "选择单位" in html and 'name="q"' in html
    found = staff.get("/items/new?q=教育&type=quota_adjust").get_data(as_text=True)
    assert f"/items/new?unit={world.unit_id}&amp;type=quota_adjust" in found
    staff.get(f"/units/{world.unit_id}")  # a unit card seen recently is offered
    recent = staff.get("/items/new?type=quota_use").get_data(as_text=True)
    assert "最近查看的单位" in recent
    assert f"/items/new?unit={world.unit_id}&amp;type=quota_use" in recent
    types = staff.get(f"/items/new?unit={world.unit_id}").get_data(as_text=True)
    assert "机构设立" in types and "数据查询签批" in types
    form = staff.get(f"/items/new?unit={world.unit_id}&type=quota_adjust").get_data(as_text=True)
    assert "提交编委会议" in form
    # An ID number typed into the unit search is not searched, and leaves the address.
    leaked = staff.get(f"/items/new?q={RECRUIT_ID}")
    assert leaked.status_code == 302 and RECRUIT_ID not in leaked.location
    # Units outside the jurisdiction are not there.
    county_id, _ = make_account(world.app, "county", Role.OFFICE_STAFF, region_code="130726")
    county = world.app.test_client()
    sign_in(county, world.app, county_id)
    assert county.get(f"/items/new?unit={world.unit_id}").status_code == 404


# -- every type through the form ----------------------------------------------------------


def test_quota_use_is_declared_and_submitted(world, clients):
    response = declare(clients["clerk"], world, ItemType.QUOTA_USE, quota_use_fields())
    item = get_item(world, item_id_from(response))
    assert response.location.endswith(f"/items/{item.id}")
    assert item.state is ItemState.SUBMITTED and not item.flagged
    assert item.unit_id == world.unit_id and item.requester_id == world.ids["clerk"]
    payload = service.payload_of(item)
    assert payload == p.QuotaUse(
        QuotaKind.ADMINISTRATIVE,
        Funding.FULL,
        1,
        EntryMode.CIVIL_SERVICE_EXAM,
        "科员",
        "补充教学管理人员",
    )


def test_saving_a_draft_does_not_submit(world, clients):
    response = declare(
        clients["clerk"], world, ItemType.QUOTA_USE, quota_use_fields(), action="save"
    )
    item = get_item(world, item_id_from(response))
    assert item.state is ItemState.DRAFT
    submitted = clients["clerk"].post(
        f"/items/{item.id}/submit",
        data={
            "csrf_token": csrf_from(clients["clerk"].get("/").get_data(as_text=True)),
            "version": str(item.version),
        },
    )
    assert submitted.status_code == 303 and submitted.location.endswith(f"/items/{item.id}")
    assert get_item(world, item.id).state is ItemState.SUBMITTED


def test_more_than_vacant_is_kept_as_a_flagged_draft(world, clients):
    clerk = clients["clerk"]
    response = declare(clerk, world, ItemType.QUOTA_USE, quota_use_fields(count="999"))
    item_id = item_id_from(response)
    assert response.location.endswith(f"/items/{item_id}/edit")
    item = get_item(world, item_id)
    assert item.state is ItemState.DRAFT and item.flagged
    page = clerk.get(f"/items/{item_id}/edit").get_data(as_text=True)
    assert "自动校验" in page and "申请使用 999 名" in page and "未通过" in page
    assert "已保存但暂不能提交" in page  # the flash
    # Submitting it as it stands is refused too.
    refused = clerk.post(
        f"/items/{item_id}/submit",
        data={"csrf_token": csrf_from(page), "version": version_of(page)},
    )
    assert refused.location.endswith(f"/items/{item_id}/edit")
    assert get_item(world, item_id).state is ItemState.DRAFT
    # Corrected, it goes through.
    fixed = clerk.post(
        f"/items/{item_id}/edit",
        data={
            "csrf_token": csrf_from(page),
            "version": version_of(page),
            "action": "submit",
            **quota_use_fields(count="1"),
        },
    )
    assert fixed.status_code == 303 and fixed.location.endswith(f"/items/{item_id}")
    item = get_item(world, item_id)
    assert item.state is ItemState.SUBMITTED and not item.flagged


def test_staff_entry_seals_the_id_number_and_never_shows_it(world, clients, caplog):
    caplog.set_level(logging.DEBUG)
    clerk = clients["clerk"]
    reservation_id, document = add_reservation(world)
    html, hidden = open_form(clerk, ItemType.STAFF_ENTRY, world.unit_id)
    assert document in html and "尚余 2 名" in html and "2026-12-01" in html
    response = clerk.post(
        "/items/new", data={**hidden, **staff_entry_fields(reservation_id), "action": "submit"}
    )
    item_id = item_id_from(response)
    assert RECRUIT_ID not in response.get_data(as_text=True)
    assert RECRUIT_ID not in response.location
    item = get_item(world, item_id)
    assert item.state is ItemState.SUBMITTED, get_item(world, item_id).flagged
    assert RECRUIT_ID not in item.payload
    payload = service.payload_of(item)
    assert payload.id_number_masked == idnumber.mask(RECRUIT_ID)
    assert payload.reservation_id == reservation_id and payload.birth_date == RECRUIT_BORN
    with world.app.app_context():
        assert effects.unseal(secrets.cipher, item.sealed_payload) == {"id_number": RECRUIT_ID}
    followed = clerk.get(response.location)
    assert RECRUIT_ID not in followed.get_data(as_text=True)
    assert RECRUIT_ID not in caplog.text
    with world.app.app_context():
        audit = " ".join(
            f"{e.detail} {e.object_id}" for e in db.session.scalars(select(AuditEvent))
        )
    assert RECRUIT_ID not in audit


def test_staff_entry_validation_never_echoes_the_id_number(world, clients):
    clerk = clients["clerk"]
    reservation_id, _document = add_reservation(world)
    bad_check = RECRUIT_ID[:-1] + ("0" if RECRUIT_ID[-1] != "0" else "1")
    cases = [
        ({"id_number": bad_check}, "身份证号校验位不正确", bad_check),
        ({"id_number": RECRUIT_ID[:10]}, "身份证号应为 18 位", RECRUIT_ID[:10]),
        ({"birth_date": "1999-03-18"}, "出生日期与身份证号中的出生日期不一致", RECRUIT_ID),
        ({"gender": "female"}, "性别与身份证号不一致", RECRUIT_ID),
        ({"reservation_id": "999999"}, "请选择一项有效的预占编制", RECRUIT_ID),
        ({"id_number": ""}, "请填写身份证号", None),
        ({"name": "", "reason": "短"}, "请填写姓名", RECRUIT_ID),
    ]
    for overrides, message, number in cases:
        _html, hidden = open_form(clerk, ItemType.STAFF_ENTRY, world.unit_id)
        response = clerk.post(
            "/items/new",
            data={**hidden, **staff_entry_fields(reservation_id, **overrides), "action": "submit"},
        )
        body = response.get_data(as_text=True)
        assert response.status_code == 400, overrides
        assert message in body, (overrides, message)
        if number:
            assert number not in body, overrides
        assert re.search(r'<input[^>]*name="id_number"[^>]*value=""', body), overrides
        if number == RECRUIT_ID:
            assert "已输入的身份证号不会回显" in body
        assert not idnumber.find_valid_numbers(body)
    assert items_count(world) == 0


def test_staff_exit_resolves_the_person_by_id_number(world, clients):
    clerk = clients["clerk"]
    occupancy_id, person_id, number = person_on_establishment(world, world.unit_id)
    fields = {"id_number": number.lower(), "exit_reason": "retirement", "reason": "到龄退休"}
    response = declare(clerk, world, ItemType.STAFF_EXIT, fields)
    item = get_item(world, item_id_from(response))
    assert item.state is ItemState.SUBMITTED
    assert service.payload_of(item) == p.StaffExit(
        occupancy_id, person_id, "retirement", "到龄退休"
    )
    assert number not in item.payload and item.sealed_payload is None
    with world.app.app_context():
        outcomes = db.session.scalars(
            select(AuditEvent.outcome).where(AuditEvent.event == "item.find_person")
        ).all()
    assert outcomes == ["found"]

    # Someone on another unit's establishment (or nobody) is not found, and not echoed.
    _o, _p, elsewhere = person_on_establishment(world, other_unit_id_with_people(world))
    for typed in (elsewhere, RECRUIT_ID):
        refused = declare(clerk, world, ItemType.STAFF_EXIT, {**fields, "id_number": typed})
        body = refused.get_data(as_text=True)
        assert refused.status_code == 400
        assert "此身份证号不在本单位在编人员中" in body and typed not in body
    assert items_count(world) == 1


def other_unit_id_with_people(world) -> int:
    with world.app.app_context():
        return db.session.scalar(
            select(Occupancy.unit_id)
            .where(Occupancy.unit_id != world.unit_id, Occupancy.exit_date.is_(None))
            .limit(1)
        )


def test_unit_establish_under_the_parent(world, clients):
    fields = {
        "full_name": "张家口市教育考试服务中心",
        "short_name": "市教育考试中心",
        "kind": "public_institution",
        "nature": "public_welfare_1",
        "rank": "section_full",
        "funding": "full",
        "functions": "承担全市教育考试的组织实施工作",
        "quota_kind": "institution",
        "quota_count": "12",
        "reason": "落实考试机构改革要求",
        "committee": "y",
    }
    staff = clients["staff"]
    html = staff.get(f"/items/new?unit={world.unit_id}&type=unit_establish").get_data(as_text=True)
    assert "主管部门：" in html
    response = declare(staff, world, ItemType.UNIT_ESTABLISH, fields)
    item = get_item(world, item_id_from(response))
    assert item.unit_id == world.unit_id and item.committee
    assert item.state is ItemState.SUBMITTED
    payload = service.payload_of(item)
    assert payload.full_name == "张家口市教育考试服务中心" and payload.quota_count == 12


@pytest.mark.parametrize(
    ("account", "item_type", "fields", "expected"),
    [
        (
            "clerk",
            ItemType.UNIT_ADJUST,
            {"functions": "增加教育督导职责", "reason": "职责调整需要"},
            p.UnitAdjust("", "", None, "增加教育督导职责", "职责调整需要"),
        ),
        (
            "clerk",
            ItemType.QUOTA_ADJUST,
            {"kind": "administrative", "funding": "full", "delta": "2", "reason": "新增职能"},
            p.QuotaAdjust(QuotaKind.ADMINISTRATIVE, Funding.FULL, 2, "新增职能"),
        ),
        (
            "clerk",
            ItemType.LEADERSHIP_POSTS,
            {
                "level": "division",
                "position": "deputy",
                "title": "副局长",
                "approved": "20",
                "reason": "按机构规格核定",
            },
            p.LeadershipPosts("division", "deputy", "副局长", 20, "按机构规格核定"),
        ),
        (
            "staff",
            ItemType.DATA_QUERY,
            {
                "purpose": "年度实名制核查",
                "scope_description": "市直单位在编人员的学历字段",
                "max_rows": "5000",
                "valid_days": "7",
                "reason": "开展年度核查",
            },
            p.DataQuery("年度实名制核查", "市直单位在编人员的学历字段", 5000, 7, "开展年度核查"),
        ),
    ],
)
def test_other_types_are_declared_and_submitted(
    world, clients, account, item_type, fields, expected
):
    response = declare(clients[account], world, item_type, fields)
    item = get_item(world, item_id_from(response))
    assert item.state is ItemState.SUBMITTED and item.item_type is item_type
    assert service.payload_of(item) == expected


def test_an_empty_unit_is_abolished_through_the_form(world, clients):
    with world.app.app_context(), db.write() as s:
        parent = s.get(Unit, world.unit_id)
        empty = Unit(
            credit_code="12130700MB9999999X",
            full_name="张家口市教育局信息中心",
            short_name="市教育信息中心",
            kind=parent.kind,
            nature=parent.nature,
            rank=parent.rank,
            funding=parent.funding,
            region_id=parent.region_id,
            parent_id=parent.id,
            established_on=date(2010, 1, 1),
            updated_at=parent.updated_at,
        )
        s.add(empty)
        s.flush()
        empty_id = empty.id
    response = declare(
        clients["staff"], world, ItemType.UNIT_ABOLISH, {"reason": "职能已划转"}, unit_id=empty_id
    )
    item = get_item(world, item_id_from(response))
    assert item.state is ItemState.SUBMITTED and item.unit_id == empty_id and not item.flagged
    assert service.payload_of(item) == p.UnitAbolish("职能已划转")


def test_abolishing_a_unit_with_people_stays_a_flagged_draft(world, clients):
    staff = clients["staff"]
    response = declare(staff, world, ItemType.UNIT_ABOLISH, {"reason": "职能已划转"})
    item_id = item_id_from(response)
    item = get_item(world, item_id)
    assert item.state is ItemState.DRAFT and item.flagged
    page = staff.get(f"/items/{item_id}/edit").get_data(as_text=True)
    assert "撤销前须先安置人员" in page


# -- bad input ----------------------------------------------------------------------------


def test_validation_errors_are_chinese_and_write_nothing(world, clients):
    clerk = clients["clerk"]
    cases = [
        ({"count": "0"}, "申请使用人数请填写 1 到 999 之间的整数"),
        ({"count": "abc"}, "申请使用人数请填写 1 到 999 之间的整数"),
        ({"count": ""}, "申请使用人数请填写 1 到 999 之间的整数"),
        ({"reason": "太短"}, "用编理由请写 4 到 500 个字"),
        ({"reason": "   "}, "请填写用编理由"),
        ({"kind": "bogus"}, "请选择编制类型"),
        ({"funding": ""}, "请选择经费形式"),
        ({"post": "岗" * 40}, "拟进人岗位请写 1 到 32 个字"),
    ]
    for overrides, message in cases:
        response = declare(clerk, world, ItemType.QUOTA_USE, quota_use_fields(**overrides))
        body = response.get_data(as_text=True)
        assert response.status_code == 400, overrides
        assert message in body, overrides
        assert "请更正以下问题" in body
        assert "Not a valid" not in body
    delta = declare(
        clerk,
        world,
        ItemType.QUOTA_ADJUST,
        {"kind": "administrative", "funding": "full", "delta": "0", "reason": "调整编制"},
    )
    assert "不为 0 的整数" in delta.get_data(as_text=True)
    nothing = declare(clerk, world, ItemType.UNIT_ADJUST, {"reason": "调整需要"})
    assert "请至少填写一项调整内容" in nothing.get_data(as_text=True)
    assert items_count(world) == 0


def test_the_same_idempotency_key_makes_one_item(world, clients):
    clerk = clients["clerk"]
    _html, hidden = open_form(clerk, ItemType.QUOTA_USE, world.unit_id)
    data = {**hidden, **quota_use_fields(), "action": "submit"}
    first = clerk.post("/items/new", data=data)
    second = clerk.post("/items/new", data=data)
    assert item_id_from(first) == item_id_from(second)
    assert items_count(world) == 1
    assert get_item(world, item_id_from(first)).state is ItemState.SUBMITTED


def test_tampered_hidden_fields_change_nothing(world, clients):
    clerk = clients["clerk"]
    other = other_unit_id(world)
    _html, hidden = open_form(clerk, ItemType.QUOTA_USE, world.unit_id)
    elsewhere = clerk.post(
        "/items/new", data={**hidden, **quota_use_fields(), "unit": str(other), "action": "save"}
    )
    assert elsewhere.status_code == 404
    office_type = clerk.post(
        "/items/new",
        data={**hidden, "type": "unit_establish", "reason": "设立机构", "action": "save"},
    )
    assert office_type.status_code == 403
    assert items_count(world) == 0
    tampered = clerk.post(
        "/items/new",
        data={
            **hidden,
            **quota_use_fields(),
            "action": "save",
            "state": "approved",
            "requester_id": str(world.ids["staff"]),
            "committee": "y",
            "flagged": "",
            "version": "99",
        },
    )
    item = get_item(world, item_id_from(tampered))
    assert item.state is ItemState.DRAFT and item.version == 1
    assert item.requester_id == world.ids["clerk"] and item.unit_id == world.unit_id
    assert not item.committee


# -- editing, 补正, 撤回 --------------------------------------------------------------------


def returned_item(world) -> int:
    draft = service.Draft(
        ItemType.QUOTA_USE,
        world.unit_id,
        p.QuotaUse(
            QuotaKind.ADMINISTRATIVE,
            Funding.FULL,
            1,
            EntryMode.CIVIL_SERVICE_EXAM,
            "科员",
            "补充人员",
        ),
    )
    item = world.run(
        service.create, world.who("clerk"), draft, idempotency_key=new_key(), submit=True
    )
    world.run(
        service.return_for_correction,
        world.who("staff"),
        item.id,
        comment="请补充岗位说明书",
        expected_version=item.version,
    )
    return item.id


def test_a_returned_item_is_corrected_and_resubmitted(world, clients):
    clerk = clients["clerk"]
    item_id = returned_item(world)
    page = clerk.get(f"/items/{item_id}/edit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "请补充岗位说明书" in html and "重新提交" in html and "退回补正" in html
    assert 'value="科员"' in html and 'value="1"' in html
    data = {
        "csrf_token": csrf_from(html),
        "version": version_of(html),
        **quota_use_fields(post="专任教师", reason="补充人员，岗位说明书见附件"),
        "action": "submit",
    }
    # A stale version is refused with a clear message.
    stale = clerk.post(f"/items/{item_id}/edit", data={**data, "version": "1"})
    assert stale.status_code == 409 and "事项已被他人更新" in stale.get_data(as_text=True)
    done = clerk.post(f"/items/{item_id}/edit", data=data)
    assert done.status_code == 303 and done.location.endswith(f"/items/{item_id}")
    item = get_item(world, item_id)
    assert item.state is ItemState.SUBMITTED
    assert service.payload_of(item).post == "专任教师"
    # Once submitted the edit page sends you back to the item.
    assert clerk.get(f"/items/{item_id}/edit").status_code == 303


def test_editing_a_staff_entry_keeps_the_sealed_number(world, clients):
    clerk = clients["clerk"]
    reservation_id, _document = add_reservation(world)
    response = declare(
        clerk, world, ItemType.STAFF_ENTRY, staff_entry_fields(reservation_id), action="save"
    )
    item_id = item_id_from(response)
    html = clerk.get(f"/items/{item_id}/edit").get_data(as_text=True)
    assert RECRUIT_ID not in html and not idnumber.find_valid_numbers(html)
    assert 'value="李明"' in html
    fields = staff_entry_fields(reservation_id, id_number="", name="李明明")
    saved = clerk.post(
        f"/items/{item_id}/edit",
        data={
            "csrf_token": csrf_from(html),
            "version": version_of(html),
            "action": "save",
            **fields,
        },
    )
    assert saved.status_code == 303
    item = get_item(world, item_id)
    assert service.payload_of(item).name == "李明明"
    assert service.payload_of(item).id_number_masked == idnumber.mask(RECRUIT_ID)
    with world.app.app_context():
        assert effects.unseal(secrets.cipher, item.sealed_payload) == {"id_number": RECRUIT_ID}
    # The birth date is still checked against the stored number.
    html = clerk.get(f"/items/{item_id}/edit").get_data(as_text=True)
    wrong = clerk.post(
        f"/items/{item_id}/edit",
        data={
            "csrf_token": csrf_from(html),
            "version": version_of(html),
            "action": "save",
            **{**fields, "birth_date": "2000-01-01"},
        },
    )
    assert wrong.status_code == 400
    assert "出生日期与身份证号中的出生日期不一致" in wrong.get_data(as_text=True)
    assert RECRUIT_ID not in wrong.get_data(as_text=True)


def test_only_the_requester_edits(world, clients):
    item_id = returned_item(world)
    assert clients["staff"].get(f"/items/{item_id}/edit").status_code == 403
    staff_draft = world.run(
        service.create,
        world.who("staff"),
        service.Draft(
            ItemType.QUOTA_ADJUST,
            other_unit_id(world),
            p.QuotaAdjust(QuotaKind.ADMINISTRATIVE, Funding.FULL, 1, "调整编制"),
        ),
        idempotency_key=new_key(),
        submit=True,
    )
    assert clients["clerk"].get(f"/items/{staff_draft.id}/edit").status_code == 404
    assert clients["clerk"].get(f"/items/{staff_draft.id}/withdraw").status_code == 404
    assert clients["clerk"].get("/items/99999/edit").status_code == 404


def test_withdraw_with_a_confirmation(world, clients):
    clerk = clients["clerk"]
    item_id = item_id_from(declare(clerk, world, ItemType.QUOTA_USE, quota_use_fields()))
    page = clerk.get(f"/items/{item_id}/withdraw")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "确认撤回" in html
    done = clerk.post(
        f"/items/{item_id}/withdraw",
        data={"csrf_token": csrf_from(html), "version": version_of(html), "reason": "重复申报"},
    )
    assert done.status_code == 303 and done.location.endswith(f"/items/{item_id}")
    assert get_item(world, item_id).state is ItemState.WITHDRAWN
    # Nothing left to withdraw: the confirmation page sends you back.
    assert clerk.get(f"/items/{item_id}/withdraw").status_code == 303
    again = clerk.post(
        f"/items/{item_id}/withdraw",
        data={"csrf_token": csrf_from(html), "version": version_of(html)},
    )
    assert again.status_code == 409


# -- attachments --------------------------------------------------------------------------


def upload(client, item_id, data, name):
    page = client.get("/").get_data(as_text=True)
    return client.post(
        f"/items/{item_id}/attachments",
        data={"csrf_token": csrf_from(page), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_attachments_upload_list_and_download(world, clients):
    clerk = clients["clerk"]
    item_id = item_id_from(
        declare(clerk, world, ItemType.QUOTA_USE, quota_use_fields(), action="save")
    )
    stored = upload(clerk, item_id, PDF, "关于补充人员的请示.pdf")
    assert stored.status_code == 303 and stored.location.endswith(f"/items/{item_id}/edit")
    page = clerk.get(f"/items/{item_id}/edit").get_data(as_text=True)
    assert "关于补充人员的请示.pdf" in page
    with world.app.app_context():
        attachment = db.session.scalars(select(ItemAttachment)).one()
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF)
    link = f"/items/{item_id}/attachments/{attachment.id}"
    assert link in page

    rejected = upload(clerk, item_id, EXE, "scan.pdf")
    assert rejected.status_code == 400
    assert "不支持此类文件" in rejected.get_data(as_text=True)
    with world.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ItemAttachment)) == 1

    download = clerk.get(link)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E5%85%B3%E4%BA%8E" in disposition
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    # Submitted and in joint review: the office may download, a joint reviewer may not.
    html = clerk.get(f"/items/{item_id}/edit").get_data(as_text=True)
    clerk.post(
        f"/items/{item_id}/submit",
        data={"csrf_token": csrf_from(html), "version": version_of(html)},
    )
    staff = world.who("staff")
    version = get_item(world, item_id).version
    version = world.run(service.accept, staff, item_id, expected_version=version).version
    version = world.run(service.begin_review, staff, item_id, expected_version=version).version
    world.run(service.forward, staff, item_id, comment="", expected_version=version)
    assert clients["staff"].get(link).status_code == 200
    assert clients["leader"].get(link).status_code == 200
    assert world.read(lambda s: service.can_see(s, world.who("czj"), s.get(Item, item_id)))
    assert clients["czj"].get(link).status_code == 404
    assert clients["zzb"].get(link).status_code == 404
    assert (
        clients["clerk"].get(f"/items/{item_id}/attachments/{attachment.id + 1}").status_code == 404
    )
    # After submission, no more uploads.
    late = upload(clerk, item_id, PDF, "补充.pdf")
    assert late.status_code == 303 and late.location.endswith(f"/items/{item_id}")
    with world.app.app_context():
        downloads = db.session.scalars(
            select(AuditEvent.outcome).where(AuditEvent.event == "item.attachment.download")
        ).all()
    assert len(downloads) == 3


def test_a_clerk_of_another_unit_cannot_download(world, clients):
    clerk = clients["clerk"]
    item_id = item_id_from(
        declare(clerk, world, ItemType.QUOTA_USE, quota_use_fields(), action="save")
    )
    upload(clerk, item_id, PDF, "a.pdf")
    with world.app.app_context():
        attachment_id = db.session.scalar(select(ItemAttachment.id))
        region_id = db.session.scalar(select(Region.id).where(Region.code == "130700"))
        assert region_id
    other_id, _ = make_account(world.app, "clerk2", Role.UNIT_CLERK, unit_id=other_unit_id(world))
    other = world.app.test_client()
    sign_in(other, world.app, other_id)
    assert other.get(f"/items/{item_id}/attachments/{attachment_id}").status_code == 404
    assert other.get(f"/items/{item_id}/edit").status_code == 404
