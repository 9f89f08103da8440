"""Accounts and sign-in for web tests: the real pages, or a session made directly."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from auth import accounts, sessions, totp
from auth.models import Account
from auth.roles import Role
from auth.sessions import Stage
from auth.web_session import cookie_name
from pwa.extensions import db, secrets
from pwa.models import Region, Unit

PASSWORD = "Xq7#mPz2Lk-2026"


class Clock:
    """Freezes the app's clock; ``advance`` moves it (TOTP steps, idle timeouts)."""

    def __init__(self, app: Flask, start: datetime) -> None:
        self.app = app
        self.now = start
        app.config["FROZEN_NOW"] = start

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        self.app.config["FROZEN_NOW"] = self.now
        return self.now

    def code(self, secret: str) -> str:
        return totp.code_at_step(secret, totp.step_at(self.now))

    def next_step(self) -> None:
        self.advance(seconds=30)


def make_account(
    app: Flask,
    username: str,
    role: Role,
    *,
    region_code: str | None = "130700",
    unit_id: int | None = None,
    enrolled: bool = True,
    pledged: bool = True,
    password: str = PASSWORD,
    must_change: bool = False,
) -> tuple[int, str | None]:
    with app.app_context(), db.write() as s:
        region_id = None
        if not role.is_admin and unit_id is None and region_code:
            region_id = s.scalar(select(Region.id).where(Region.code == region_code))
        now = app.config.get("FROZEN_NOW") or datetime.now(UTC)
        account = accounts.create_account(
            s,
            accounts.NewAccount(
                username=username,
                display_name=f"测试{username}",
                account_class=role.role_class,
                password=password,
                role=None if role.is_admin else role,
                region_id=region_id,
                unit_id=unit_id,
                must_change_password=must_change,
            ),
            created_by=None,
            now=now,
        )
        secret = None
        if pledged:
            account.pledge_accepted_at = now
        if enrolled:
            secret = pyotp.random_base32()
            account.totp_secret_ciphertext = secrets.cipher.encrypt(secret, accounts.TOTP_CONTEXT)
            account.totp_confirmed_at = now
        return account.id, secret


def unit_id_by_short_name(app: Flask, short_name: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Unit.id).where(Unit.short_name == short_name).order_by(Unit.id).limit(1)
        )


def sign_in(client: FlaskClient, app: Flask, account_id: int) -> str:
    """A full session created directly (for tests about what signed-in people may do)."""
    with app.app_context(), db.write() as s:
        account = s.get(Account, account_id)
        now = app.config.get("FROZEN_NOW") or datetime.now(UTC)
        token, _row = sessions.create(
            s,
            stage=Stage.FULL,
            account_id=account_id,
            data={"stamp": account.security_stamp},
            now=now,
            policy=app.config["SESSION_POLICY"],
        )
    client.set_cookie(cookie_name(app), token)
    return token


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(
    client: FlaskClient, username: str, secret: str, clock: Clock, password: str = PASSWORD
) -> None:
    """The real two-step login through the pages."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "username": username,
            "password": password,
        },
    )
    assert response.status_code == 302 and response.location.endswith("/login/code"), (
        response.get_data(as_text=True)[:400]
    )
    page = client.get("/login/code")
    response = client.post(
        "/login/code",
        data={"csrf_token": csrf_from(page.get_data(as_text=True)), "code": clock.code(secret)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:600]
    clock.next_step()


def session_cookie(client: FlaskClient, app: Flask) -> str | None:
    cookie = client.get_cookie(cookie_name(app))
    return cookie.value if cookie else None
