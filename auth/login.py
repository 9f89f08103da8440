"""The two login steps as plain functions: password, then a one-time code (or recovery code).

Identical outcomes for an unknown username and a wrong password, throttled per username
whether or not it exists, so neither the message, the timing nor the lock tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth import accounts, passwords, recovery, security_events, throttle, totp
from auth.models import Account
from pwa.domain.crypto import FieldCipher

EXPIRED_LOOKBACK_STEPS = 20  # a code from the last 10 minutes is "expired", not "wrong"


class Outcome(StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    DISABLED = "disabled"
    MALFORMED = "malformed"
    WRONG_CODE = "wrong_code"
    EXPIRED_CODE = "expired_code"
    REUSED_CODE = "reused_code"
    NOT_ENROLLED = "not_enrolled"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    # The account the attempt was about, when it exists (for the audit log only: what the
    # person is told never depends on it).
    account: Account | None = None
    locked_until: datetime | None = None
    locked_now: bool = False  # this very failure set the lock

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


def check_password(
    session: Session, username: str, password: str, now: datetime, policy: throttle.ThrottlePolicy
) -> Result:
    """Caller holds a write transaction (failures are counted)."""
    key = throttle.password_key(username)
    lock = throttle.locked_until(session, key, now)
    account = session.scalar(
        select(Account).where(Account.username == accounts.normalize_username(username))
    )
    matches = passwords.verify_password(account.password_hash if account else None, password)
    if lock is not None:
        return Result(Outcome.LOCKED, account=account, locked_until=lock)
    if not matches or account is None:
        until = throttle.record_failure(session, key, now, policy)
        if until and account is not None:
            security_events.locked(session, account, security_events.LOCKED_PASSWORD, now)
        if until:
            return Result(Outcome.LOCKED, account=account, locked_until=until, locked_now=True)
        return Result(Outcome.BAD_CREDENTIALS, account=account)
    throttle.record_success(session, key)
    if account.disabled_at is not None:
        return Result(Outcome.DISABLED, account=account)
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    return Result(Outcome.OK, account=account)


def _fail(
    session: Session,
    account: Account,
    outcome: Outcome,
    now: datetime,
    policy: throttle.ThrottlePolicy,
) -> Result:
    until = throttle.record_failure(session, throttle.totp_key(account.id), now, policy)
    account.failed_totp = (account.failed_totp or 0) + 1
    if until:
        security_events.locked(session, account, security_events.LOCKED_CODE, now)
        return Result(Outcome.LOCKED, account=account, locked_until=until, locked_now=True)
    return Result(outcome, account=account)


def verify_code_for(
    session: Session,
    account: Account,
    secret: str,
    raw_code: str,
    now: datetime,
    policy: throttle.ThrottlePolicy,
) -> Result:
    """Check a code against ``secret``: steps T−1 and T only, each step accepted once."""
    # Checks of one account's codes run one at a time (a row lock on PostgreSQL; SQLite's
    # BEGIN IMMEDIATE already serialises writers), so counters and steps never deadlock.
    session.execute(select(Account.id).where(Account.id == account.id).with_for_update())
    lock = throttle.locked_until(session, throttle.totp_key(account.id), now)
    if lock is not None:
        return Result(Outcome.LOCKED, account=account, locked_until=lock)
    try:
        code = totp.normalize_code(raw_code)
    except totp.CodeFormatError:
        return _fail(session, account, Outcome.MALFORMED, now, policy)
    step = totp.matching_step(secret, code, now)
    if step is None:
        current = totp.step_at(now)
        older = range(current - 2, current - EXPIRED_LOOKBACK_STEPS, -1)
        expired = any(totp.code_at_step(secret, s) == code for s in older)
        return _fail(
            session, account, Outcome.EXPIRED_CODE if expired else Outcome.WRONG_CODE, now, policy
        )
    if not accounts.accept_totp_step(session, account.id, step):
        return _fail(session, account, Outcome.REUSED_CODE, now, policy)
    throttle.record_success(session, throttle.totp_key(account.id))
    account.failed_totp = 0
    return Result(Outcome.OK, account=account)


def check_code(
    session: Session,
    account: Account,
    raw_code: str,
    cipher: FieldCipher,
    now: datetime,
    policy: throttle.ThrottlePolicy,
) -> Result:
    secret = accounts.active_secret(account, cipher)
    if secret is None:
        return Result(Outcome.NOT_ENROLLED, account=account)
    return verify_code_for(session, account, secret, raw_code, now, policy)


def check_recovery_code(
    session: Session,
    account: Account,
    raw_code: str,
    pepper: bytes,
    now: datetime,
    policy: throttle.ThrottlePolicy,
) -> Result:
    session.execute(select(Account.id).where(Account.id == account.id).with_for_update())
    lock = throttle.locked_until(session, throttle.totp_key(account.id), now)
    if lock is not None:
        return Result(Outcome.LOCKED, account=account, locked_until=lock)
    if not recovery.use(session, account.id, raw_code, pepper, now):
        return _fail(session, account, Outcome.WRONG_CODE, now, policy)
    throttle.record_success(session, throttle.totp_key(account.id))
    return Result(Outcome.OK, account=account)
