"""Account rules the database itself enforces, and races, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from auth import accounts, login, recovery, throttle, totp
from auth.accounts import AccountError, NewAccount
from auth.models import Account
from auth.roles import Role, RoleClass
from pwa.db import create_engine_for, make_sessionmaker, write_session
from pwa.domain.crypto import FieldCipher
from pwa.models import Region, RegionLevel

NOW = datetime(2026, 6, 1, 8, 0, 10, tzinfo=UTC)
CIPHER = FieldCipher.single(bytes(range(32)))
PASSWORD = "Xq7#mPz2Lk-2026"


@pytest.fixture
def factory(database_url):
    engine = create_engine_for(database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def region_id(factory):
    with factory.begin() as s:
        region = Region(code="130700", name="张家口市", short_name="张家口", level=RegionLevel.CITY)
        s.add(region)
        s.flush()
        return region.id


def make(factory, username, account_class, role=None, region_id=None):
    with factory.begin() as s:
        account = accounts.create_account(
            s,
            NewAccount(
                username=username,
                display_name=username,
                account_class=account_class,
                password=PASSWORD,
                role=role,
                region_id=region_id,
            ),
            created_by=None,
            now=NOW,
        )
        return account.id


def test_admin_accounts_cannot_hold_business_roles_even_in_raw_sql(factory):
    admin_id = make(factory, "secadmin", RoleClass.SECURITY_ADMIN)
    with pytest.raises(IntegrityError), factory.begin() as s:
        s.execute(
            text(
                "INSERT INTO account_role (account_id, role, role_class, granted_at) "
                "VALUES (:a, 'office_staff', 'security_admin', :t)"
            ),
            {"a": admin_id, "t": NOW},
        )
    with pytest.raises(IntegrityError), factory.begin() as s:
        # Claiming the business class for it breaks the composite foreign key.
        s.execute(
            text(
                "INSERT INTO account_role (account_id, role, role_class, granted_at) "
                "VALUES (:a, 'office_staff', 'business', :t)"
            ),
            {"a": admin_id, "t": NOW},
        )
    with pytest.raises(IntegrityError), factory.begin() as s:
        s.execute(
            text(
                "INSERT INTO account_role (account_id, role, role_class, granted_at) "
                "VALUES (:a, 'audit_admin', 'security_admin', :t)"
            ),
            {"a": admin_id, "t": NOW},
        )


def test_nobody_grants_themselves_in_raw_sql(factory, region_id):
    staff_id = make(factory, "staff", RoleClass.BUSINESS, Role.OFFICE_STAFF, region_id)
    with pytest.raises(IntegrityError), factory.begin() as s:
        s.execute(
            text(
                "INSERT INTO account_role (account_id, role, role_class, granted_by_id, "
                "granted_at) VALUES (:a, 'office_leader', 'business', :a, :t)"
            ),
            {"a": staff_id, "t": NOW},
        )


def test_three_admins_are_three_accounts_with_one_role_each(factory, region_id):
    ids = {
        c: make(factory, c.value.replace("_", ""), c)
        for c in (RoleClass.SYSTEM_ADMIN, RoleClass.SECURITY_ADMIN, RoleClass.AUDIT_ADMIN)
    }
    staff_id = make(factory, "staff", RoleClass.BUSINESS, Role.OFFICE_STAFF, region_id)
    with factory.begin() as s:
        security = s.get(Account, ids[RoleClass.SECURITY_ADMIN])
        system = s.get(Account, ids[RoleClass.SYSTEM_ADMIN])
        assert security.role_set == {Role.SECURITY_ADMIN}
        with pytest.raises(AccountError, match="三员"):
            accounts.grant_role(s, system, Role.OFFICE_LEADER, granted_by=security, now=NOW)
        with pytest.raises(AccountError, match="自己"):
            accounts.grant_role(s, security, Role.AUDIT_ADMIN, granted_by=security, now=NOW)
        staff = s.get(Account, staff_id)
        accounts.grant_role(s, staff, Role.OFFICE_LEADER, granted_by=security, now=NOW)
        assert staff.role_set == {Role.OFFICE_STAFF, Role.OFFICE_LEADER}
        assert staff.security_stamp == 1
    with pytest.raises(AccountError), factory.begin() as s:
        accounts.create_account(
            s,
            NewAccount("auditor2", "x", RoleClass.AUDIT_ADMIN, PASSWORD, role=Role.OFFICE_STAFF),
            created_by=None,
            now=NOW,
        )


def test_twenty_concurrent_submissions_of_one_code_succeed_exactly_once(factory, region_id):
    account_id = make(factory, "leader", RoleClass.BUSINESS, Role.OFFICE_LEADER, region_id)
    secret = totp.new_secret()
    with factory.begin() as s:
        account = s.get(Account, account_id)
        account.totp_secret_ciphertext = CIPHER.encrypt(secret, accounts.TOTP_CONTEXT)
        account.totp_confirmed_at = NOW
    code = totp.code_at_step(secret, totp.step_at(NOW))
    policy = throttle.ThrottlePolicy(max_failures=100)
    outcomes: list[login.Outcome] = []
    barrier = threading.Barrier(20)

    def submit() -> None:
        barrier.wait()
        with write_session(factory) as s:
            result = login.check_code(s, s.get(Account, account_id), code, CIPHER, NOW, policy)
            outcomes.append(result.outcome)

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count(login.Outcome.OK) == 1
    assert outcomes.count(login.Outcome.REUSED_CODE) == 19


def test_a_recovery_code_works_once_even_concurrently(factory, region_id):
    account_id = make(factory, "clerk", RoleClass.BUSINESS, Role.OFFICE_STAFF, region_id)
    pepper = bytes(32)
    with factory.begin() as s:
        codes = recovery.regenerate(s, account_id, pepper, NOW)
    assert len(codes) == 10 and len(set(codes)) == 10
    results: list[bool] = []

    def spend() -> None:
        with write_session(factory) as s:
            results.append(recovery.use(s, account_id, codes[0].lower(), pepper, NOW))

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    with factory.begin() as s:
        assert recovery.remaining(s, account_id) == 9


def test_failures_lock_after_five_and_unknown_users_lock_the_same_way(factory, region_id):
    make(factory, "staff", RoleClass.BUSINESS, Role.OFFICE_STAFF, region_id)
    policy = throttle.ThrottlePolicy()
    for username in ("staff", "nobody-here"):
        outcomes = []
        for _ in range(6):
            with write_session(factory) as s:
                outcomes.append(login.check_password(s, username, "wrong", NOW, policy))
        assert [r.outcome for r in outcomes[:4]] == [login.Outcome.BAD_CREDENTIALS] * 4
        assert outcomes[4].outcome is login.Outcome.LOCKED
        assert outcomes[5].outcome is login.Outcome.LOCKED
        assert outcomes[5].locked_until == outcomes[4].locked_until
    # Even the right password is refused while locked, and says nothing more.
    with write_session(factory) as s:
        assert login.check_password(s, "staff", PASSWORD, NOW, policy).outcome is (
            login.Outcome.LOCKED
        )


def test_purge_forgets_only_sessions_past_any_use(factory, region_id):
    from datetime import timedelta

    from auth import sessions
    from auth.models import WebSession
    from auth.sessions import SessionPolicy, Stage

    account_id = make(factory, "staff", RoleClass.BUSINESS, Role.OFFICE_STAFF, region_id)
    policy = SessionPolicy()
    with factory.begin() as s:
        sessions.create(
            s,
            stage=Stage.FULL,
            account_id=account_id,
            data={},
            now=NOW - timedelta(hours=13),
            policy=policy,
        )
        _token, fresh = sessions.create(
            s, stage=Stage.FULL, account_id=account_id, data={}, now=NOW, policy=policy
        )
        fresh_hash = fresh.id_hash
    with factory.begin() as s:
        assert sessions.purge(s, NOW, policy) == 1
        assert [r.id_hash for r in s.query(WebSession)] == [fresh_hash]
