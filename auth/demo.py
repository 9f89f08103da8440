"""Demo accounts, one per role, with a known password and an enrolled TOTP secret.

Only ``seed-demo`` creates them and only outside production; ``demo-accounts`` prints them
for people (make run) and scripts (``--json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth import accounts, totp
from auth.models import Account
from auth.roles import Role
from pwa.domain.crypto import FieldCipher
from pwa.models import Region, Unit

DEMO_PASSWORD = "Demo#2026-bianban"  # noqa: S105 - synthetic demo data, printed on purpose


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    region_code: str | None = None  # jurisdiction: a region subtree …
    unit_short_name: str | None = None  # … or one city-level unit


DEMO_ACCOUNTS = (
    DemoAccount("clerk", "演示·单位经办人", Role.UNIT_CLERK, unit_short_name="市教育局"),
    DemoAccount("staff", "演示·编办经办人", Role.OFFICE_STAFF, region_code="130700"),
    DemoAccount("leader", "演示·编办分管领导", Role.OFFICE_LEADER, region_code="130700"),
    DemoAccount("director", "演示·编办主任", Role.OFFICE_DIRECTOR, region_code="130700"),
    DemoAccount("county", "演示·蔚县编办经办人", Role.OFFICE_STAFF, region_code="130726"),
    DemoAccount("zzb", "演示·组织部审核人", Role.ORG_REVIEWER, region_code="130700"),
    DemoAccount("czj", "演示·财政局审核人", Role.FINANCE_REVIEWER, region_code="130700"),
    DemoAccount("rsj", "演示·人社局审核人", Role.HR_REVIEWER, region_code="130700"),
    DemoAccount("sysadmin", "演示·系统管理员", Role.SYSTEM_ADMIN),
    DemoAccount("secadmin", "演示·安全管理员", Role.SECURITY_ADMIN),
    DemoAccount("auditor", "演示·审计管理员", Role.AUDIT_ADMIN),
)


def _jurisdiction(session: Session, demo: DemoAccount) -> tuple[int | None, int | None]:
    if demo.region_code:
        region_id = session.scalar(select(Region.id).where(Region.code == demo.region_code))
        return region_id, None
    if demo.unit_short_name:
        unit_id = session.scalar(
            select(Unit.id)
            .join(Region, Unit.region_id == Region.id)
            .where(Unit.short_name == demo.unit_short_name, Region.code == "130700")
            .order_by(Unit.id)
            .limit(1)
        )
        return None, unit_id
    return None, None


def create_demo_accounts(session: Session, cipher: FieldCipher, now: datetime) -> int:
    """Create every demo account that does not exist yet, enrolled and ready to sign in."""
    created = 0
    for demo in DEMO_ACCOUNTS:
        if session.scalar(select(Account.id).where(Account.username == demo.username)):
            continue
        region_id, unit_id = _jurisdiction(session, demo)
        is_admin = demo.role.is_admin
        if not is_admin and region_id is None and unit_id is None:
            continue  # the demo data lacks this place (e.g. a tiny test city)
        account = accounts.create_account(
            session,
            accounts.NewAccount(
                username=demo.username,
                display_name=demo.display_name,
                account_class=demo.role.role_class,
                password=DEMO_PASSWORD,
                role=None if is_admin else demo.role,
                region_id=region_id,
                unit_id=unit_id,
                must_change_password=False,
            ),
            created_by=None,
            now=now,
        )
        secret = totp.new_secret()
        account.totp_secret_ciphertext = cipher.encrypt(secret, accounts.TOTP_CONTEXT)
        account.totp_confirmed_at = now
        account.pledge_accepted_at = now
        created += 1
    session.flush()
    return created


def list_demo_accounts(session: Session, cipher: FieldCipher) -> list[dict[str, str]]:
    rows = []
    for demo in DEMO_ACCOUNTS:
        account = session.scalar(select(Account).where(Account.username == demo.username))
        if account is None or account.totp_secret_ciphertext is None:
            continue
        rows.append(
            {
                "username": account.username,
                "password": DEMO_PASSWORD,
                "role": demo.role.value,
                "totp_secret": accounts.active_secret(account, cipher) or "",
            }
        )
    return rows
