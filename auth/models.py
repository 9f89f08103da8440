"""Accounts and their security state: roles, server-side sessions, throttles, challenges."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auth.roles import ROLE_CLASS, Role, RoleClass
from pwa.models.base import Base, UTCDateTime, enum_column

_ROLE_CLASS_MATCHES = " OR ".join(
    f"(role = '{role.value}' AND role_class = '{role_class.value}')"
    for role, role_class in ROLE_CLASS.items()
)


class Account(Base):
    """One person's account (专人专用). A business account sees its jurisdiction (a region
    subtree or one unit; none until the security administrator sets it); admins see none."""

    __tablename__ = "account"
    __table_args__ = (
        UniqueConstraint("id", "role_class", name="uq_account_id_role_class"),
        CheckConstraint(
            "(role_class = 'business' AND (region_id IS NULL OR unit_id IS NULL)) OR "
            "(role_class <> 'business' AND region_id IS NULL AND unit_id IS NULL)",
            name="jurisdiction_fits_class",
        ),
        CheckConstraint("failed_totp >= 0", name="failed_totp_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lower-case
    display_name: Mapped[str] = mapped_column(String(64))
    role_class: Mapped[RoleClass] = mapped_column(enum_column(RoleClass))
    # Jurisdiction: a region subtree (office staff, reviewers) or one unit (unit clerks).
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))

    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    must_change_password: Mapped[bool] = mapped_column(default=False)
    pledge_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    totp_secret_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_pending_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last accepted time step: a code is accepted only for a later step (no replay).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    failed_totp: Mapped[int] = mapped_column(Integer, default=0)

    # Bumped by role and jurisdiction changes: sessions notice and rotate on their next request.
    security_stamp: Mapped[int] = mapped_column(Integer, default=0)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    roles: Mapped[list[AccountRole]] = relationship(
        back_populates="account",
        cascade="all, delete-orphan",
        foreign_keys="AccountRole.account_id",
    )

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.roles)

    @property
    def totp_enrolled(self) -> bool:
        return self.totp_confirmed_at is not None and self.totp_secret_ciphertext is not None


class AccountRole(Base):
    """A role held by an account. The composite key to account makes 三员 a database rule."""

    __tablename__ = "account_role"
    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "role_class"],
            ["account.id", "account.role_class"],
            name="fk_account_role_account_class",
            ondelete="CASCADE",
        ),
        CheckConstraint(_ROLE_CLASS_MATCHES, name="role_in_its_class"),
        CheckConstraint(
            "granted_by_id IS NULL OR granted_by_id <> account_id", name="not_self_granted"
        ),
    )

    account_id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role), primary_key=True)
    role_class: Mapped[RoleClass] = mapped_column(enum_column(RoleClass))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())

    account: Mapped[Account] = relationship(back_populates="roles", foreign_keys=[account_id])


class LoginThrottle(Base):
    """Failure counter and lock for one login key: a username (known or not) or an account's
    second factor. Keyed by a hash so unknown usernames are stored no differently."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    lock_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A server-side session. The cookie holds a random token; the table only its hash."""

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_account_live", "account_id", "revoked_at"),)

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(16))  # anonymous | password | full
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())  # absolute limit
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    via_recovery_code: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RecoveryCode(Base):
    """Single-use codes for a lost phone: log in, never sign a decision."""

    __tablename__ = "recovery_code"
    __table_args__ = (UniqueConstraint("account_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StepUpChallenge(Base):
    """A server-issued challenge for one action on one displayed version of one object."""

    __tablename__ = "step_up_challenge"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)  # 256-bit token
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(64))
    bound_to: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RoleIpAllowlist(Base):
    """Where a role may sign in from: when a role has entries, only these networks."""

    __tablename__ = "role_ip_allowlist"
    __table_args__ = (UniqueConstraint("role", "cidr"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    cidr: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(128), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class KnownDevice(Base):
    """A browser an account has signed in from (by its user-agent string): a sign-in from a
    new one tells the account's other devices."""

    __tablename__ = "known_device"
    __table_args__ = (UniqueConstraint("account_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the user-agent string
    label: Mapped[str] = mapped_column(String(128), default="")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SecurityNotice(Base):
    """A security event shown to one account on its page (and announced by push): a sign-in
    from a new device, a lockout; for security administrators, other accounts' lockouts."""

    __tablename__ = "security_notice"
    __table_args__ = (Index("ix_security_notice_account_time", "account_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    device: Mapped[str] = mapped_column(String(128), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    subject: Mapped[str] = mapped_column(String(64), default="")  # the locked account's username
