"""Flask's session, kept server-side in the ``web_session`` table instead of a signed cookie.

Flask's default session is a signed cookie that logout cannot revoke. Here the cookie holds
a random token; rotating, ending and expiring happen in the database, so every app instance
sees the same state and a replayed cookie after logout is recognised (and answered 401).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import Row, update
from werkzeug.datastructures import CallbackDict

from auth import sessions
from auth.models import WebSession
from auth.network import client_ip
from auth.sessions import Lookup, SessionPolicy, Stage
from pwa import clock
from pwa.db import write_session
from pwa.domain.push import subscriptions as push_subscriptions
from pwa.extensions import db


class ServerSession(CallbackDict[str, Any], SessionMixin):
    def __init__(
        self,
        data: dict[str, Any] | None = None,
        *,
        row: Row | None = None,
        ended_stage: str | None = None,
    ) -> None:
        def on_update(session: ServerSession) -> None:
            session.modified = True

        super().__init__(data or {}, on_update)
        self.modified = False
        self.id_hash = row.id_hash if row else None
        self.stage = Stage(row.stage) if row else Stage.ANONYMOUS
        self.account_id = row.account_id if row else None
        self.via_recovery_code = bool(row.via_recovery_code) if row else False
        self.last_seen_at: datetime | None = row.last_seen_at if row else None
        self.created_at: datetime | None = row.created_at if row else None
        # The cookie named a session that was signed in but has been ended or has expired.
        self.ended_stage = ended_stage
        self._rotate_to: tuple[Stage, int | None, bool] | None = None
        self._end = False

    @property
    def was_signed_in(self) -> bool:
        return self.ended_stage in (Stage.PASSWORD.value, Stage.FULL.value)

    def rotate(self, stage: Stage, account_id: int | None, via_recovery_code: bool = False) -> None:
        """Issue a new session id at the end of this request (privilege changed)."""
        self._rotate_to = (stage, account_id, via_recovery_code)
        self.stage, self.account_id, self.via_recovery_code = stage, account_id, via_recovery_code
        self.modified = True

    def end(self) -> None:
        """Revoke this session at the end of the request and clear the cookie."""
        self._end = True
        self.clear()
        self.stage, self.account_id = Stage.ANONYMOUS, None


def cookie_name(app: Flask) -> str:
    # __Host- forbids Domain and demands Secure and Path=/: only possible over https.
    return "__Host-bb_session" if app.config["SESSION_COOKIE_SECURE"] else "bb_session"


def policy_from(app: Flask) -> SessionPolicy:
    return app.config["SESSION_POLICY"]


class ServerSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession:
        token = request.cookies.get(cookie_name(app))
        if not token:
            return ServerSession()
        # On the request's own read connection: the identity query that follows shares it.
        status, row = sessions.lookup(db.connection, token, clock.now(), policy_from(app))
        if status is Lookup.OK and row is not None:
            return ServerSession(json.loads(row.data or "{}"), row=row)
        if status is Lookup.ENDED and row is not None:
            return ServerSession(ended_stage=row.stage)
        return ServerSession()

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        name, now, policy = cookie_name(app), clock.now(), policy_from(app)
        if session._end:
            if session.id_hash:
                with write_session(db.sessionmaker) as s:
                    sessions.revoke(s, session.id_hash, now)
                    # Logging out on a device ends its notifications too.
                    push_subscriptions.remove_for_session(s, session.id_hash)
            response.delete_cookie(
                name,
                path="/",
                secure=app.config["SESSION_COOKIE_SECURE"],
                httponly=True,
                samesite="Lax",
            )
            return
        if session._rotate_to is not None:
            stage, account_id, via_recovery = session._rotate_to
            with write_session(db.sessionmaker) as s:
                if session.id_hash:
                    sessions.revoke(s, session.id_hash, now)
                token, row = sessions.create(
                    s,
                    stage=stage,
                    account_id=account_id,
                    data=dict(session),
                    now=now,
                    policy=policy,
                    ip=client_ip(),
                    user_agent=_user_agent(),
                    via_recovery_code=via_recovery,
                )
                if stage is Stage.FULL and account_id is not None:
                    sessions.enforce_limit(s, account_id, row.id_hash, now, policy)
                if session.id_hash and account_id is not None:
                    push_subscriptions.follow_rotation(s, session.id_hash, row.id_hash)
            self._set_cookie(app, response, name, token)
            return
        if session.id_hash is None:
            if session.modified and dict(session):
                with write_session(db.sessionmaker) as s:
                    token, _row = sessions.create(
                        s,
                        stage=Stage.ANONYMOUS,
                        account_id=None,
                        data=dict(session),
                        now=now,
                        policy=policy,
                        ip=client_ip(),
                        user_agent=_user_agent(),
                    )
                self._set_cookie(app, response, name, token)
            return
        stale = session.last_seen_at is None or now - session.last_seen_at >= policy.touch_every
        if session.modified or stale:
            values: dict[str, Any] = {"last_seen_at": now}
            if session.modified:
                values["data"] = json.dumps(dict(session), ensure_ascii=False)
            with write_session(db.sessionmaker) as s:
                s.execute(
                    update(WebSession)
                    .where(WebSession.id_hash == session.id_hash, WebSession.revoked_at.is_(None))
                    .values(**values)
                )

    @staticmethod
    def _set_cookie(app: Flask, response: Response, name: str, token: str) -> None:
        response.set_cookie(
            name,
            token,
            path="/",
            secure=app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        response.vary.add("Cookie")


def _user_agent() -> str:
    return (request.user_agent.string or "")[:255]
