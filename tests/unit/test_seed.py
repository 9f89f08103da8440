"""The demo generator: deterministic, internally consistent, and never leaks an ID number."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from pwa.db import create_engine_for
from pwa.domain import idnumber
from pwa.domain.crypto import BlindIndex, FieldCipher
from pwa.domain.quota import positions_for_units
from pwa.models import (
    Base,
    Gender,
    InternalDepartment,
    LeadershipAppointment,
    LeadershipQuota,
    Occupancy,
    OffQuotaEngagement,
    Person,
    QuotaKind,
    QuotaLedgerEntry,
    QuotaReservation,
    Region,
    RegionLevel,
    Unit,
    UnitAlias,
    UnitKind,
    UnitNature,
)
from pwa.seed import SCALES, SeedReport, generate_demo
from pwa.seed.catalog import ZJK_FORMER_CODES
from pwa.seed.codes import credit_check_char, is_valid_credit_code, make_credit_code
from pwa.seed.texts import department_titles, principal_titles

AS_OF = date(2026, 6, 1)
CIPHER = FieldCipher.single(bytes(range(32)))
BLIND = BlindIndex(bytes(range(32, 64)))
ID_CONTEXT = "person.id_number"
SEEDED_TABLES = [
    m.__table__
    for m in (
        Region,
        Unit,
        UnitAlias,
        InternalDepartment,
        QuotaLedgerEntry,
        QuotaReservation,
        LeadershipQuota,
        Person,
        Occupancy,
        LeadershipAppointment,
        OffQuotaEngagement,
    )
]


def _generate(path: Path, seed: int = 20240601) -> tuple[object, SeedReport]:
    engine = create_engine_for(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        report = generate_demo(
            connection, scale="tiny", seed=seed, as_of=AS_OF, cipher=CIPHER, blind_index=BLIND
        )
    return engine, report


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("seed") / "t.sqlite3"
    engine, report = _generate(path)
    yield engine, report, path
    engine.dispose()


@pytest.fixture
def session(tiny):
    with Session(tiny[0]) as session:
        yield session


def _rows(engine, table, skip=()):
    with engine.connect() as connection:
        keys = [c.name for c in table.columns if c.name not in skip]
        result = connection.execute(table.select().order_by(table.c.id))
        return [tuple(row._mapping[k] for k in keys) for row in result]


def test_same_seed_and_day_give_the_same_rows_apart_from_ciphertext_nonces(tmp_path, tiny):
    engine, _report = _generate(tmp_path / "again.sqlite3")
    try:
        for table in SEEDED_TABLES:
            skip = ("id_number_ciphertext",) if table.name == "person" else ()
            assert _rows(engine, table, skip) == _rows(tiny[0], table, skip), table.name
        mine = _rows(tiny[0], Person.__table__)[:20]
        theirs = _rows(engine, Person.__table__)[:20]
        index = list(Person.__table__.c.keys()).index("id_number_ciphertext")
        assert [a[index] for a in mine] != [b[index] for b in theirs]  # fresh nonces
        assert [CIPHER.decrypt(a[index], ID_CONTEXT) for a in mine] == [
            CIPHER.decrypt(b[index], ID_CONTEXT) for b in theirs
        ]
    finally:
        engine.dispose()


def test_another_seed_gives_other_people(tmp_path, tiny):
    engine, _report = _generate(tmp_path / "other.sqlite3", seed=7)
    try:
        names = lambda e: [r[1] for r in _rows(e, Person.__table__)[:50]]  # noqa: E731
        assert names(engine) != names(tiny[0])
    finally:
        engine.dispose()


def test_tiny_scale_counts_are_in_range(tiny):
    report = tiny[1]
    assert "tiny" in SCALES and "city" in SCALES and "province" in SCALES
    assert report.regions == 4  # 河北省, 张家口市, 桥东区, 蔚县
    assert 45 <= report.units <= 90
    assert 700 <= report.persons <= 1600
    assert report.departments >= 2 * report.units
    assert report.ledger_entries >= report.units
    assert report.leadership_quotas >= report.units
    assert report.appointments > 0
    assert 0 < report.off_quota < report.persons
    assert 2 <= report.reservations <= 8
    assert report.occupancies >= report.persons - report.off_quota


def test_generator_leaves_the_transaction_to_its_caller(tmp_path):
    engine = create_engine_for(f"sqlite:///{tmp_path / 'rollback.sqlite3'}")
    Base.metadata.create_all(engine)
    try:
        with engine.connect() as connection:
            transaction = connection.begin()
            generate_demo(
                connection,
                scale="tiny",
                as_of=AS_OF,
                cipher=CIPHER,
                blind_index=BLIND,
                progress=lambda line: None,
            )
            transaction.rollback()
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Unit)) == 0
    finally:
        engine.dispose()


def test_progress_lines_are_short_chinese_status_lines(tmp_path):
    lines: list[str] = []
    engine = create_engine_for(f"sqlite:///{tmp_path / 'progress.sqlite3'}")
    Base.metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            generate_demo(
                connection,
                scale="tiny",
                as_of=AS_OF,
                cipher=CIPHER,
                blind_index=BLIND,
                progress=lines.append,
            )
    finally:
        engine.dispose()
    assert lines and all(len(line) < 80 for line in lines)
    assert any("单位" in line for line in lines)


def test_unknown_scale_is_refused(tmp_path):
    with pytest.raises(ValueError):
        generate_demo(
            None,
            scale="galaxy",
            as_of=AS_OF,
            cipher=CIPHER,  # type: ignore[arg-type]
            blind_index=BLIND,
        )


def test_id_numbers_are_valid_unique_and_agree_with_the_person_row(session):
    region_codes = set(session.scalars(select(Region.code))) | set(ZJK_FORMER_CODES)
    region_codes |= {
        f"1307{n:02d}" for n in (2, 3, 5, 6, 8, 9, 22, 23, 24, 25, 26, 27, 28, 30, 31, 32)
    }
    seen = set()
    for person in session.scalars(select(Person)):
        number = CIPHER.decrypt(person.id_number_ciphertext, ID_CONTEXT)
        assert idnumber.is_valid(number)
        assert idnumber.birth_date_of(number) == person.birth_date
        assert (int(number[16]) % 2 == 1) == (person.gender is Gender.MALE)
        assert number[:2] == "13" and number[:6] in region_codes
        assert person.id_number_masked == idnumber.mask(number)
        assert person.id_number_index == BLIND.of(number)
        seen.add(number)
    assert len(seen) == session.scalar(select(func.count()).select_from(Person))


def test_no_plaintext_id_number_in_the_database_file(tiny):
    path = tiny[2]
    tiny[0].dispose()  # checkpoint the WAL into the main file
    blob = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    assert idnumber.find_valid_numbers(blob.decode("latin-1")) == []
    assert idnumber.find_valid_numbers(blob.decode("utf-8", errors="ignore")) == []


def test_ages_of_staff_on_the_establishment_are_working_ages(session):
    ages = Counter()
    for birth in session.scalars(
        select(Person.birth_date).join(Occupancy).where(Occupancy.exit_date.is_(None))
    ):
        ages[(AS_OF - birth).days // 365] += 1
    assert min(ages) >= 22 and max(ages) <= 60
    middle = sum(n for age, n in ages.items() if 35 <= age <= 55)
    assert middle > 0.5 * sum(ages.values())


def test_entry_dates_follow_the_twenty_second_birthday(session):
    rows = session.execute(
        select(Occupancy.entry_date, Occupancy.exit_date, Person.birth_date).join(Person)
    )
    for entry, exit_, birth in rows:
        assert (entry - birth).days >= 22 * 365
        assert entry <= AS_OF and (exit_ is None or entry <= exit_ <= AS_OF)


def test_every_unit_has_a_ledger_whose_running_sums_never_go_negative(session):
    unit_ids = set(session.scalars(select(Unit.id)))
    running: dict[tuple, int] = defaultdict(int)
    seen = set()
    for entry in session.scalars(
        select(QuotaLedgerEntry).order_by(QuotaLedgerEntry.effective_on, QuotaLedgerEntry.id)
    ):
        key = (entry.unit_id, entry.kind, entry.funding)
        running[key] += entry.delta
        assert running[key] >= 0
        seen.add(entry.unit_id)
    assert seen == unit_ids


def test_quota_use_has_over_full_and_vacant_units_and_reservations_fit(session):
    unit_ids = list(session.scalars(select(Unit.id)))
    positions = positions_for_units(session, unit_ids, AS_OF)
    over = [u for u, ps in positions.items() if any(p.over for p in ps)]
    vacant = [u for u, ps in positions.items() if any(p.vacant for p in ps)]
    full = [u for u, ps in positions.items() if all(p.free == 0 for p in ps)]
    assert over and vacant and full
    assert len(over) <= 0.1 * len(unit_ids)
    for unit_id, unit_positions in positions.items():
        if unit_id not in over:
            assert all(p.free >= 0 for p in unit_positions), unit_id


def test_closed_occupancies_are_history_not_actual(session):
    closed = session.scalars(select(Occupancy).where(Occupancy.exit_date.is_not(None))).all()
    assert closed and all(o.exit_reason and o.exit_document_number for o in closed)
    persons = session.scalar(select(func.count()).select_from(Person))
    assert 0.02 * persons <= len({o.person_id for o in closed}) <= 0.1 * persons
    # Nobody sits on two establishments at once.
    open_per_person = Counter(
        session.scalars(select(Occupancy.person_id).where(Occupancy.exit_date.is_(None)))
    )
    assert max(open_per_person.values()) == 1


def test_reservations_cover_live_expired_and_cancelled(session):
    reservations = session.scalars(select(QuotaReservation)).all()
    states = set()
    for r in reservations:
        assert 1 <= r.granted <= 5 and 0 <= r.consumed <= r.granted
        assert 181 <= (r.valid_until - r.granted_on).days <= 184
        if r.cancelled_on:
            states.add("cancelled")
            assert r.granted_on <= r.cancelled_on <= AS_OF
        elif r.valid_until < AS_OF:
            states.add("expired")
        else:
            states.add("live")
            assert (AS_OF - r.granted_on).days <= 183
    assert states == {"live", "expired", "cancelled"}


def test_leadership_posts_are_filled_by_the_units_own_staff_within_approval(session):
    quotas = {q.id: q for q in session.scalars(select(LeadershipQuota))}
    open_staff = {
        (person_id, unit_id)
        for person_id, unit_id in session.execute(
            select(Occupancy.person_id, Occupancy.unit_id).where(Occupancy.exit_date.is_(None))
        )
    }
    filled = Counter()
    for appointment in session.scalars(
        select(LeadershipAppointment).where(LeadershipAppointment.ended_on.is_(None))
    ):
        quota = quotas[appointment.quota_id]
        filled[quota.id] += 1
        assert (appointment.person_id, quota.unit_id) in open_staff
    assert all(filled[q] <= quota.approved for q, quota in quotas.items())
    assert sum(filled.values()) < sum(q.approved for q in quotas.values())  # some vacancies
    assert len(set(filled)) > 0.5 * len(quotas)
    posts = session.scalars(
        select(LeadershipAppointment.person_id).where(LeadershipAppointment.ended_on.is_(None))
    ).all()
    assert len(posts) == len(set(posts))  # one leadership post per person


def test_off_quota_staff_never_occupy_quota(session):
    off = set(session.scalars(select(OffQuotaEngagement.person_id)))
    occupying = set(session.scalars(select(Occupancy.person_id)))
    assert off and not off & occupying


def test_units_are_consistent_in_kind_nature_and_quota_kinds(session):
    kinds_by_unit = defaultdict(set)
    for unit_id, kind in session.execute(select(QuotaLedgerEntry.unit_id, QuotaLedgerEntry.kind)):
        kinds_by_unit[unit_id].add(kind)
    for unit in session.scalars(select(Unit)):
        kinds = kinds_by_unit[unit.id]
        if unit.kind is UnitKind.PUBLIC_INSTITUTION:
            assert unit.nature is not UnitNature.ADMINISTRATIVE
            assert kinds <= {QuotaKind.INSTITUTION, QuotaKind.CIVIL_SERVICE_INSTITUTION}
        else:
            assert unit.nature is UnitNature.ADMINISTRATIVE
            assert kinds & {QuotaKind.ADMINISTRATIVE, QuotaKind.POLITICAL_LEGAL}
        if unit.short_name.endswith("公安局"):
            assert QuotaKind.POLITICAL_LEGAL in kinds


def test_credit_codes_are_valid_unique_and_by_registrar(session):
    codes = session.execute(select(Unit.credit_code, Unit.kind, Region.code).join(Region))
    seen = set()
    for code, kind, region_code in codes:
        assert is_valid_credit_code(code), code
        assert not idnumber.is_valid(code)
        assert code[2:8] == region_code
        assert code[:2] == {
            UnitKind.PUBLIC_INSTITUTION: "12",
            UnitKind.MASS_ORGANIZATION: "13",
        }.get(kind, "11")
        seen.add(code)
    assert len(seen) == session.scalar(select(func.count()).select_from(Unit))


def test_credit_code_check_character_follows_gb_32100():
    # The worked example of GB 32100-2015 itself.
    assert is_valid_credit_code("91350100M000100Y43")
    assert not is_valid_credit_code("91350100M000100Y44")
    # By hand. Organisation code 00000001: Σ value × (3,7,9,10,5,8,4,2) = 1 × 2 = 2,
    # check = 11 − 2 = 9. Credit code 11 130726 00000001 9: Σ value × 3^i mod 31
    # = 1 + 3 + 9 + 3·27 + 7·26 + 2·16 + 6·17 + 1·30 + 9·28 = 692 ≡ 10, check = 31 − 10 = 21 → M.
    assert make_credit_code("11", "130726", "00000001") == "11130726000000019M"
    assert credit_check_char("11130726000000019") == "M"
    assert is_valid_credit_code("11130726000000019M")
    assert not is_valid_credit_code("11130726000000018M")  # wrong organisation-code check
    assert not is_valid_credit_code("11130726000000019N")


def test_short_names_are_unique_within_each_region(session):
    pairs = session.execute(select(Unit.region_id, Unit.short_name)).all()
    assert len(pairs) == len(set(pairs))


def test_names_look_like_zhangjiakou(session):
    names = set(session.scalars(select(Unit.full_name)))
    assert {
        "中共张家口市委机构编制委员会办公室",
        "张家口市教育局",
        "蔚县人民医院",
        "张家口市第一中学",
    } <= names
    shorts = set(session.scalars(select(Unit.short_name)))
    assert {"市委编办", "市人社局", "蔚县卫健局", "张家口一中"} <= shorts
    assert session.scalar(text("SELECT count(*) FROM unit_alias WHERE is_nameplate")) > 0


def test_seeds_the_migrated_schema_too(sqlite_url):
    engine = create_engine_for(sqlite_url)
    try:
        with engine.begin() as connection:
            report = generate_demo(
                connection, scale="tiny", as_of=AS_OF, cipher=CIPHER, blind_index=BLIND
            )
        assert report.units > 0
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_sequences_continue_after_the_seeded_ids(postgres_url):
    engine = create_engine_for(postgres_url)
    try:
        with engine.begin() as connection:
            report = generate_demo(
                connection, scale="tiny", as_of=AS_OF, cipher=CIPHER, blind_index=BLIND
            )
        with engine.begin() as connection:
            new_id = connection.execute(
                Region.__table__.insert()
                .values(code="139999", name="测试县", short_name="测试县", level=RegionLevel.COUNTY)
                .returning(Region.__table__.c.id)
            ).scalar_one()
        assert new_id == report.regions + 1
    finally:
        engine.dispose()


def test_county_organs_have_gu_and_city_organs_have_ke(session):
    def departments(full_name):
        unit = session.scalar(select(Unit).where(Unit.full_name == full_name))
        return {d.name for d in unit.departments}

    assert {"办公室", "政策法规科", "人事科"} <= departments("张家口市教育局")
    assert {"办公室", "政策法规股", "人事股"} <= departments("蔚县教育局")
    hospital = departments("蔚县人民医院")
    assert "办公室" in hospital and 2 <= len(hospital) <= 6


def test_leadership_titles_follow_the_unit_and_department_names():
    assert principal_titles("蔚县人民医院", None) == ("院长", "副院长")
    assert principal_titles("张家口市发展和改革委员会", None) == ("主任", "副主任")
    assert principal_titles("蔚县公安局", None) == ("局长", "副局长")
    assert principal_titles("中共蔚县委党校", ("常务副校长", "副校长"))[0] == "常务副校长"
    assert department_titles("治安管理大队", medical_or_school=False) == ("大队长", "副大队长")
    assert department_titles("基础教育股", medical_or_school=False) == ("股长", "副股长")
    assert department_titles("教务处", medical_or_school=True) == ("主任", "副主任")
    assert department_titles("护理部", medical_or_school=True) == ("主任", "副主任")
