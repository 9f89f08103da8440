"""The audit log's hash chain and signed checkpoints, as pure functions (no database).

Each record's ``hash`` is SHA-256 over the previous record's hash (64 lower-case hex
characters; 64 zeros before the first record) followed by the record's canonical form: the
UTF-8 JSON array

    ["bianban-audit-v1", seq, time, account_id, role, ip, event, object_type, object_id,
     outcome, request_id, detail]

with ``time`` in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, ``account_id`` a number or null
and everything else a string, written as Python's ``json.dumps(..., ensure_ascii=False,
separators=(",", ":"))`` writes it. Changing any field of any record changes its hash and
breaks the link to the next one; deleting a record leaves a gap in ``seq``.

A checkpoint signs (seq, hash, time) with HMAC-SHA256 under a key kept outside the
database, so a chain rewritten with recomputed hashes no longer matches its checkpoints.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = "0" * 64
RECORD_FORMAT = "bianban-audit-v1"
CHECKPOINT_FORMAT = "bianban-audit-checkpoint-v1"

# Column widths (models/audit.py): a value is cut to fit *before* it is hashed, so the hash
# always covers exactly what the database holds.
WIDTHS = {
    "role": 64,
    "ip": 64,
    "event": 64,
    "object_type": 32,
    "object_id": 64,
    "outcome": 16,
    "request_id": 32,
}


def utc_text(moment: datetime) -> str:
    """The one spelling of a moment in the chain: UTC, microseconds, ``Z``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime in the audit chain")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


@dataclass(frozen=True)
class Content:
    """What one audit record says, in the chain's field order."""

    seq: int
    occurred_at: datetime
    account_id: int | None
    role: str
    ip: str
    event: str
    object_type: str
    object_id: str
    outcome: str
    request_id: str
    detail: str

    @classmethod
    def fitted(cls, **values: object) -> Content:
        """Build from raw values, cut to the column widths and with the time in UTC."""
        for name, width in WIDTHS.items():
            values[name] = str(values.get(name) or "")[:width]
        values["detail"] = str(values.get("detail") or "")
        moment = values["occurred_at"]
        assert isinstance(moment, datetime)
        values["occurred_at"] = moment.astimezone(UTC)
        return cls(**values)  # type: ignore[arg-type]

    def canonical(self) -> bytes:
        return json.dumps(
            [
                RECORD_FORMAT,
                self.seq,
                utc_text(self.occurred_at),
                self.account_id,
                self.role,
                self.ip,
                self.event,
                self.object_type,
                self.object_id,
                self.outcome,
                self.request_id,
                self.detail,
            ],
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()


def link_hash(prev_hash: str, content: Content) -> str:
    """The record's hash: SHA-256 over the previous hash and the record's canonical form."""
    return hashlib.sha256(prev_hash.encode("ascii") + content.canonical()).hexdigest()


# -- checkpoints -------------------------------------------------------------------------


def key_id(key: bytes) -> str:
    """A short, public name for a checkpoint key (which key signed, never the key)."""
    return hashlib.sha256(b"bianban-audit-checkpoint-key-id\0" + key).hexdigest()[:16]


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at a moment, signed: ``seq`` 0 with the genesis hash when empty."""

    seq: int
    hash: str
    created_at: datetime
    key_id: str
    signature: str

    def message(self) -> bytes:
        return _checkpoint_message(self.seq, self.hash, self.created_at, self.key_id)

    def signed_by(self, key: bytes) -> bool:
        expected = hmac.new(key, self.message(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.signature)

    def as_json(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "hash": self.hash,
            "created_at": utc_text(self.created_at),
            "key_id": self.key_id,
            "signature": self.signature,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Checkpoint:
        """One line of an exported file; ValueError (or KeyError/TypeError) when malformed."""
        created = datetime.strptime(str(data["created_at"]), "%Y-%m-%dT%H:%M:%S.%fZ")
        seq = data["seq"]
        if not isinstance(seq, int) or seq < 0:
            raise ValueError("seq")
        return cls(
            seq=seq,
            hash=str(data["hash"]),
            created_at=created.replace(tzinfo=UTC),
            key_id=str(data["key_id"]),
            signature=str(data["signature"]),
        )


def _checkpoint_message(seq: int, head_hash: str, created_at: datetime, kid: str) -> bytes:
    return json.dumps(
        [CHECKPOINT_FORMAT, seq, head_hash, utc_text(created_at), kid],
        separators=(",", ":"),
    ).encode()


def sign_checkpoint(key: bytes, seq: int, head_hash: str, created_at: datetime) -> Checkpoint:
    kid = key_id(key)
    # Stored with microseconds like every other time in the chain, and signed as stored.
    created = created_at.astimezone(UTC)
    signature = hmac.new(
        key, _checkpoint_message(seq, head_hash, created, kid), hashlib.sha256
    ).hexdigest()
    return Checkpoint(seq, head_hash, created, kid, signature)
