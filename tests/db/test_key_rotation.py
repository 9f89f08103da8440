"""Data-key rotation: every encrypted column ends up under the current key, old ciphertexts
decrypt throughout, a second run changes nothing, and the old key can then be dropped."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from auth.accounts import TOTP_CONTEXT
from auth.models import Account
from pwa import create_app
from pwa.config import TestConfig
from pwa.domain import rotation
from pwa.domain.items.effects import unseal
from pwa.domain.push.subscriptions import AUTH_CONTEXT
from pwa.extensions import db, secrets
from pwa.models import PushSubscription
from tests.conftest import make_config

NEW_KEY = base64.b64encode(os.urandom(32)).decode()


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def plaintexts(app) -> dict[str, list]:
    """Every encrypted value of the database, decrypted with ``app``'s keys."""
    cipher = app.extensions["pwa.secrets"][0]
    found: dict[str, list] = {}
    with app.app_context():
        for column in rotation.encrypted_columns():
            table = rotation._table(column.table)
            (pk,) = table.primary_key.columns
            rows = db.session.execute(
                select(pk, table.c[column.column])
                .where(table.c[column.column].is_not(None))
                .order_by(pk)
            ).all()
            found[column.name] = [(i, cipher.decrypt(blob, column.context)) for i, blob in rows]
    return found


def key_ids(app) -> dict[str, dict[int, int]]:
    with app.app_context():
        return {c.name: rotation.key_id_counts(db.session, c) for c in rotation.encrypted_columns()}


@pytest.fixture
def populated(any_app):
    """The demo (persons, accounts with TOTP, items with a sealed ID number) plus a pending
    TOTP secret and a push subscription: one value in every encrypted column."""
    app = any_app
    result = run(app, "seed-demo", "--scale", "tiny", "--as-of", "2026-06-01")
    assert result.exit_code == 0, result.output
    now = datetime.now(UTC)
    with app.app_context(), db.write() as session:
        account = session.scalars(select(Account).order_by(Account.id)).first()
        account.totp_pending_ciphertext = secrets.cipher.encrypt("PENDINGSECRET", TOTP_CONTEXT)
        session.add(
            PushSubscription(
                account_id=account.id,
                endpoint="https://push.example.invalid/1",
                p256dh="x",
                auth_secret=secrets.cipher.encrypt("YXV0aA==", AUTH_CONTEXT),
                created_at=now,
                last_seen_at=now,
            )
        )
    return app


def test_rotation_re_encrypts_every_column_and_old_values_decrypt_meanwhile(populated, tmp_path):
    before = plaintexts(populated)
    assert all(before.values()), {k: len(v) for k, v in before.items()}  # every column has data
    assert all(set(ids) == {1} for ids in key_ids(populated).values())

    url = populated.config["DATABASE_URL"]
    rotating = create_app(make_config(url, DATA_KEYS=f"2:{NEW_KEY}"))
    cipher = rotating.extensions["pwa.secrets"][0]
    assert cipher.current_key_id == 2 and set(cipher.keys) == {1, 2}

    status = run(rotating, "keys", "status")
    assert "当前密钥编号：2" in status.output and "使用旧密钥" in status.output

    # Interrupted after one batch: a mixture of key ids, and everything still decrypts.
    person = rotation.encrypted_columns()[0]
    with rotating.app_context():
        seen, replaced = rotation.rotate_batch(db.sessionmaker, cipher, person, 100)
    assert seen == replaced == 100
    assert key_ids(rotating)[person.name][2] == 100 and key_ids(rotating)[person.name][1] > 0
    assert plaintexts(rotating) == before

    # New writes during the rotation use the new key.
    with rotating.app_context():
        assert secrets.cipher.encrypt("x", "c")[0] == 2

    done = run(rotating, "keys", "rotate-data-key", "--batch", "250")
    assert done.exit_code == 0, done.output
    assert "全部使用密钥编号 2" in done.output
    assert all(set(ids) == {2} for ids in key_ids(rotating).values() if ids)
    assert plaintexts(rotating) == before
    assert "全部加密数据均使用当前密钥" in run(rotating, "keys", "status").output

    again = run(rotating, "keys", "rotate-data-key")
    assert again.exit_code == 0 and "共重新加密 0 个值" in again.output

    # The old key can now go: an app with only key 2 reads everything.
    only_new = create_app(
        make_config(url, DATA_KEY=None, DATA_KEYS=f"2:{NEW_KEY}", INSTANCE_PATH=str(tmp_path))
    )
    assert set(only_new.extensions["pwa.secrets"][0].keys) == {2}
    assert plaintexts(only_new) == before
    with only_new.app_context():
        sealed = db.session.scalars(
            select(rotation._table("item").c.sealed_payload).where(
                rotation._table("item").c.sealed_payload.is_not(None)
            )
        ).first()
        assert unseal(secrets.cipher, sealed)["id_number"]
    for application in (rotating, only_new):
        application.extensions["pwa.db"][0].dispose()


def test_rotation_stops_clearly_when_a_key_is_missing(populated, tmp_path):
    """A value under a key that is no longer configured: one clear line, no damage."""
    url = populated.config["DATABASE_URL"]
    missing = create_app(
        make_config(url, DATA_KEY=None, DATA_KEYS=f"2:{NEW_KEY}", INSTANCE_PATH=str(tmp_path))
    )
    result = run(missing, "keys", "rotate-data-key")
    missing.extensions["pwa.db"][0].dispose()
    assert result.exit_code == 1 and "密钥编号 1 不在 PWA_DATA_KEYS 中" in result.output
    assert "Traceback" not in result.output
    assert all(set(ids) == {1} for ids in key_ids(populated).values())


def test_the_legacy_single_key_is_key_id_1(app):
    assert app.extensions["pwa.secrets"][0].current_key_id == 1
    assert app.config["DATA_KEY"] == TestConfig.DATA_KEY
