"""Recovery codes: 10, single use, stored as keyed hashes, good for logging in only."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from auth.models import RecoveryCode

COUNT = 10
# No 0/O, 1/I/L: codes are read off paper and typed on a phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10  # ≈ 49 bits each


def _normalize(raw: str) -> str:
    return "".join(c for c in (raw or "").upper() if c.isalnum())


def _hash(pepper: bytes, account_id: int, code: str) -> str:
    return hmac.new(pepper, f"{account_id}:{code}".encode(), hashlib.sha256).hexdigest()


def display(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def regenerate(session: Session, account_id: int, pepper: bytes, now: datetime) -> list[str]:
    """Replace all codes with 10 new ones; returns them for showing exactly once."""
    session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.account_id == account_id))
    codes = ["".join(secrets.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(COUNT)]
    session.add_all(
        RecoveryCode(
            account_id=account_id, code_hash=_hash(pepper, account_id, code), created_at=now
        )
        for code in codes
    )
    session.flush()
    return [display(code) for code in codes]


def use(session: Session, account_id: int, raw: str, pepper: bytes, now: datetime) -> bool:
    """Spend a code: one conditional UPDATE, so a code works once even under concurrency."""
    code = _normalize(raw)
    if len(code) != LENGTH:
        return False
    result = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.account_id == account_id,
            RecoveryCode.code_hash == _hash(pepper, account_id, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def remaining(session: Session, account_id: int) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )
