"""Writing audit events. A sensitive read or change whose audit record cannot be written
must not happen: callers record in the same transaction where there is one, and fail
closed (``AuditUnavailable``) otherwise.

``record`` queues the record on the session; the transaction's commit appends it to the
hash chain (``pwa.domain.audit_chain``) as its last act: take the chain lock (SQLite's
writers already hold the database's through ``BEGIN IMMEDIATE``; PostgreSQL takes a
transaction-scoped advisory lock), read the head (one small read per transaction), insert.
Taking the lock last keeps it for the moment of the commit only, and a transaction that
holds it waits for nothing else — so it never closes a deadlock with row locks. If the
append fails the commit fails with ``AuditUnavailable`` and nothing of the transaction is
kept. The unique ``seq`` is the last guard: two appends after the same head cannot both
commit, so the chain never forks.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, insert, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction

from pwa.domain import idnumber
from pwa.domain.audit_chain import GENESIS, Content, link_hash
from pwa.models import AuditEvent

_PENDING = "pwa.audit.pending"
# pg_advisory_xact_lock key of the chain (ASCII "audit"): every appender takes it.
CHAIN_LOCK_KEY = 0x6175646974

_events = AuditEvent.__table__
_HEAD = select(_events.c.seq, _events.c.hash).order_by(_events.c.seq.desc()).limit(1)
_INSERT = insert(_events)
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


class AuditUnavailable(RuntimeError):
    """The audit log could not be written; the operation it guards must not proceed."""


@dataclass(frozen=True)
class Actor:
    """Who acts, from where, in which request: the fields every record carries."""

    account_id: int | None
    role: str
    ip: str
    request_id: str


def scrubbed(detail: dict | None) -> str:
    """The detail as stored: JSON, with any valid ID number masked — a stated reason or a
    typed filter must never carry a personal value into the log."""
    if not detail:
        return ""
    serialised = json.dumps(detail, ensure_ascii=False)
    for number in set(idnumber.find_valid_numbers(serialised)):
        for spelling in {number, number.lower()}:
            serialised = serialised.replace(spelling, idnumber.mask(number))
    return serialised


def record(
    session: Session,
    actor: Actor,
    event: str,
    *,
    now: datetime,
    outcome: str = "ok",
    object_type: str = "",
    object_id: str | int = "",
    detail: dict | None = None,
) -> None:
    """Add one audit record to ``session``'s transaction; it is appended to the chain when
    that transaction commits (and the commit fails with ``AuditUnavailable`` if it can't)."""
    _listen_once()
    values = {
        "occurred_at": now,
        "account_id": actor.account_id,
        "role": actor.role,
        "ip": actor.ip,
        "event": event,
        "object_type": object_type,
        "object_id": "" if object_id is None else str(object_id),
        "outcome": outcome,
        "request_id": actor.request_id,
        "detail": scrubbed(detail),
    }
    session.info.setdefault(_PENDING, []).append(values)


def append(session: Session, pending: list[dict]) -> None:
    """Append ``pending`` records to the chain in ``session``'s transaction."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK, {"key": CHAIN_LOCK_KEY})
    head = connection.execute(_HEAD).first()
    seq, prev = (head.seq, head.hash) if head else (0, GENESIS)
    rows = []
    for values in pending:
        seq += 1
        content = Content.fitted(seq=seq, **values)
        digest = link_hash(prev, content)
        rows.append({**vars(content), "prev_hash": prev, "hash": digest})
        prev = digest
    connection.execute(_INSERT, rows)


def _append_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's commit: wait for the real one
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    try:
        session.flush()  # everything else first: then the chain lock is held only to commit
        append(session, pending)
    except SQLAlchemyError as exc:
        raise AuditUnavailable(pending[0]["event"]) from exc


def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without the commit hook taking the records (a
    # rollback, or a session closed without committing): they describe nothing that happened.
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_PENDING, None)


_registered = threading.Lock()
_listening = False


def _listen_once() -> None:
    """Register the commit hook at the first record, not at import: by then every other
    ``before_commit`` hook (the push outbox's) is registered, and ours runs after them, so
    the chain lock is the last lock a transaction takes."""
    global _listening
    if _listening:
        return
    with _registered:
        if not _listening:
            event.listen(Session, "before_commit", _append_pending)
            event.listen(Session, "after_transaction_end", _forget_pending)
            _listening = True
