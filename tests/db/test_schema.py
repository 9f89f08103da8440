"""Schema, durability settings and the quota queries, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from auth.scope import EVERYTHING
from pwa import migrate
from pwa.db import create_engine_for, make_sessionmaker, write_session
from pwa.domain.crypto import BlindIndex, FieldCipher
from pwa.domain.quota import positions_for_units, totals_by_kind, unit_positions
from pwa.models import (
    Education,
    EntryMode,
    ExitReason,
    Funding,
    Gender,
    Occupancy,
    Person,
    PoliticalStatus,
    QuotaKind,
    QuotaLedgerEntry,
    QuotaReservation,
    Region,
    RegionLevel,
    Unit,
    UnitKind,
    UnitNature,
    UnitRank,
)

TODAY = date(2026, 6, 1)
INSERT_PROVINCE = (
    "INSERT INTO region (code, name, short_name, level) VALUES ('130000','a','a','province')"
)
NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)
CIPHER = FieldCipher.single(bytes(32))
INDEX = BlindIndex(bytes(range(32)))


def _unit(session, region, name, code_suffix) -> Unit:
    unit = Unit(
        credit_code=f"11130700MB{code_suffix:07d}X"[:18].ljust(18, "0"),
        full_name=f"张家口市{name}",
        short_name=f"市{name}",
        kind=UnitKind.GOVERNMENT_DEPARTMENT,
        nature=UnitNature.ADMINISTRATIVE,
        rank=UnitRank.DIVISION_FULL,
        funding=Funding.FULL,
        region=region,
        established_on=date(2019, 3, 1),
        updated_at=NOW,
    )
    session.add(unit)
    return unit


def _person(session, n: int) -> Person:
    number = f"1307021985010{n:04d}"[:17]
    from pwa.domain import idnumber

    number = number + idnumber.check_digit(number)
    person = Person(
        name=f"测试{n}",
        gender=Gender.MALE,
        ethnicity="汉族",
        birth_date=date(1985, 1, 1),
        id_number_ciphertext=CIPHER.encrypt(number, "person.id_number"),
        id_number_masked=idnumber.mask(number),
        id_number_index=INDEX.of(number),
        education=Education.BACHELOR,
        political_status=PoliticalStatus.CPC_MEMBER,
    )
    session.add(person)
    return person


def _occupy(
    session, person, unit, kind=QuotaKind.ADMINISTRATIVE, funding=Funding.FULL, exit_date=None
) -> None:
    session.add(
        Occupancy(
            person=person,
            unit=unit,
            kind=kind,
            funding=funding,
            entry_mode=EntryMode.CIVIL_SERVICE_EXAM,
            entry_document_number="张人社〔2015〕1号",
            entry_date=date(2015, 9, 1),
            exit_date=exit_date,
            exit_reason=ExitReason.RETIREMENT if exit_date else None,
        )
    )


@pytest.fixture
def engine(database_url):
    engine = create_engine_for(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def city(engine):
    with make_sessionmaker(engine).begin() as session:
        province = Region(
            code="130000", name="河北省", short_name="河北", level=RegionLevel.PROVINCE
        )
        city = Region(
            code="130700",
            name="张家口市",
            short_name="张家口",
            level=RegionLevel.CITY,
            parent=province,
        )
        session.add_all([province, city])
        session.flush()
        return city.id


def test_migrations_are_idempotent(engine):
    assert migrate.current_revision(engine) == migrate.head_revision()
    migrate.upgrade(engine)  # second run: nothing to do, nothing breaks
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_quota_ledger_refuses_update_and_delete(engine, city):
    factory = make_sessionmaker(engine)
    with factory.begin() as session:
        unit = _unit(session, session.get(Region, city), "教育局", 1)
        session.add(
            QuotaLedgerEntry(
                unit=unit,
                kind=QuotaKind.ADMINISTRATIVE,
                funding=Funding.FULL,
                delta=30,
                document_number="张编〔2019〕1号",
                effective_on=date(2019, 3, 1),
                recorded_at=NOW,
            )
        )
    for statement in ("UPDATE quota_ledger_entry SET delta = 31", "DELETE FROM quota_ledger_entry"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT delta FROM quota_ledger_entry")).scalar() == 30


def test_check_constraints_reject_impossible_rows(engine, city):
    factory = make_sessionmaker(engine)
    with pytest.raises(IntegrityError), factory.begin() as session:
        unit = _unit(session, session.get(Region, city), "财政局", 2)
        session.add(
            QuotaLedgerEntry(
                unit=unit,
                kind=QuotaKind.ADMINISTRATIVE,
                funding=Funding.FULL,
                delta=0,
                document_number="x",
                effective_on=TODAY,
                recorded_at=NOW,
            )
        )
    with pytest.raises(IntegrityError), factory.begin() as session:
        unit = _unit(session, session.get(Region, city), "民政局", 3)
        session.add(
            QuotaReservation(
                unit=unit,
                kind=QuotaKind.ADMINISTRATIVE,
                funding=Funding.FULL,
                granted=2,
                consumed=3,
                document_number="x",
                granted_on=TODAY,
                valid_until=TODAY,
            )
        )
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO region (code, name, short_name, level) "
                "VALUES ('130799', 'x', 'x', 'planet')"
            )
        )


def test_foreign_keys_are_enforced(engine):
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO region (code, name, short_name, level, parent_id) "
                "VALUES ('130701', 'x', 'x', 'county', 9999)"
            )
        )


def test_unit_positions_from_the_database(engine, city):
    factory = make_sessionmaker(engine)
    with factory.begin() as session:
        region = session.get(Region, city)
        unit = _unit(session, region, "教育局", 4)
        other = _unit(session, region, "公安局", 5)
        for delta in (10, 2, -1):
            session.add(
                QuotaLedgerEntry(
                    unit=unit,
                    kind=QuotaKind.ADMINISTRATIVE,
                    funding=Funding.FULL,
                    delta=delta,
                    document_number="x",
                    effective_on=TODAY,
                    recorded_at=NOW,
                )
            )
        session.add(
            QuotaLedgerEntry(
                unit=other,
                kind=QuotaKind.POLITICAL_LEGAL,
                funding=Funding.FULL,
                delta=2,
                document_number="x",
                effective_on=TODAY,
                recorded_at=NOW,
            )
        )
        people = [_person(session, n) for n in range(1, 10)]
        for p in people[:6]:
            _occupy(session, p, unit)
        _occupy(session, people[6], unit, exit_date=date(2025, 1, 1))  # left: not counted
        for p in people[7:]:
            _occupy(session, p, other, kind=QuotaKind.POLITICAL_LEGAL)
        _occupy(session, people[6], other, kind=QuotaKind.POLITICAL_LEGAL)  # now over there
        session.add(
            QuotaReservation(
                unit=unit,
                kind=QuotaKind.ADMINISTRATIVE,
                funding=Funding.FULL,
                granted=3,
                consumed=1,
                document_number="x",
                granted_on=date(2026, 3, 1),
                valid_until=date(2026, 9, 1),
            )
        )
        session.add(
            QuotaReservation(
                unit=unit,
                kind=QuotaKind.ADMINISTRATIVE,
                funding=Funding.FULL,
                granted=2,
                consumed=0,
                document_number="x",
                granted_on=date(2025, 3, 1),
                valid_until=date(2025, 9, 1),
            )
        )
        session.flush()
        unit_id, other_id = unit.id, other.id

    with factory() as session:
        (position,) = unit_positions(session, unit_id, TODAY)
        assert (position.approved, position.actual, position.reserved, position.vacant) == (
            11,
            6,
            2,
            3,
        )
        both = positions_for_units(session, [unit_id, other_id], TODAY)
        (over,) = both[other_id]
        assert (over.approved, over.actual, over.over) == (2, 3, 1)
        totals = totals_by_kind(session, TODAY, EVERYTHING)
        assert totals[QuotaKind.ADMINISTRATIVE].vacant == 3
        assert totals[QuotaKind.POLITICAL_LEGAL].over == 1


def test_sqlite_is_configured_for_durability(sqlite_url):
    engine = create_engine_for(sqlite_url)
    with engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") >= 5000
    engine.dispose()


def test_only_writes_that_ask_skip_the_fsync(sqlite_url):
    """``durable=False`` relaxes its own transaction; the next one on the same pooled
    connection is FULL again."""
    engine = create_engine_for(sqlite_url, pool_size=1, max_overflow=0)
    factory = make_sessionmaker(engine)
    synchronous = text("PRAGMA synchronous")
    with write_session(factory, durable=False) as session:
        assert session.execute(synchronous).scalar() == 1  # NORMAL
    with write_session(factory) as session:
        assert session.execute(synchronous).scalar() == 2  # FULL
    with factory() as session:
        assert session.execute(synchronous).scalar() == 2
    engine.dispose()


@pytest.mark.postgres
def test_postgresql_relaxes_only_the_transaction_that_asks(postgres_url):
    engine = create_engine_for(postgres_url)
    factory = make_sessionmaker(engine)
    setting = text("SHOW synchronous_commit")
    with write_session(factory, durable=False) as session:
        assert session.execute(setting).scalar() == "off"
    with write_session(factory) as session:
        assert session.execute(setting).scalar() == "on"
    engine.dispose()


def test_sqlite_writers_take_the_write_lock_at_begin(sqlite_url):
    """BEGIN IMMEDIATE: a second writer waits for the first instead of failing mid-way."""
    engine = create_engine_for(sqlite_url)
    factory = make_sessionmaker(engine)
    order: list[str] = []
    first_has_lock = threading.Event()

    def first() -> None:
        with write_session(factory) as session:
            session.execute(text("SELECT 1"))
            first_has_lock.set()
            time.sleep(0.3)
            session.execute(text(INSERT_PROVINCE))
            order.append("first committed")

    thread = threading.Thread(target=first)
    thread.start()
    first_has_lock.wait(5)
    with write_session(factory) as session:
        # Reaching here means BEGIN IMMEDIATE waited for the first writer's commit.
        order.append("second began")
        count = session.execute(text("SELECT count(*) FROM region")).scalar()
    thread.join()
    assert order == ["first committed", "second began"]
    assert count == 1
    engine.dispose()


def test_write_session_rolls_back_on_error(database_url):
    engine = create_engine_for(database_url)
    factory = make_sessionmaker(engine)
    with pytest.raises(RuntimeError), write_session(factory) as session:
        session.execute(text(INSERT_PROVINCE))
        raise RuntimeError("boom")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM region")).scalar() == 0
    engine.dispose()
