"""Before every request: who is calling (from the server-side session) and may they."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NoReturn

from flask import Flask, Response, current_app, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Forbidden, Unauthorized

from auth import passwords
from auth.models import Account, AccountRole, RoleIpAllowlist
from auth.network import allowed, client_ip
from auth.permissions import PRE_AUTH, PUBLIC, declared_access
from auth.roles import Permission, Role, RoleClass, permissions_of
from auth.scope import NOTHING, Scope, scope_for
from auth.sessions import Stage
from pwa import clock
from pwa.extensions import db

# Pages a signed-in person may still open while a password change is demanded of them.
PASSWORD_CHANGE_ENDPOINTS = {
    "account.change_password",
    "auth.logout",
    "auth.confirm_logout",
    "static",
}


@dataclass(frozen=True)
class Principal:
    """The signed-in account as a request sees it: plain values read afresh on every request
    in one Core query (see ``load_principal``), never an ORM entity. Pages that change the
    account load the entity themselves."""

    id: int
    username: str
    display_name: str
    role_class: RoleClass
    region_id: int | None
    unit_id: int | None
    password_changed_at: datetime
    must_change_password: bool
    totp_confirmed_at: datetime | None
    security_stamp: int
    disabled_at: datetime | None
    role_set: frozenset[Role]
    # CIDRs per role, only for roles that have an allowlist at all.
    allowlists: Mapping[Role, tuple[str, ...]]


@dataclass
class Identity:
    account: Principal | None = None
    roles: frozenset[Role] = frozenset()
    permissions: frozenset[Permission] = frozenset()
    _scope: Scope | None = field(default=None, repr=False)

    @property
    def scope(self) -> Scope:
        if self._scope is None:
            self._scope = scope_for(db.session, self.account) if self.account else NOTHING
        return self._scope

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def current() -> Identity:
    return g.identity


class SessionEnded(Unauthorized):
    description = "session ended"


class NetworkRefused(Forbidden):
    """403 for an address outside a role's allowlist, with a message of its own."""

    user_message = _l(
        "您当前所在的网络不在您的角色允许访问的网段内（例如离开了单位内网），本次请求已被拒绝。"
        "请回到允许的网络后重试；如需调整，请联系安全管理员。"
    )


def _load_account(account_id: int) -> Account | None:
    return (
        db.session.scalars(
            select(Account).options(joinedload(Account.roles)).where(Account.id == account_id)
        )
        .unique()
        .one_or_none()
    )


_account, _role, _allow = Account.__table__, AccountRole.__table__, RoleIpAllowlist.__table__
# Built once: the account, its roles and their IP allowlists in one statement, one row per
# (role, cidr). Runs on every request, so it skips the ORM and statement construction.
_PRINCIPAL = (
    select(
        _account.c.id,
        _account.c.username,
        _account.c.display_name,
        _account.c.role_class,
        _account.c.region_id,
        _account.c.unit_id,
        _account.c.password_changed_at,
        _account.c.must_change_password,
        _account.c.totp_confirmed_at,
        _account.c.security_stamp,
        _account.c.disabled_at,
        _role.c.role,
        _allow.c.cidr,
    )
    .select_from(
        _account.outerjoin(_role, _role.c.account_id == _account.c.id).outerjoin(
            _allow, _allow.c.role == _role.c.role
        )
    )
    .where(_account.c.id == bindparam("account_id"))
)


def load_principal(account_id: int) -> Principal | None:
    rows = db.connection.execute(_PRINCIPAL, {"account_id": account_id}).all()
    if not rows:
        return None
    roles: set[Role] = set()
    allowlists: dict[Role, list[str]] = {}
    for row in rows:
        if row.role is not None:
            roles.add(row.role)
            if row.cidr is not None:
                allowlists.setdefault(row.role, []).append(row.cidr)
    first = rows[0]
    return Principal(
        *first[:11],
        role_set=frozenset(roles),
        allowlists={role: tuple(cidrs) for role, cidrs in allowlists.items()},
    )


def load_identity() -> None:
    g.identity = Identity()
    stage = getattr(session, "stage", Stage.ANONYMOUS)
    account_id = getattr(session, "account_id", None)
    if stage is Stage.FULL and account_id is not None:
        account = load_principal(account_id)
        if account is None or account.disabled_at is not None:
            session.end()
            raise SessionEnded()
        if session.get("stamp") != account.security_stamp:
            # Roles or jurisdiction changed since this session began: new session id now.
            session["stamp"] = account.security_stamp
            session.rotate(Stage.FULL, account.id, session.via_recovery_code)
        roles = account.role_set
        g.identity = Identity(account, roles, permissions_of(roles))


def pending_account() -> Account | None:
    """The account of a password-stage session (second factor pending)."""
    if getattr(session, "stage", None) is Stage.PASSWORD and session.account_id is not None:
        account = _load_account(session.account_id)
        if account is not None and account.disabled_at is None:
            return account
    return None


def ip_permitted(account: Principal, address: str) -> bool:
    """Every role that has an allowlist must allow the address."""
    return all(allowed(address, list(cidrs)) for cidrs in account.allowlists.values())


def enforce_access() -> Response | None:
    endpoint = request.endpoint
    if endpoint is None:
        return None  # routing failed: the 404/405 handler answers
    view = current_app.view_functions[endpoint]
    access = "public" if endpoint == "static" else declared_access(view)
    if access is None:
        _deny("undeclared")  # deny by default
    if access == PUBLIC:
        return None
    if access == PRE_AUTH:
        if pending_account() is None:
            return _to_login()
        return None
    identity = current()
    if identity.account is None:
        return _to_login()
    account = identity.account
    if not ip_permitted(account, client_ip()):
        _deny("ip", NetworkRefused)
    max_age: timedelta = current_app.config["PASSWORD_MAX_AGE"]
    if endpoint not in PASSWORD_CHANGE_ENDPOINTS and (
        account.must_change_password
        or passwords.is_expired(account.password_changed_at, clock.now(), max_age)
    ):
        return redirect(url_for("account.change_password"))
    if isinstance(access, Permission) and access not in identity.permissions:
        _deny("permission")
    if isinstance(access, frozenset) and not access & identity.permissions:
        _deny("permission")
    return None


def _deny(reason: str, refusal: type[Forbidden] = Forbidden) -> NoReturn:
    """403, recorded in the audit log (the refusal stands even if the log is down)."""
    from pwa.audit_log import record_quietly  # pwa.audit_log reads the identity from here

    record_quietly(
        "access.denied",
        outcome="denied",
        object_type="endpoint",
        object_id=request.endpoint or "",
        detail={"method": request.method, "path": request.path[:200], "reason": reason},
    )
    raise refusal()


def _to_login() -> Response:
    if getattr(session, "was_signed_in", False):
        raise SessionEnded()
    target = request.full_path if request.method == "GET" else None
    location = (
        url_for("auth.login_password", next=target.rstrip("?"))
        if target
        else url_for("auth.login_password")
    )
    if request.headers.get("HX-Request") == "true":
        response = Response(status=401)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location)


def init_app(app: Flask) -> None:
    app.before_request(load_identity)
    app.before_request(enforce_access)
    app.context_processor(lambda: {"identity": g.get("identity", Identity())})
