"""Security events a person is told about: a sign-in from a device this account has not
used before, and a lockout (told to the account and to every security administrator).
Each is a notice on the account page — the source of truth — and a push to the account's
devices, whose text says only that there is a notice."""

from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from auth.models import Account, AccountRole, KnownDevice, SecurityNotice
from auth.roles import Role
from pwa.domain.push import outbox
from pwa.domain.push.categories import Category

NEW_DEVICE = "new_device"
LOCKED_PASSWORD = "locked_password"  # noqa: S105 - an event kind
LOCKED_CODE = "locked_code"
OTHER_LOCKED = "other_locked"  # for security administrators: someone else was locked
# Security notices ignore quiet hours; the zone only matters for categories that don't.
_ZONE = ZoneInfo("Asia/Shanghai")


def _notify(session: Session, account_ids: list[int], now: datetime) -> None:
    outbox.notify(session, account_ids, Category.SECURITY, now=now, zone=_ZONE)


def signed_in(
    session: Session, account_id: int, *, user_agent: str, label: str, ip: str, now: datetime
) -> bool:
    """Remember the device; True (and a notice) when an account that has signed in before
    does so from a device it never used."""
    fingerprint = hashlib.sha256(user_agent.encode()).hexdigest()
    known = session.scalar(
        select(KnownDevice).where(
            KnownDevice.account_id == account_id, KnownDevice.fingerprint == fingerprint
        )
    )
    if known is not None:
        known.last_seen_at = now
        return False
    had_devices = session.scalar(select(exists().where(KnownDevice.account_id == account_id)))
    session.add(
        KnownDevice(
            account_id=account_id,
            fingerprint=fingerprint,
            label=label[:128],
            first_seen_at=now,
            last_seen_at=now,
        )
    )
    if not had_devices:  # the very first sign-in is expected, not news
        session.flush()
        return False
    session.add(
        SecurityNotice(
            account_id=account_id, kind=NEW_DEVICE, occurred_at=now, device=label[:128], ip=ip
        )
    )
    session.flush()
    _notify(session, [account_id], now)
    return True


def alert_security_admins(
    session: Session, kind: str, *, subject: str, now: datetime, exclude: int | None = None
) -> list[int]:
    """A notice (and a push) for every active security administrator: another account's
    lockout now; the bulk-access block (数据安全) uses the same path."""
    admins = [
        admin_id
        for admin_id in session.scalars(
            select(Account.id)
            .join(AccountRole, AccountRole.account_id == Account.id)
            .where(AccountRole.role == Role.SECURITY_ADMIN, Account.disabled_at.is_(None))
        )
        if admin_id != exclude
    ]
    for admin_id in admins:
        session.add(
            SecurityNotice(account_id=admin_id, kind=kind, occurred_at=now, subject=subject)
        )
    session.flush()
    _notify(session, admins, now)
    return admins


def locked(session: Session, account: Account, kind: str, now: datetime) -> None:
    """``account`` was just locked (wrong passwords or wrong codes)."""
    session.add(SecurityNotice(account_id=account.id, kind=kind, occurred_at=now))
    session.flush()
    _notify(session, [account.id], now)
    alert_security_admins(
        session, OTHER_LOCKED, subject=account.username, now=now, exclude=account.id
    )


def recent(session: Session, account_id: int, limit: int = 10) -> list[SecurityNotice]:
    return list(
        session.scalars(
            select(SecurityNotice)
            .where(SecurityNotice.account_id == account_id)
            .order_by(SecurityNotice.occurred_at.desc(), SecurityNotice.id.desc())
            .limit(limit)
        )
    )
