"""Extensions, created unbound here and bound in ``create_app`` with ``init_app``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from flask_babel import Babel
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from pwa import db as dbmod
from pwa.domain.crypto import BlindIndex, FieldCipher


class Database:
    """Binds an engine per app and a session per request (closed at teardown)."""

    def init_app(self, app: Flask) -> None:
        engine = dbmod.create_engine_for(app.config["DATABASE_URL"])
        app.extensions["pwa.db"] = (engine, dbmod.make_sessionmaker(engine))
        app.teardown_appcontext(self._close_session)

    @property
    def engine(self) -> Engine:
        return current_app.extensions["pwa.db"][0]

    @property
    def sessionmaker(self) -> sessionmaker[Session]:
        return current_app.extensions["pwa.db"][1]

    @property
    def session(self) -> Session:
        """The request's read session; writes go through ``write()``."""
        if "db_session" not in g:
            g.db_session = self.sessionmaker()
        return g.db_session

    @property
    def connection(self) -> Connection:
        """The read session's connection, for prebuilt Core statements on hot paths: same
        transaction as ``session``, without the ORM's per-statement work."""
        return self.session.connection()

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[Session]:
        """A write transaction (BEGIN IMMEDIATE on SQLite) committed on success; see
        ``pwa.db.write_session`` for ``durable=False``."""
        with dbmod.write_session(self.sessionmaker, durable=durable) as session:
            yield session

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


class Secrets:
    """The data-protection keys, decoded once per app."""

    def init_app(
        self, app: Flask, cipher: FieldCipher, index: BlindIndex, *, audit_key: bytes
    ) -> None:
        app.extensions["pwa.secrets"] = (cipher, index)
        app.extensions["pwa.audit_key"] = audit_key

    @property
    def cipher(self) -> FieldCipher:
        return current_app.extensions["pwa.secrets"][0]

    @property
    def blind_index(self) -> BlindIndex:
        return current_app.extensions["pwa.secrets"][1]

    @property
    def audit_checkpoint_key(self) -> bytes:
        """HMAC key of the audit checkpoints (never stored in the database)."""
        return current_app.extensions["pwa.audit_key"]


db = Database()
secrets = Secrets()
csrf = CSRFProtect()
babel = Babel()
talisman = Talisman()
htmx = Htmx()
