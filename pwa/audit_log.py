"""The web side of auditing: who is acting (from the request) and failing closed."""

from __future__ import annotations

from typing import Any

from flask import abort, g

from auth.access import current
from auth.network import client_ip
from pwa import clock
from pwa.domain import audit
from pwa.extensions import db


def actor() -> audit.Actor:
    identity = current()
    account = identity.account
    return audit.Actor(
        account_id=account.id if account else None,
        role=",".join(sorted(r.value for r in identity.roles)),
        ip=client_ip(),
        request_id=g.get("request_id", ""),
    )


def record_or_refuse(event: str, **fields: Any) -> None:
    """Write one audit record in its own transaction before showing anything; if the log
    cannot be written the request ends with 503 and no data (fail closed)."""
    try:
        with db.write() as session:
            audit.record(session, actor(), event, now=clock.now(), **fields)
    except audit.AuditUnavailable:
        abort(503)
    except Exception:  # noqa: BLE001 - any failure to write the log means "no data"
        abort(503)
