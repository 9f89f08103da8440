"""What the three administrators see of accounts (no business data) and their lock state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from auth import throttle
from auth.i18n import N_, UserFacingError
from auth.models import Account, RoleIpAllowlist
from auth.network import valid_cidr
from auth.roles import Role


@dataclass(frozen=True)
class AccountRow:
    account: Account
    locked_until: datetime | None

    @property
    def status(self) -> str:
        if self.account.disabled_at is not None:
            return "disabled"
        if self.locked_until is not None:
            return "locked"
        if not self.account.totp_enrolled:
            return "not_enrolled"
        return "active"


def lock_of(session: Session, account: Account, now: datetime) -> datetime | None:
    """The later of the password lock (by username) and the code lock (by account)."""
    locks = [
        throttle.locked_until(session, throttle.password_key(account.username), now),
        throttle.locked_until(session, throttle.totp_key(account.id), now),
    ]
    present = [lock for lock in locks if lock is not None]
    return max(present) if present else None


def list_accounts(session: Session, now: datetime) -> list[AccountRow]:
    accounts = session.scalars(
        select(Account).options(selectinload(Account.roles)).order_by(Account.username)
    ).all()
    return [AccountRow(a, lock_of(session, a, now)) for a in accounts]


def unlock_account(session: Session, account: Account, *, by: Account) -> int:
    if by.id == account.id:
        raise UserFacingError(N_("不能给自己解锁"))
    account.failed_totp = 0
    return throttle.unlock(
        session, [throttle.password_key(account.username), throttle.totp_key(account.id)]
    )


def add_allowlist_entry(
    session: Session, role: Role, cidr: str, note: str, *, by: Account, now: datetime
) -> RoleIpAllowlist:
    if not valid_cidr(cidr):
        raise UserFacingError(N_("网段格式不正确，应为 CIDR，例如 10.1.0.0/16 或 192.168.3.7/32"))
    if by.role_set & {role}:
        raise UserFacingError(N_("不能修改自己所持角色的访问限制"))
    existing = session.scalar(
        select(RoleIpAllowlist).where(
            RoleIpAllowlist.role == role, RoleIpAllowlist.cidr == cidr.strip()
        )
    )
    if existing is not None:
        raise UserFacingError(N_("该角色已有此网段"))
    entry = RoleIpAllowlist(
        role=role, cidr=cidr.strip(), note=note.strip()[:128], created_by_id=by.id, created_at=now
    )
    session.add(entry)
    session.flush()
    return entry


def allowlist(session: Session) -> list[RoleIpAllowlist]:
    return list(
        session.scalars(
            select(RoleIpAllowlist).order_by(RoleIpAllowlist.role, RoleIpAllowlist.cidr)
        )
    )
