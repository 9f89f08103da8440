"""Before every request: who is calling (from the server-side session) and may they."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask, Response, current_app, g, redirect, request, session, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Forbidden, Unauthorized

from auth import passwords
from auth.models import Account, RoleIpAllowlist
from auth.network import allowed, client_ip
from auth.permissions import PRE_AUTH, PUBLIC, declared_access
from auth.roles import Permission, Role, permissions_of
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


@dataclass
class Identity:
    account: Account | None = None
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


def _load_account(account_id: int) -> Account | None:
    return (
        db.session.scalars(
            select(Account).options(joinedload(Account.roles)).where(Account.id == account_id)
        )
        .unique()
        .one_or_none()
    )


def load_identity() -> None:
    g.identity = Identity()
    stage = getattr(session, "stage", Stage.ANONYMOUS)
    account_id = getattr(session, "account_id", None)
    if stage is Stage.FULL and account_id is not None:
        account = _load_account(account_id)
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


def _allowlist_for(roles: frozenset[Role]) -> dict[Role, list[str]]:
    rows = db.session.execute(
        select(RoleIpAllowlist.role, RoleIpAllowlist.cidr).where(RoleIpAllowlist.role.in_(roles))
    ).all()
    by_role: dict[Role, list[str]] = {}
    for role, cidr in rows:
        by_role.setdefault(role, []).append(cidr)
    return by_role


def ip_permitted(roles: frozenset[Role], address: str) -> bool:
    """Every role that has an allowlist must allow the address."""
    return all(allowed(address, cidrs) for cidrs in _allowlist_for(roles).values())


def enforce_access() -> Response | None:
    endpoint = request.endpoint
    if endpoint is None:
        return None  # routing failed: the 404/405 handler answers
    view = current_app.view_functions[endpoint]
    access = "public" if endpoint == "static" else declared_access(view)
    if access is None:
        raise Forbidden()  # deny by default
    if access == PUBLIC:
        return None
    if access == PRE_AUTH:
        if pending_account() is None:
            return _to_login()
        return None
    identity = current()
    if identity.account is None:
        return _to_login()
    if not ip_permitted(identity.roles, client_ip()):
        raise Forbidden()
    account = identity.account
    max_age: timedelta = current_app.config["PASSWORD_MAX_AGE"]
    if endpoint not in PASSWORD_CHANGE_ENDPOINTS and (
        account.must_change_password
        or passwords.is_expired(account.password_changed_at, clock.now(), max_age)
    ):
        return redirect(url_for("account.change_password"))
    if isinstance(access, Permission) and access not in identity.permissions:
        raise Forbidden()
    if isinstance(access, frozenset) and not access & identity.permissions:
        raise Forbidden()
    return None


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
