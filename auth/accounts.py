"""Account life cycle: creation, roles (三员), passwords, TOTP enrolment, disabling."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from auth import passwords, sessions, totp
from auth.i18n import N_, UserFacingError
from auth.models import Account, AccountRole, RecoveryCode, StepUpChallenge
from auth.roles import ADMIN_ROLE_OF_CLASS, BUSINESS_ROLES, Role, RoleClass
from pwa.domain.crypto import FieldCipher
from pwa.domain.push import subscriptions as push_subscriptions

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,31}$")
TOTP_CONTEXT = "account.totp_secret"


class AccountError(UserFacingError):
    """A rule about accounts was broken; the message is for the person who tried."""


@dataclass(frozen=True)
class NewAccount:
    username: str
    display_name: str
    account_class: RoleClass
    password: str
    # Business accounts only; normally left empty for the security administrator to grant.
    role: Role | None = None
    region_id: int | None = None
    unit_id: int | None = None
    must_change_password: bool = True


def normalize_username(raw: str) -> str:
    return (raw or "").strip().lower()


def create_account(
    session: Session, spec: NewAccount, *, created_by: Account | None, now: datetime
) -> Account:
    """Create an account. Admin accounts hold exactly their class's role and nothing else."""
    username = normalize_username(spec.username)
    if not USERNAME.match(username):
        raise AccountError(
            N_("用户名需以字母开头，3–32 位，只含小写字母、数字、点、下划线或连字符")
        )
    if session.scalar(select(Account.id).where(Account.username == username)) is not None:
        raise AccountError(N_("该用户名已被使用"))
    if not spec.display_name.strip():
        raise AccountError(N_("请填写姓名"))
    is_business = spec.account_class is RoleClass.BUSINESS
    if is_business:
        if spec.region_id is not None and spec.unit_id is not None:
            raise AccountError(N_("管辖范围只能是一个行政区划或一个单位"))
        if spec.role is not None and spec.role not in BUSINESS_ROLES:
            raise AccountError(N_("业务账户只能持有业务角色"))
        if spec.role is Role.UNIT_CLERK and spec.unit_id is None:
            raise AccountError(N_("单位经办人的管辖范围必须是其所在单位"))
        role = spec.role
    else:
        if spec.region_id is not None or spec.unit_id is not None or spec.role is not None:
            raise AccountError(N_("管理员账户不接触业务数据，不能指定管辖范围或业务角色"))
        role = ADMIN_ROLE_OF_CLASS[spec.account_class]
    passwords.check_policy(spec.password, passwords.PasswordContext(username, spec.display_name))
    account = Account(
        username=username,
        display_name=spec.display_name.strip(),
        role_class=spec.account_class,
        region_id=spec.region_id,
        unit_id=spec.unit_id,
        password_hash=passwords.hash_password(spec.password),
        password_changed_at=now,
        must_change_password=spec.must_change_password,
        failed_totp=0,
        created_at=now,
        created_by_id=created_by.id if created_by else None,
    )
    session.add(account)
    session.flush()
    if role is not None:
        session.add(
            AccountRole(
                account_id=account.id,
                role=role,
                role_class=spec.account_class,
                granted_by_id=created_by.id if created_by else None,
                granted_at=now,
            )
        )
        session.flush()
    return account


def grant_role(
    session: Session, account: Account, role: Role, *, granted_by: Account, now: datetime
) -> None:
    """Add a business role to a business account. Nobody grants anything to themselves."""
    if granted_by.id == account.id:
        raise AccountError(N_("不能给自己授予角色"))
    if account.role_class is not RoleClass.BUSINESS or role not in BUSINESS_ROLES:
        raise AccountError(
            N_("系统、安全、审计管理员三员分立：管理员只能持有其本身的角色，不能兼任业务角色")
        )
    if role in account.role_set:
        return
    account.roles.append(
        AccountRole(
            account_id=account.id,
            role=role,
            role_class=RoleClass.BUSINESS,
            granted_by_id=granted_by.id,
            granted_at=now,
        )
    )
    account.security_stamp = (account.security_stamp or 0) + 1
    session.flush()


def revoke_role(
    session: Session, account: Account, role: Role, *, revoked_by: Account, now: datetime
) -> None:
    if revoked_by.id == account.id:
        raise AccountError(N_("不能变更自己的角色"))
    if role is ADMIN_ROLE_OF_CLASS.get(account.role_class):
        raise AccountError(N_("管理员账户的角色不能撤销；如不再使用请停用账户"))
    account.roles[:] = [r for r in account.roles if r.role is not role]
    account.security_stamp = (account.security_stamp or 0) + 1
    session.flush()


def set_jurisdiction(
    session: Session,
    account: Account,
    *,
    region_id: int | None,
    unit_id: int | None,
    changed_by: Account,
) -> None:
    if changed_by.id == account.id:
        raise AccountError(N_("不能变更自己的管辖范围"))
    if account.role_class is not RoleClass.BUSINESS:
        raise AccountError(N_("管理员账户不接触业务数据，不能指定管辖范围"))
    if region_id is not None and unit_id is not None:
        raise AccountError(N_("管辖范围只能是一个行政区划或一个单位"))
    if Role.UNIT_CLERK in account.role_set and unit_id is None:
        raise AccountError(N_("单位经办人的管辖范围必须是其所在单位"))
    account.region_id, account.unit_id = region_id, unit_id
    account.security_stamp = (account.security_stamp or 0) + 1
    session.flush()


def disable(session: Session, account: Account, *, by: Account, now: datetime) -> None:
    """Disabling ends every session and every push subscription."""
    if by.id == account.id:
        raise AccountError(N_("不能停用自己的账户"))
    account.disabled_at = now
    sessions.revoke_all(session, account.id, now)
    push_subscriptions.remove_all(session, account.id)


def enable(session: Session, account: Account, *, by: Account) -> None:
    if by.id == account.id:
        raise AccountError(N_("不能启用自己的账户"))
    account.disabled_at = None


def change_password(
    session: Session,
    account: Account,
    new_password: str,
    now: datetime,
    keep_session_hash: str | None = None,
) -> None:
    passwords.check_policy(
        new_password, passwords.PasswordContext(account.username, account.display_name)
    )
    if passwords.verify_password(account.password_hash, new_password):
        raise passwords.PasswordPolicyError(N_("新密码不能与当前密码相同"))
    account.password_hash = passwords.hash_password(new_password)
    account.password_changed_at = now
    account.must_change_password = False
    sessions.revoke_all(session, account.id, now, except_hash=keep_session_hash)


def reset_password(
    session: Session, account: Account, temporary: str, *, by: Account, now: datetime
) -> None:
    if by.id == account.id:
        raise AccountError(N_("请在“我的”页面修改自己的密码"))
    passwords.check_policy(
        temporary, passwords.PasswordContext(account.username, account.display_name)
    )
    account.password_hash = passwords.hash_password(temporary)
    account.password_changed_at = now
    account.must_change_password = True
    sessions.revoke_all(session, account.id, now)


# --- TOTP -------------------------------------------------------------------------------


def pending_secret(session: Session, account: Account, cipher: FieldCipher) -> str:
    """The secret being enrolled: made once and kept until confirmed, so a reload shows the
    same QR code the person may already have scanned."""
    if account.totp_pending_ciphertext is not None:
        return cipher.decrypt(account.totp_pending_ciphertext, TOTP_CONTEXT)
    secret = totp.new_secret()
    account.totp_pending_ciphertext = cipher.encrypt(secret, TOTP_CONTEXT)
    session.flush()
    return secret


def active_secret(account: Account, cipher: FieldCipher) -> str | None:
    if account.totp_secret_ciphertext is None:
        return None
    return cipher.decrypt(account.totp_secret_ciphertext, TOTP_CONTEXT)


def accept_totp_step(session: Session, account_id: int, step: int) -> bool:
    """Record ``step`` as used, atomically, only if it is later than the last one used.

    One conditional UPDATE: of N concurrent submissions of the same code exactly one sees
    rowcount 1, on SQLite and PostgreSQL alike.
    """
    result = session.execute(
        update(Account)
        .where(Account.id == account_id)
        .where((Account.totp_last_step.is_(None)) | (Account.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def confirm_enrolment(
    session: Session, account: Account, cipher: FieldCipher, now: datetime
) -> None:
    """The pending secret becomes the active factor (its first code already spent its step)."""
    assert account.totp_pending_ciphertext is not None
    secret = cipher.decrypt(account.totp_pending_ciphertext, TOTP_CONTEXT)
    account.totp_secret_ciphertext = cipher.encrypt(secret, TOTP_CONTEXT)
    account.totp_pending_ciphertext = None
    account.totp_confirmed_at = now
    session.flush()


def reset_totp(session: Session, account: Account, *, by: Account, now: datetime) -> None:
    """A lost phone: the factor is cleared, sessions end, the person enrols again."""
    if by.id == account.id:
        raise AccountError(N_("不能重置自己的动态码"))
    account.totp_secret_ciphertext = None
    account.totp_pending_ciphertext = None
    account.totp_confirmed_at = None
    account.totp_last_step = None
    session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.account_id == account.id))
    session.execute(
        StepUpChallenge.__table__.delete().where(StepUpChallenge.account_id == account.id)
    )
    sessions.revoke_all(session, account.id, now)
    push_subscriptions.remove_all(session, account.id)  # the lost phone hears nothing more


def accept_pledge(account: Account, now: datetime) -> None:
    account.pledge_accepted_at = account.pledge_accepted_at or now
