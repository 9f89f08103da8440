"""Checking the audit chain and signing checkpoints of it.

``verify`` walks the chain in ``seq`` order and stops at the first broken record: a gap in
``seq`` (records deleted), a ``prev_hash`` that is not the previous record's hash (a record
replaced), a hash that does not match the record's content (a record edited). It also checks
every checkpoint — stored ones and any read back from the off-site export — against the
chain: a forged or foreign signature, a record whose hash differs from the one signed (the
chain was rewritten with recomputed hashes), a signed ``seq`` beyond the end (records cut
off the end).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import exists, func, insert, select
from sqlalchemy.orm import Session

from pwa.domain.audit_chain import GENESIS, Checkpoint, Content, key_id, link_hash, sign_checkpoint
from pwa.models import AuditCheckpoint, AuditEvent

WALK_BATCH = 2000

_events, _checkpoints = AuditEvent.__table__, AuditCheckpoint.__table__
# In Content's field order, so a row's tail is a Content's arguments.
_CONTENT_COLUMNS = [_events.c[name] for name in Content.__dataclass_fields__]


class Kind(StrEnum):
    MISSING = "missing"  # seq jumps: the records in between were deleted
    RELINKED = "relinked"  # prev_hash is not the previous record's hash
    ALTERED = "altered"  # the record's content does not give its hash
    FORGED = "forged"  # a checkpoint's signature does not verify
    OTHER_KEY = "other_key"  # a checkpoint signed with another key
    REWRITTEN = "rewritten"  # the record at a checkpoint's seq is not the one signed
    TRUNCATED = "truncated"  # a checkpoint names a seq beyond the end of the chain


@dataclass(frozen=True)
class Problem:
    """What is wrong and where. A broken record is named by ``seq`` and ``record_id``
    (``MISSING``: ``seq`` to ``missing_to`` are gone, ``record_id`` is the record after the
    gap). A checkpoint problem names the checkpoint (``checkpoint_id``; None when it came
    from an exported file), its ``seq`` and ``since``: the records from there to ``seq``
    are the ones rewritten or cut off."""

    kind: Kind
    seq: int
    record_id: int | None = None
    missing_to: int | None = None
    checkpoint_id: int | None = None
    since: int | None = None


@dataclass(frozen=True)
class Report:
    count: int  # records whose hash was recomputed
    after_seq: int  # the walk began after this seq (0: at the first record)
    last_seq: int
    last_hash: str
    checkpoints: int  # checkpoints compared with the chain
    broken: Problem | None = None  # the first broken record
    checkpoint: Problem | None = None  # the first checkpoint that does not hold

    @property
    def ok(self) -> bool:
        return self.broken is None and self.checkpoint is None


@dataclass
class _Signed:
    checkpoint: Checkpoint
    id: int | None  # None: read from the off-site file


class _Checkpoints:
    """The checkpoints still to compare with the chain, by seq; the first problem found."""

    def __init__(self, key: bytes, signed: Iterable[_Signed]) -> None:
        self.by_seq: dict[int, list[_Signed]] = {}
        self.problem: Problem | None = None
        self.matched = 0
        self.good_up_to = 0  # seq of the last checkpoint that held
        expected = key_id(key)
        for item in sorted(signed, key=lambda s: (s.checkpoint.seq, s.id or 0)):
            cp = item.checkpoint
            if cp.key_id != expected:
                self.flag(Problem(Kind.OTHER_KEY, cp.seq, checkpoint_id=item.id))
            elif not cp.signed_by(key):
                self.flag(Problem(Kind.FORGED, cp.seq, checkpoint_id=item.id))
            else:
                self.by_seq.setdefault(cp.seq, []).append(item)

    def flag(self, problem: Problem) -> None:
        if self.problem is None:
            self.problem = problem

    def at(self, seq: int, digest: str | None, record_id: int | None = None) -> bool:
        """The chain holds ``digest`` at ``seq`` (None: no record there). False when a
        checkpoint signed something else there."""
        held, signed = True, self.by_seq.pop(seq, ())
        for item in signed:
            self.matched += 1
            if item.checkpoint.hash != digest:
                held = False
                self.flag(
                    Problem(
                        Kind.REWRITTEN,
                        seq,
                        record_id=record_id,
                        checkpoint_id=item.id,
                        since=self.good_up_to + 1,
                    )
                )
        if signed and held:
            self.good_up_to = seq
        return held

    def beyond(self, last_seq: int) -> None:
        """The walk reached the end at ``last_seq``: checkpoints still waiting name records
        that are not there any more."""
        for seq in sorted(self.by_seq):
            item = self.by_seq[seq][0]
            if seq > last_seq:  # cut off the end: everything after the last record
                problem = Problem(Kind.TRUNCATED, seq, checkpoint_id=item.id, since=last_seq + 1)
            else:  # the signed record is gone from the middle
                problem = Problem(
                    Kind.REWRITTEN, seq, checkpoint_id=item.id, since=self.good_up_to + 1
                )
            self.flag(problem)
            self.matched += len(self.by_seq[seq])
        self.by_seq.clear()


def stored_checkpoints(session: Session) -> list[tuple[int, Checkpoint]]:
    """(id, checkpoint) of every stored checkpoint, oldest first."""
    rows = session.execute(select(_checkpoints).order_by(_checkpoints.c.id)).all()
    return [(row.id, _checkpoint_of(row)) for row in rows]


def _checkpoint_of(row) -> Checkpoint:
    return Checkpoint(row.seq, row.hash, row.created_at, row.key_id, row.signature)


def _stream(session: Session, after: int) -> Iterator:
    query = (
        select(_events.c.id, _events.c.prev_hash, _events.c.hash, *_CONTENT_COLUMNS)
        .where(_events.c.seq > after)
        .order_by(_events.c.seq)
        .execution_options(yield_per=WALK_BATCH)
    )
    return iter(session.execute(query))


def _content(row) -> Content:
    return Content(*row[3:])  # the content columns follow id, prev_hash and hash


def verify(
    session: Session,
    key: bytes,
    *,
    extra: Iterable[Checkpoint] = (),
    from_latest_checkpoint: bool = False,
) -> Report:
    """Check the chain and the checkpoints (stored, plus ``extra`` from an export).

    The full walk (``flask --app pwa audit verify``) recomputes every hash.
    ``from_latest_checkpoint`` is the bounded check the audit pages run: every checkpoint
    against the record at its seq, a look for gaps in ``seq`` anywhere, and the walk over
    the records after the newest checkpoint that holds. It misses only an edit, before that
    checkpoint, that left the record's hash as it was — which the full walk finds."""
    checkpoints = _Checkpoints(
        key,
        [_Signed(cp, cp_id) for cp_id, cp in stored_checkpoints(session)]
        + [_Signed(cp, None) for cp in extra],
    )
    checkpoints.at(0, GENESIS)  # checkpoints of the empty chain
    after, prev = 0, GENESIS
    broken = None
    if from_latest_checkpoint:
        after, prev = _anchor(session, checkpoints)
        broken = _first_gap(session)
    expected, count = after + 1, 0
    if broken is None:
        for row in _stream(session, after):
            if row.seq != expected:
                broken = Problem(Kind.MISSING, expected, record_id=row.id, missing_to=row.seq - 1)
            elif row.prev_hash != prev:
                broken = Problem(Kind.RELINKED, row.seq, record_id=row.id)
            elif link_hash(row.prev_hash, _content(row)) != row.hash:
                broken = Problem(Kind.ALTERED, row.seq, record_id=row.id)
            if broken is not None:
                break
            checkpoints.at(row.seq, row.hash, row.id)
            prev, expected, count = row.hash, expected + 1, count + 1
    if broken is None:
        checkpoints.beyond(expected - 1)
    return Report(
        count=count,
        after_seq=after,
        last_seq=expected - 1,
        last_hash=prev,
        checkpoints=checkpoints.matched,
        broken=broken,
        checkpoint=checkpoints.problem,
    )


def _anchor(session: Session, checkpoints: _Checkpoints) -> tuple[int, str]:
    """Compare every checkpoint with the record at its seq (one query); the walk starts
    after the newest one that held, as long as all before it held too."""
    if not checkpoints.by_seq:
        return 0, GENESIS
    held = {
        row.seq: row
        for row in session.execute(
            select(_events.c.seq, _events.c.hash, _events.c.id).where(
                _events.c.seq.in_(select(_checkpoints.c.seq).distinct())
            )
        )
    }
    anchor = (0, GENESIS)
    for seq in sorted(checkpoints.by_seq):
        row = held.get(seq)
        if row is None:
            break  # no record there (deleted, or beyond the end): the walk tells which
        if not checkpoints.at(seq, row.hash, row.id):
            break
        anchor = (seq, row.hash)
    return anchor


def _first_gap(session: Session) -> Problem | None:
    """Deleted records anywhere: seq runs 1..n without gaps exactly when there are n rows."""
    count, top = session.execute(select(func.count(), func.max(_events.c.seq))).one()
    if not count or count == top:
        return None
    before = _events.alias("before")
    # The first record whose predecessor is missing (there is one: the count says so).
    row = session.execute(
        select(_events.c.seq, _events.c.id)
        .where(_events.c.seq > 1, ~exists().where(before.c.seq == _events.c.seq - 1))
        .order_by(_events.c.seq)
        .limit(1)
    ).one()
    previous = session.scalar(select(func.max(_events.c.seq)).where(_events.c.seq < row.seq))
    return Problem(Kind.MISSING, (previous or 0) + 1, record_id=row.id, missing_to=row.seq - 1)


def latest_checkpoint(session: Session) -> Checkpoint | None:
    row = session.execute(select(_checkpoints).order_by(_checkpoints.c.id.desc()).limit(1)).first()
    return _checkpoint_of(row) if row else None


class ChainBroken(RuntimeError):
    def __init__(self, report: Report) -> None:
        super().__init__(report.broken or report.checkpoint)
        self.report = report


def make_checkpoint(session: Session, key: bytes, now: datetime) -> Checkpoint:
    """Check the records since the newest checkpoint, then sign the head that was checked
    (ChainBroken if anything is wrong: a broken chain is never signed)."""
    report = verify(session, key, from_latest_checkpoint=True)
    if not report.ok:
        raise ChainBroken(report)
    return sign_checkpoint(key, report.last_seq, report.last_hash, now)


def store_checkpoint(session: Session, checkpoint: Checkpoint) -> None:
    session.execute(
        insert(_checkpoints).values(
            seq=checkpoint.seq,
            hash=checkpoint.hash,
            created_at=checkpoint.created_at,
            key_id=checkpoint.key_id,
            signature=checkpoint.signature,
        )
    )


def export_lines(session: Session) -> Iterator[str]:
    """Every stored checkpoint as one JSON line, oldest first."""
    for _id, checkpoint in stored_checkpoints(session):
        yield json.dumps(checkpoint.as_json(), separators=(",", ":"))


def read_lines(lines: Iterable[str]) -> list[Checkpoint]:
    """Checkpoints from an export; ValueError naming the line when one is malformed."""
    found = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            found.append(Checkpoint.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            raise ValueError(number) from None
    return found
