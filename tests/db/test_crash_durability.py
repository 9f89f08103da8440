"""kill -9 in the middle of a stream of acknowledged writes: the real app under gunicorn on a
SQLite file; client threads, each an office leader, sign a decision (不予批准, with a TOTP code)
and then take items through 受理 and 开始审核 over HTTP; the whole server process group is
killed with SIGKILL once some writes were acknowledged, while others are in flight.
Afterwards the file passes ``PRAGMA integrity_check``, every decision the server
acknowledged (303) is there with its audit record, every acknowledged step with its item
event, and no item moved without its history."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
import requests

from auth.roles import Role
from pwa import create_app
from pwa.models import ItemType
from pwa.models.item import Item
from tests.auth_helpers import csrf_from, make_account, sign_in
from tests.conftest import make_config
from tests.item_helpers import make_world, new_key

pytestmark = pytest.mark.fault

ITEMS = 30
KILL_AFTER = 20  # acknowledged writes before the kill; the stream goes on meanwhile
CLIENTS = 4
STEPS = ("accept", "begin-review")
ACTION_OF = {"accept": "accept", "begin-review": "begin_review"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cast:
    items: list[int]  # submitted, for 受理 and 开始审核
    staff_token: str
    deciders: list[tuple[str, str, int]]  # (session token, TOTP secret, item awaiting decision)


def _prepare(path: Path) -> Cast:
    """Items, accounts and signed-in sessions, made in-process before the server starts."""
    from pwa.domain.items import payloads as p
    from pwa.domain.items import service
    from pwa.models import EntryMode, Funding, QuotaKind

    app = create_app(make_config(f"sqlite:///{path}"))
    world = make_world(app)
    ids = []
    for _ in range(ITEMS + CLIENTS):
        draft = service.Draft(
            ItemType.QUOTA_USE,
            world.unit_id,
            p.QuotaUse(
                QuotaKind.ADMINISTRATIVE,
                Funding.FULL,
                1,
                EntryMode.CIVIL_SERVICE_EXAM,
                "科员",
                "补充执法力量",
            ),
        )
        item = world.run(
            service.create, world.who("clerk"), draft, idempotency_key=new_key(), submit=True
        )
        ids.append(item.id)
    deciders = []
    for n, item_id in enumerate(ids[ITEMS:]):
        item = world.to_decision(world.read(lambda s, i=item_id: s.get(Item, i)))
        assert item.state.value == "awaiting_decision"
        account_id, secret = make_account(app, f"crash_leader{n}", Role.OFFICE_LEADER)
        deciders.append((sign_in(app.test_client(), app, account_id), secret, item.id))
    token = sign_in(app.test_client(), app, world.ids["staff"])
    app.extensions["pwa.db"][0].dispose()
    return Cast(ids[:ITEMS], token, deciders)


def _start(path: Path, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PWA_ENV": "test",
        "DATABASE_URL": f"sqlite:///{path}",
        "PWA_INSTANCE_PATH": str(path.parent / "instance"),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--preload",  # import the app once, then fork: quicker to start on a busy machine
            "--bind",
            f"127.0.0.1:{port}",
            "pwa:create_app()",
        ],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: master and workers die together
    )


def _wait_until_up(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60  # a start-up limit, not an assertion on speed
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail("gunicorn exited: " + log.read_text()[-2000:])
        try:
            if requests.get(base + "/healthz", timeout=10).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    pytest.fail("gunicorn did not start: " + log.read_text()[-2000:])


def test_acknowledged_writes_survive_kill_9(seeded_template, tmp_path):
    path = tmp_path / "crash.sqlite3"
    shutil.copy(seeded_template, path)
    cast = _prepare(path)
    item_ids = cast.items
    port, log = _free_port(), tmp_path / "gunicorn.log"
    base = f"http://127.0.0.1:{port}"
    server = _start(path, port, log)
    try:
        _wait_until_up(base, server, log)
        work: queue.Queue[int] = queue.Queue()
        for item_id in item_ids:
            work.put(item_id)
        acknowledged: list[tuple[int, str]] = []
        unexpected: list[str] = []
        lock, enough, stop = threading.Lock(), threading.Event(), threading.Event()

        def acknowledge(write: tuple[int, str]) -> None:
            with lock:
                acknowledged.append(write)
                if len(acknowledged) >= KILL_AFTER:
                    enough.set()

        def decide(token: str, secret: str, item_id: int) -> bool:
            http = requests.Session()
            http.cookies.set("bb_session", token)
            try:
                page = http.get(f"{base}/items/{item_id}", timeout=10)
                challenge = re.search(
                    r'action="[^"]*/decide"[^>]*>.*?name="challenge" value="([^"]+)"',
                    page.text,
                    re.S,
                )
                response = http.post(
                    f"{base}/items/{item_id}/decide",
                    data={
                        "csrf_token": csrf_from(page.text),
                        "challenge": challenge.group(1),
                        # 不予批准: a decision whatever the unit's vacancies (批准 may be
                        # refused by the automatic checks once the places are taken).
                        "verdict": "reject",
                        "comment": "演练：不予批准",
                        "code": pyotp.TOTP(secret).now(),
                    },
                    allow_redirects=False,
                    timeout=10,
                )
            except (requests.RequestException, AttributeError, AssertionError):
                return False
            if response.status_code == 303:
                acknowledge((item_id, "decide"))
                return True
            with lock:
                unexpected.append(
                    f"decide {item_id}: {response.status_code} "
                    + re.sub(r"<[^>]+>|\s+", " ", response.text.split("请更正以下问题", 1)[-1])[
                        :300
                    ]
                )
            return False

        def client(token: str, secret: str, decision_item: int) -> None:
            if not decide(token, secret, decision_item):
                return
            http = requests.Session()
            http.cookies.set("bb_session", cast.staff_token)
            while not stop.is_set():
                try:
                    item_id = work.get_nowait()
                except queue.Empty:
                    return
                for step in STEPS:
                    try:
                        page = http.get(f"{base}/items/{item_id}", timeout=10)
                        version = re.search(r'name="expected_version" value="(\d+)"', page.text)
                        response = http.post(
                            f"{base}/items/{item_id}/{step}",
                            data={
                                "csrf_token": csrf_from(page.text),
                                "expected_version": version.group(1),
                            },
                            allow_redirects=False,
                            timeout=10,
                        )
                    except (requests.RequestException, AttributeError, AssertionError):
                        return  # the server is gone (or died mid-response): stop this client
                    if response.status_code == 303:
                        acknowledge((item_id, ACTION_OF[step]))
                    else:
                        with lock:
                            unexpected.append(
                                f"{step} {item_id}: {response.status_code} {response.text[:200]}"
                            )
                        return

        # One page first, so each session holds its CSRF secret before clients share it.
        for token in [cast.staff_token] + [d[0] for d in cast.deciders]:
            warm = requests.get(base + "/", cookies={"bb_session": token}, timeout=30)
            assert warm.status_code == 200, warm.text[:300]
        threads = [threading.Thread(target=client, args=d) for d in cast.deciders]
        for thread in threads:
            thread.start()
        assert enough.wait(timeout=120), f"too few writes acknowledged: {unexpected}"
        os.killpg(server.pid, signal.SIGKILL)  # mid-stream: other requests are in flight
        server.wait()
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()

    assert not unexpected, unexpected
    assert len(acknowledged) >= KILL_AFTER
    assert len(acknowledged) < 2 * ITEMS + CLIENTS  # killed mid-stream, not at the end
    decided = [item_id for item_id, action in acknowledged if action == "decide"]
    assert decided, "no decision was acknowledged before the kill"

    connection = sqlite3.connect(path)  # recovers the WAL the killed server left behind
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        events = set(
            connection.execute(
                "SELECT item_id, action FROM item_event WHERE action IN ('accept', 'begin_review')"
            ).fetchall()
        )
        decisions = {
            row[0] for row in connection.execute("SELECT item_id FROM decision").fetchall()
        }
        audited = {
            row[0]
            for row in connection.execute(
                "SELECT CAST(object_id AS INTEGER) FROM audit_event "
                "WHERE event = 'item.decide' AND object_type = 'item' AND outcome = 'ok'"
            ).fetchall()
        }
        states = dict(
            connection.execute(
                f"SELECT id, state FROM item WHERE id IN ({','.join(map(str, item_ids))})"
            ).fetchall()
        )
    finally:
        connection.close()
    missing = [write for write in acknowledged if write[1] != "decide" and write not in events]
    assert not missing, f"acknowledged but lost: {missing}"
    for item_id in decided:
        assert item_id in decisions, f"acknowledged decision on item {item_id} lost"
        assert item_id in audited, f"decision on item {item_id} has no audit record"
    # A decision and its audit record are one transaction.
    assert decisions == audited
    # Atomic: an item's state and its history moved together, acknowledged or not.
    for item_id, state in states.items():
        expected = {
            "submitted": set(),
            "accepted": {"accept"},
            "under_review": {"accept", "begin_review"},
        }[state]
        assert {a for i, a in events if i == item_id} == expected, (item_id, state)
