"""数据比对: per-row answers only, caps per request and per day, 数据查询签批 grants that
widen exactly their own rows until they expire, an alert on many misses, files in and out,
and nothing personal on the page or in the audit log."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from auth.models import SecurityNotice
from auth.roles import Role
from pwa.domain import idnumber
from pwa.domain.comparison import ComparisonPolicy
from pwa.domain.items import payloads as p
from pwa.domain.personnel import ID_CONTEXT
from pwa.extensions import db, secrets
from pwa.models import AuditEvent, ComparisonRun, ItemState, ItemType, Occupancy, Person, Unit
from tests.auth_helpers import csrf_from, make_account, sign_in
from tests.item_helpers import approve_all, declare, make_world, review


@pytest.fixture
def world(seeded_app):
    return make_world(seeded_app)


def client_for(app, account_id):
    client = app.test_client()
    sign_in(client, app, account_id)
    return client


def people_of(app, unit_id: int, count: int = 2) -> list[tuple[str, str]]:
    """(ID number, name) of people on a unit's establishment — decrypted here, in the test."""
    with app.app_context():
        rows = db.session.execute(
            select(Person.id_number_ciphertext, Person.name)
            .join(Occupancy, Occupancy.person_id == Person.id)
            .where(Occupancy.unit_id == unit_id, Occupancy.exit_date.is_(None))
            .order_by(Person.id)
            .limit(count)
        ).all()
        return [(secrets.cipher.decrypt(c, ID_CONTEXT), n) for c, n in rows]


def other_unit_in_scope(app, unit_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Occupancy.unit_id)
            .join(Unit, Unit.id == Occupancy.unit_id)
            .where(Occupancy.unit_id != unit_id, Occupancy.exit_date.is_(None))
            .order_by(Occupancy.unit_id)
            .limit(1)
        )


def unknown_number(seed: int = 1) -> str:
    return idnumber.make("130702", date(1990, 1, 1), 900 + seed)


def post(client, unit_id, text="", **extra):
    page = client.get(f"/compare?unit={unit_id}" if unit_id else "/compare")
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), "ids": text, "output": "page"}
    if unit_id:
        data["unit"] = str(unit_id)
    data.update(extra)
    return client.post("/compare", data=data, content_type="multipart/form-data")


def runs(app) -> list[ComparisonRun]:
    with app.app_context():
        return list(db.session.scalars(select(ComparisonRun).order_by(ComparisonRun.id)))


def test_each_row_gets_an_answer_and_nothing_else(world):
    app = world.app
    staff = client_for(app, world.ids["staff"])
    (here, here_name), (here2, _n) = people_of(app, world.unit_id, 2)
    ((elsewhere, _name),) = people_of(app, other_unit_in_scope(app, world.unit_id), 1)
    text = "\n".join(
        [
            f"{here},{here_name}",
            f"{here2}，不是这个人",
            elsewhere,
            unknown_number(),
            "13070219900101123",  # 17 digits
            here[:17] + ("0" if here[17] != "0" else "1"),  # wrong check digit
        ]
    )
    response = post(staff, world.unit_id, text)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    for label in ("匹配", "证号匹配，姓名不一致", "在您辖区的其他单位", "未匹配", "证号无效"):
        assert label in html
    # The page never shows a full ID number, nor anyone's name the asker did not type.
    assert idnumber.find_valid_numbers(html) == []
    assert idnumber.mask(here) in html
    (run,) = runs(app)
    assert (run.rows, run.misses, run.unit_id) == (6, 3, world.unit_id)
    with app.app_context():
        record = db.session.scalar(
            select(AuditEvent).where(AuditEvent.event == "personnel.compare")
        )
    assert record.object_id == str(world.unit_id) and '"rows": 6' in record.detail
    assert idnumber.find_valid_numbers(record.detail) == [] and here_name not in record.detail


def test_without_a_unit_the_whole_jurisdiction_is_compared(world):
    app = world.app
    staff = client_for(app, world.ids["staff"])
    ((elsewhere, _name),) = people_of(app, other_unit_in_scope(app, world.unit_id), 1)
    html = post(staff, None, f"{elsewhere}\n{unknown_number()}").get_data(as_text=True)
    table = html.split('id="result-title"')[1].split("</table>")[0]
    assert "<td>匹配</td>" in table and "<td>未匹配</td>" in table
    assert "在您辖区的其他单位" not in table


def test_files_in_and_the_same_rows_plus_an_answer_out(world):
    app = world.app
    staff = client_for(app, world.ids["staff"])
    ((here, name),) = people_of(app, world.unit_id, 1)
    book = Workbook()
    sheet = book.active
    sheet.append(["身份证号", "姓名", "备注"])
    sheet.append([here, name, "一"])
    sheet.append([unknown_number(), "某某", "二"])
    upload = io.BytesIO()
    book.save(upload)
    upload.seek(0)
    response = post(staff, world.unit_id, output="xlsx", upload=(upload, "名单.xlsx"))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[1] == (here, name, "一", "匹配") and rows[2][3] == "未匹配"
    csv_upload = ("身份证号,姓名\n" + f"{here},{name}\n").encode("gb18030")
    response = post(staff, world.unit_id, output="csv", upload=(io.BytesIO(csv_upload), "a.csv"))
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0][-1] == "比对结果" and table[1] == [here, name, "匹配"]


@pytest.mark.parametrize(
    "upload, message",
    [
        ((io.BytesIO(b"PK\x03\x04 not really"), "x.xlsx"), "无法读取 Excel"),
        ((io.BytesIO(b"%PDF-1.4"), "x.pdf"), "只能上传"),
        ((io.BytesIO(b"1" * (1024 * 1024 + 1)), "big.csv"), "不能超过 1 MB"),
    ],
)
def test_bad_files_are_explained_and_nothing_is_counted(world, upload, message):
    staff = client_for(world.app, world.ids["staff"])
    response = post(staff, world.unit_id, upload=upload)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert runs(world.app) == []


def test_numbers_typed_as_spreadsheet_numbers_are_refused_with_the_fix(world):
    staff = client_for(world.app, world.ids["staff"])
    book = Workbook()
    book.active.append([130702199001011234])
    upload = io.BytesIO()
    book.save(upload)
    upload.seek(0)
    response = post(staff, world.unit_id, upload=(upload, "n.xlsx"))
    assert response.status_code == 400 and "文本" in response.get_data(as_text=True)


def test_empty_input_is_explained(world):
    staff = client_for(world.app, world.ids["staff"])
    response = post(staff, world.unit_id, "  \n\n ")
    assert response.status_code == 400 and "没有找到要比对的身份证号" in response.get_data(
        as_text=True
    )


def test_per_request_and_daily_caps(world):
    app = world.app
    app.config["COMPARISON_POLICY"] = ComparisonPolicy(
        max_rows_per_request=5, max_rows_per_day=8, misses_alert_per_day=1000
    )
    staff = client_for(app, world.ids["staff"])
    six = "\n".join(unknown_number(n) for n in range(6))
    response = post(staff, world.unit_id, six)
    assert response.status_code == 400 and "一次最多比对 5 行" in response.get_data(as_text=True)
    assert (
        post(staff, world.unit_id, "\n".join(unknown_number(n) for n in range(5))).status_code
        == 200
    )
    refused = post(staff, world.unit_id, "\n".join(unknown_number(n) for n in range(4)))
    assert refused.status_code == 400 and "今天还可比对 3 行" in refused.get_data(as_text=True)
    assert [r.rows for r in runs(app)] == [5]
    assert (
        post(staff, world.unit_id, "\n".join(unknown_number(n) for n in range(3))).status_code
        == 200
    )


def test_enumerating_one_birth_date_is_stopped_by_the_caps_and_alerts(world):
    """The oracle attack: 1,000 candidate numbers of one birth date, 50 at a time."""
    app = world.app
    secadmin, _ = make_account(app, "secadmin", Role.SECURITY_ADMIN)
    staff = client_for(app, world.ids["staff"])
    candidates = [idnumber.make("130702", date(1985, 3, 7), n) for n in range(1000)]
    answered = refused = 0
    for start in range(0, 1000, 50):
        response = post(staff, None, "\n".join(candidates[start : start + 50]))
        if response.status_code == 200:
            answered += 50
        else:
            refused += 1
            assert "超出比对限额" in response.get_data(as_text=True)
    assert answered == 500 and refused == 10
    with app.app_context():
        notices = list(db.session.scalars(select(SecurityNotice)))
    assert [(n.account_id, n.kind, n.subject) for n in notices] == [
        (secadmin, "compare_misses", "staff")
    ]  # once a day, not once a request


def test_an_approved_data_query_widens_exactly_its_rows_until_it_expires(world):
    app = world.app
    app.config["COMPARISON_POLICY"] = ComparisonPolicy(
        max_rows_per_request=2, max_rows_per_day=2, misses_alert_per_day=1000
    )
    item = declare(world, "staff", ItemType.DATA_QUERY, p.DataQuery("核查", "本单位", 6, 3, "专项"))
    item = approve_all(world, review(world, item, by="staff2"))
    assert item.state in (ItemState.APPROVED, ItemState.EXECUTING)
    staff = client_for(app, world.ids["staff"])
    form = staff.get(f"/compare?unit={world.unit_id}").get_data(as_text=True)
    assert f'value="{item.id}"' in form
    four = "\n".join(unknown_number(n) for n in range(4))
    assert post(staff, world.unit_id, four).status_code == 400  # above the daily cap
    assert post(staff, world.unit_id, four, grant=str(item.id)).status_code == 200
    over = post(
        staff, world.unit_id, "\n".join(unknown_number(n) for n in range(3)), grant=str(item.id)
    )
    assert over.status_code == 400 and "只剩 2 行" in over.get_data(as_text=True)
    assert [(r.rows, r.item_id) for r in runs(app)] == [(4, item.id)]
    # Another person cannot cite it; after it expires nobody can.
    staff2 = client_for(app, world.ids["staff2"])
    assert post(staff2, world.unit_id, "1", grant=str(item.id)).status_code == 400
    app.config["FROZEN_NOW"] = app.config["FROZEN_NOW"] + timedelta(days=4)
    staff = client_for(app, world.ids["staff"])  # a new day, a new session
    late = post(staff, world.unit_id, unknown_number(), grant=str(item.id))
    assert late.status_code == 400 and "已过期" in late.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.UNIT_CLERK, Role.ORG_REVIEWER, Role.FINANCE_REVIEWER])
def test_roles_without_comparison_are_refused(seeded_app, role):
    from tests.auth_helpers import unit_id_by_short_name

    unit_id = unit_id_by_short_name(seeded_app, "市教育局") if role is Role.UNIT_CLERK else None
    account_id, _ = make_account(seeded_app, "nocompare", role, unit_id=unit_id)
    client = client_for(seeded_app, account_id)
    assert client.get("/compare").status_code == 403


def test_hr_reviewers_compare_and_units_out_of_scope_are_404(seeded_app):
    account_id, _ = make_account(seeded_app, "hrcompare", Role.HR_REVIEWER)
    client = client_for(seeded_app, account_id)
    assert client.get("/compare").status_code == 200
    with seeded_app.app_context():
        outside = (
            db.session.scalar(select(Unit.id).where(Unit.region_id.is_(None)).limit(1))
            or db.session.scalar(select(func.max(Unit.id))) + 1000
        )
    assert client.get(f"/compare?unit={outside}").status_code == 404
