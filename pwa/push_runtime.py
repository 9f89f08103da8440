"""The Flask side of Web Push: building the outbox worker from the app's configuration, the
notification texts in the office's language, and the inbox count for the app badge."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import force_locale, gettext
from sqlalchemy.orm import Session

from auth.models import Account
from auth.scope import scope_for
from pwa import clock, keys
from pwa.domain.items import inbox
from pwa.domain.items.context import Participant
from pwa.domain.push.categories import SPECS, Category
from pwa.domain.push.sender import WebPushSender
from pwa.domain.push.worker import Round, Worker
from pwa.extensions import db, secrets

log = logging.getLogger("pwa.push")
DEADLINE_SCAN_SECONDS = 600.0


def texts(category: Category, count: int) -> tuple[str, str]:
    spec = SPECS[category]
    return gettext(spec.title), gettext(spec.body, n=count)


def badge_count(session: Session, account_id: int) -> int | None:
    """What the app icon's badge shows: my open steps plus my items returned for 补正."""
    account = session.get(Account, account_id)
    if account is None or account.disabled_at is not None:
        return None
    who = Participant(account.id, account.role_set, scope_for(session, account))
    counts = inbox.badges(session, who, clock.today())
    return counts.todo + counts.returned


def make_worker(app: Flask, sender: object | None = None) -> Worker:
    """Inside an app context."""
    return Worker(
        db.sessionmaker,
        sender
        or WebPushSender(
            keys.vapid_keys(app.config),
            allow_internal=app.config["PUSH_SUBSCRIPTION_POLICY"].allow_insecure,
        ),
        secrets.cipher,
        texts=texts,
        badge_count=badge_count,
        policy=app.config["PUSH_WORKER_POLICY"],
    )


def zone(app: Flask) -> ZoneInfo:
    return ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])


def run_round(app: Flask, worker: Worker) -> Round:
    with force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return worker.run_once(clock.now())


def _audit_checkpoint() -> None:
    """The worker is the app's one long-running process: it also signs the audit chain's
    checkpoints (as `flask --app pwa audit checkpoint` would); never fatal to the worker."""
    from pwa.audit_log import write_checkpoint
    from pwa.domain.audit_verify import ChainBroken

    try:
        write_checkpoint()
    except ChainBroken as broken:
        log.error("audit chain broken, no checkpoint written: %s", broken)
    except Exception:  # noqa: BLE001 - a database restart must not end the worker
        log.exception("audit checkpoint failed")


def serve(
    app: Flask,
    worker: Worker,
    *,
    poll_seconds: float,
    once: bool = False,
    report: Callable[[str], None] = log.info,
    stop: threading.Event | None = None,
) -> None:
    """Drain the outbox until SIGTERM/SIGINT (or ``stop`` is set, when embedded in another
    program); a failing round is logged and retried, so a database restart or a dead push
    service never ends the worker."""
    stopping = stop or threading.Event()
    if stop is None and not once:

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            stopping.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    next_scan = next_checkpoint = 0.0
    checkpoint_every = app.config["AUDIT_CHECKPOINT_SECONDS"]
    while not stopping.is_set():
        busy = False
        if checkpoint_every and time.monotonic() >= next_checkpoint:
            next_checkpoint = time.monotonic() + checkpoint_every
            _audit_checkpoint()
        try:
            if time.monotonic() >= next_scan:
                worker.queue_deadlines(clock.now(), clock.today(), zone(app))
                worker.purge(clock.now())
                next_scan = time.monotonic() + DEADLINE_SCAN_SECONDS
            result = run_round(app, worker)
            busy = result.busy
            if busy:
                report(
                    f"推送：派发 {result.dispatched}，发送成功 {result.sent}，"
                    f"订阅失效 {result.gone}，待重试 {result.retried}，失败 {result.failed}"
                )
        except Exception:  # noqa: BLE001 - keep draining; the log says what broke
            log.exception("push worker round failed")
            if once:
                raise
        if once:
            return
        if not busy:  # a busy round goes straight on: there may be more
            stopping.wait(poll_seconds)
