"""The web side of auditing: who is acting (from the request) and failing closed."""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, g
from sqlalchemy.orm import Session

from auth.access import current
from auth.network import client_ip
from pwa import clock
from pwa.domain import audit, audit_verify
from pwa.domain.audit_chain import Checkpoint
from pwa.extensions import db, secrets

log = logging.getLogger(__name__)


def actor() -> audit.Actor:
    """The signed-in person making this request (anonymous before both factors)."""
    identity = current()
    account = identity.account
    return audit.Actor(
        account_id=account.id if account else None,
        role=roles_text(identity.roles),
        ip=client_ip(),
        request_id=g.get("request_id", ""),
    )


def actor_for(account: Any | None) -> audit.Actor:
    """The account a sign-in step is about (signed in or not yet), from this request."""
    return audit.Actor(
        account_id=account.id if account is not None else None,
        role=roles_text(account.role_set) if account is not None else "",
        ip=client_ip(),
        request_id=g.get("request_id", ""),
    )


def roles_text(roles: Any) -> str:
    return ",".join(sorted(r.value for r in roles))


def record(session: Session, event: str, *, who: audit.Actor | None = None, **fields: Any) -> None:
    """Add a record to ``session``'s transaction: written with it or not at all."""
    audit.record(session, who or actor(), event, now=clock.now(), **fields)


def record_or_refuse(event: str, **fields: Any) -> None:
    """Write one audit record in its own transaction before showing anything; if the log
    cannot be written the request ends with 503 and no data (fail closed)."""
    try:
        with db.write() as session:
            record(session, event, **fields)
    except audit.AuditUnavailable:
        abort(503)
    except Exception:  # noqa: BLE001 - any failure to write the log means "no data"
        abort(503)


def record_quietly(event: str, *, who: audit.Actor | None = None, **fields: Any) -> None:
    """For what must happen whether or not it can be logged (a logout, a refusal): write
    the record in its own transaction; a failure is logged, never raised."""
    try:
        with db.write() as session:
            record(session, event, who=who, **fields)
    except Exception:  # noqa: BLE001 - the refusal or logout goes ahead regardless
        log.error("audit record %s not written, request id %s", event, g.get("request_id", "-"))


def write_checkpoint() -> Checkpoint:
    """Inside an app context: check the records since the newest checkpoint and sign the
    head that was checked (``ChainBroken`` if anything is wrong)."""
    with db.sessionmaker() as session:
        checkpoint = audit_verify.make_checkpoint(
            session, secrets.audit_checkpoint_key, clock.now()
        )
    with db.write() as session:
        audit_verify.store_checkpoint(session, checkpoint)
    return checkpoint
