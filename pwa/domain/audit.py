"""Writing audit events. A sensitive read or change whose audit record cannot be written
must not happen: callers write the record first, in the same transaction where there is one,
and fail closed (``AuditUnavailable``) otherwise."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pwa.models import AuditEvent


class AuditUnavailable(RuntimeError):
    """The audit log could not be written; the operation it guards must not proceed."""


@dataclass(frozen=True)
class Actor:
    """Who acts, from where, in which request: the fields every record carries."""

    account_id: int | None
    role: str
    ip: str
    request_id: str


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
    """Add one audit record to ``session``'s transaction (flushed now, so failure shows here)."""
    try:
        session.add(
            AuditEvent(
                occurred_at=now,
                account_id=actor.account_id,
                role=actor.role[:64],
                ip=actor.ip[:64],
                event=event,
                object_type=object_type,
                object_id=str(object_id),
                outcome=outcome,
                request_id=actor.request_id,
                detail=json.dumps(detail, ensure_ascii=False) if detail else "",
            )
        )
        session.flush()
    except SQLAlchemyError as exc:
        raise AuditUnavailable(event) from exc
