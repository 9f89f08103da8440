"""Several push workers on one outbox: every delivery is sent exactly once (PostgreSQL: FOR
UPDATE SKIP LOCKED plus a lease; SQLite: BEGIN IMMEDIATE serialises the claims)."""

from __future__ import annotations

import secrets as pysecrets
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from auth.roles import Role
from pwa import create_app, push_runtime
from pwa.domain.push import outbox
from pwa.domain.push.worker import SENT, Round, WorkerPolicy
from pwa.extensions import db
from pwa.models.push import PushDelivery, PushMessage
from tests.auth_helpers import make_account
from tests.conftest import AS_OF, make_config
from tests.push_helpers import BrowserKeys, FakePushService, subscribe

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)
ACCOUNTS = 4
DEVICES = 2
MESSAGES_PER_ACCOUNT = 12  # over the hourly cap of 10 on purpose: see the policy below


@pytest.fixture
def push_app(database_url: str) -> Iterator[Flask]:
    app = create_app(make_config(database_url))
    app.config["FROZEN_NOW"] = NOW
    # Small batches so that the workers take turns many times; no hourly cap in the way.
    app.config["PUSH_WORKER_POLICY"] = WorkerPolicy(max_per_hour=1000, batch=5, parallel_sends=4)
    yield app
    app.extensions["pwa.db"][0].dispose()


def _queue(app: Flask, service: FakePushService) -> dict[str, BrowserKeys]:
    """ACCOUNTS accounts with DEVICES phones each and MESSAGES_PER_ACCOUNT messages each
    (written directly: notify() would coalesce them)."""
    browsers: dict[str, BrowserKeys] = {}
    for a in range(ACCOUNTS):
        account_id, _ = make_account(app, f"pusher{a}", Role.SYSTEM_ADMIN, enrolled=False)
        for d in range(DEVICES):
            sub_id = f"a{a}d{d}"
            browsers[sub_id] = BrowserKeys(service.endpoint(sub_id))
            subscribe(app, account_id, browsers[sub_id], now=NOW)
        with app.app_context(), db.write() as session:
            for _ in range(MESSAGES_PER_ACCOUNT):
                session.add(
                    PushMessage(
                        token=pysecrets.token_urlsafe(16),
                        account_id=account_id,
                        category="task",
                        count=1,
                        target="/items",
                        state=outbox.PENDING,
                        created_at=NOW,
                        updated_at=NOW,
                        not_before=NOW,
                        note="",
                    )
                )
    return browsers


def _drain(app: Flask, start: threading.Barrier, rounds: list[Round], errors: list) -> None:
    try:
        with app.app_context():
            worker = push_runtime.make_worker(app)
            start.wait(timeout=30)
            for _ in range(200):
                result = push_runtime.run_round(app, worker)
                rounds.append(result)
                if not result.busy:
                    return
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)


@pytest.mark.parametrize("workers", [2, 3])
def test_concurrent_workers_deliver_every_message_exactly_once(push_app, workers):
    with FakePushService(delay=0.005) as service:
        browsers = _queue(push_app, service)
        start = threading.Barrier(workers)
        rounds: list[list[Round]] = [[] for _ in range(workers)]
        errors: list = []
        threads = [
            threading.Thread(target=_drain, args=(push_app, start, rounds[n], errors))
            for n in range(workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        captured = list(service.captured)

    with push_app.app_context():
        tokens = set(db.session.scalars(select(PushMessage.token)))
        states = Counter(db.session.scalars(select(PushDelivery.state)))
        message_states = Counter(db.session.scalars(select(PushMessage.state)))
        deliveries = db.session.scalar(select(func.count()).select_from(PushDelivery))
    total = ACCOUNTS * MESSAGES_PER_ACCOUNT
    assert len(tokens) == total
    assert message_states == {outbox.DISPATCHED: total}
    assert deliveries == total * DEVICES and states == {SENT: total * DEVICES}

    # What the push service saw: each (message, device) once, decrypted with that device's keys.
    seen = Counter((c.sub_id, browsers[c.sub_id].decrypt(c.body)["id"]) for c in captured)
    assert len(captured) == total * DEVICES
    assert set(seen.values()) == {1}
    assert {token for _, token in seen} == tokens
    per_device = Counter(sub_id for sub_id, _ in seen)
    assert per_device == {sub_id: MESSAGES_PER_ACCOUNT for sub_id in browsers}

    # The work was shared, and the rounds' own counts agree with the push service.
    sent = [sum(r.sent for r in mine) for mine in rounds]
    assert sum(sent) == total * DEVICES
    assert sum(r.dispatched for mine in rounds for r in mine) == total
    if push_app.config["DATABASE_URL"].startswith("postgresql"):
        assert sum(1 for n in sent if n) >= 2, sent  # more than one worker took part
