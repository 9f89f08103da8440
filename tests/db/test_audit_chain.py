"""The audit hash chain on SQLite and PostgreSQL: appends from concurrent writers never fork
it, the log refuses UPDATE and DELETE, and verification names what was tampered with."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from auth.models import Account
from auth.roles import Role
from pwa import migrate
from pwa.domain import audit, audit_verify
from pwa.domain.audit_chain import GENESIS, sign_checkpoint
from pwa.domain.audit_verify import Kind
from pwa.extensions import db
from pwa.models import AuditCheckpoint, AuditEvent, Region, RegionLevel
from tests.audit_helpers import SYSTEM, T0, rewrite_from, rows, tamper, tampering, write
from tests.auth_helpers import make_account

KEY_OF = lambda app: app.extensions["pwa.audit_key"]  # noqa: E731


def verify(app, **options) -> audit_verify.Report:
    with app.app_context():
        return audit_verify.verify(db.session, KEY_OF(app), **options)


def checkpoint(app) -> None:
    with app.app_context():
        signed = audit_verify.make_checkpoint(db.session, KEY_OF(app), T0 + timedelta(days=1))
        with db.write() as session:
            audit_verify.store_checkpoint(session, signed)


def seq_ids(app) -> dict[int, int]:
    return {r.seq: r.id for r in rows(app)}


def test_an_empty_log_is_intact(any_app):
    report = verify(any_app)
    assert report.ok and report.count == 0 and report.last_hash == GENESIS


def test_records_form_a_chain_in_one_transaction_and_across_transactions(any_app):
    write(any_app, 3)
    with any_app.app_context(), db.write() as session:
        for n in range(4):
            audit.record(session, SYSTEM, "test.batch", now=T0, object_id=n)
    found = rows(any_app)
    assert [r.seq for r in found] == list(range(1, 8))
    assert found[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(found, found[1:], strict=False))
    report = verify(any_app)
    assert report.ok and report.count == 7 and report.last_hash == found[-1].hash


def test_concurrent_writers_never_fork_the_chain(any_app):
    """Eight writers, 25 transactions each of one to three records, all at once."""
    writers, rounds = 8, 25
    barrier = threading.Barrier(writers)
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with any_app.app_context():
                barrier.wait()
                for r in range(rounds):
                    with db.write() as session:
                        for k in range(1 + (n + r) % 3):
                            audit.record(
                                session, SYSTEM, "test.race", now=T0, object_id=f"{n}-{r}-{k}"
                            )
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    expected = sum(1 + (n + r) % 3 for n in range(writers) for r in range(rounds))
    found = rows(any_app)
    assert [r.seq for r in found] == list(range(1, expected + 1))  # strictly increasing
    assert len({r.prev_hash for r in found}) == expected  # no two records after the same one
    assert verify(any_app).ok


def test_a_record_about_an_account_locked_for_update_does_not_deadlock(any_app):
    """A sign-in check holds its account FOR UPDATE and then records; another transaction
    records about that account meanwhile. The audit row has no foreign key and the chain
    lock is taken at commit, so neither waits on the other in a cycle."""
    account_id, _ = make_account(any_app, "staff", Role.OFFICE_STAFF, region_code=None)
    holding = threading.Event()
    errors: list[BaseException] = []

    def sign_in_check() -> None:
        try:
            with any_app.app_context(), db.write() as session:
                session.execute(
                    select(Account.id).where(Account.id == account_id).with_for_update()
                )
                audit.record(session, SYSTEM, "test.locked", now=T0, object_id=account_id)
                holding.set()
                threading.Event().wait(0.5)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=sign_in_check)
    thread.start()
    holding.wait(5)
    other = audit.Actor(account_id=account_id, role="office_staff", ip="", request_id="x")
    write(any_app, 1, event="test.other", actor=other)
    thread.join()
    assert errors == []
    assert [r.event for r in rows(any_app)] in (
        ["test.locked", "test.other"],
        ["test.other", "test.locked"],
    )
    assert verify(any_app).ok


def test_the_log_refuses_update_and_delete(any_app):
    write(any_app, 2)
    checkpoint(any_app)
    with any_app.app_context():
        for statement in (
            "UPDATE audit_event SET outcome = 'ok2'",
            "DELETE FROM audit_event",
            "UPDATE audit_checkpoint SET seq = 1",
            "DELETE FROM audit_checkpoint",
        ):
            with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
                connection.execute(text(statement))
    assert len(rows(any_app)) == 2 and verify(any_app).ok


def test_an_edited_record_is_named_by_its_seq_and_id(any_app):
    write(any_app, 10)
    tamper(any_app, "UPDATE audit_event SET outcome = 'refused' WHERE seq = 4")
    report = verify(any_app)
    assert not report.ok
    assert (report.broken.kind, report.broken.seq) == (Kind.ALTERED, 4)
    assert report.broken.record_id == seq_ids(any_app)[4]


def test_an_edited_record_with_its_own_hash_recomputed_breaks_the_next_link(any_app):
    write(any_app, 10)
    rewrite_from(any_app, 4, '{"x": 1}', only=True)
    report = verify(any_app)
    assert (report.broken.kind, report.broken.seq) == (Kind.RELINKED, 5)
    assert report.broken.record_id == seq_ids(any_app)[5]


def test_a_record_swapped_for_another_breaks_its_own_link(any_app):
    write(any_app, 6)
    with tampering(any_app) as connection:
        connection.execute(
            text("UPDATE audit_event SET prev_hash = :h WHERE seq = 3"), {"h": "f" * 64}
        )
    report = verify(any_app)
    assert (report.broken.kind, report.broken.seq) == (Kind.RELINKED, 3)


def test_a_deleted_record_is_found_where_the_gap_is(any_app):
    write(any_app, 10)
    tamper(any_app, "DELETE FROM audit_event WHERE seq = 6")
    for report in (verify(any_app), verify(any_app, from_latest_checkpoint=True)):
        assert (report.broken.kind, report.broken.seq, report.broken.missing_to) == (
            Kind.MISSING,
            6,
            6,
        )
        assert report.broken.record_id == seq_ids(any_app)[7]


def test_deleting_the_first_records_is_found_too(any_app):
    write(any_app, 5)
    tamper(any_app, "DELETE FROM audit_event WHERE seq <= 2")
    for report in (verify(any_app), verify(any_app, from_latest_checkpoint=True)):
        assert (report.broken.kind, report.broken.seq, report.broken.missing_to) == (
            Kind.MISSING,
            1,
            2,
        )


def test_a_rewrite_with_recomputed_hashes_is_caught_by_the_checkpoints(any_app):
    write(any_app, 10)
    checkpoint(any_app)  # signs seq 10
    write(any_app, 5)
    rewrite_from(any_app, 3, '{"reason": "改写"}')
    report = verify(any_app)
    assert report.broken is None  # the chain alone looks fine …
    assert report.checkpoint.kind is Kind.REWRITTEN  # … its signed checkpoint does not
    assert (report.checkpoint.seq, report.checkpoint.since) == (10, 1)
    page = verify(any_app, from_latest_checkpoint=True)
    assert page.checkpoint.kind is Kind.REWRITTEN and page.checkpoint.seq == 10


def test_records_cut_off_the_end_are_caught_by_the_checkpoints(any_app):
    write(any_app, 10)
    checkpoint(any_app)
    tamper(any_app, "DELETE FROM audit_event WHERE seq >= 9")
    for report in (verify(any_app), verify(any_app, from_latest_checkpoint=True)):
        assert report.checkpoint.kind is Kind.TRUNCATED
        assert (report.checkpoint.seq, report.checkpoint.since) == (10, 9)


def test_a_forged_checkpoint_is_refused(any_app):
    write(any_app, 3)
    forged = sign_checkpoint(b"not the key".ljust(32, b"!"), 3, rows(any_app)[-1].hash, T0)
    with any_app.app_context(), db.write() as session:
        audit_verify.store_checkpoint(session, forged)
    assert verify(any_app).checkpoint.kind is Kind.OTHER_KEY
    good = sign_checkpoint(KEY_OF(any_app), 3, rows(any_app)[-1].hash, T0)
    with any_app.app_context(), db.write() as session:
        audit_verify.store_checkpoint(session, good)
    tamper(any_app, "UPDATE audit_checkpoint SET signature = :s", s="0" * 64)
    assert verify(any_app).checkpoint.kind is Kind.OTHER_KEY  # the first one, by seq
    tamper(any_app, "DELETE FROM audit_checkpoint WHERE key_id <> :k", k=good.key_id)
    assert verify(any_app).checkpoint.kind is Kind.FORGED


def test_checkpoints_kept_off_site_catch_a_rewrite_after_the_stored_ones_are_gone(any_app):
    write(any_app, 6)
    checkpoint(any_app)
    with any_app.app_context():
        exported = list(audit_verify.export_lines(db.session))
    rewrite_from(any_app, 2, "{}")
    tamper(any_app, "DELETE FROM audit_checkpoint")
    assert verify(any_app).ok  # nothing left in the database to compare with
    report = verify(any_app, extra=audit_verify.read_lines(exported))
    assert report.checkpoint.kind is Kind.REWRITTEN and report.checkpoint.checkpoint_id is None


def test_a_checkpoint_is_never_signed_over_a_broken_chain(any_app):
    write(any_app, 4)
    tamper(any_app, "UPDATE audit_event SET ip = '1.1.1.1' WHERE seq = 2")
    with any_app.app_context(), pytest.raises(audit_verify.ChainBroken):
        audit_verify.make_checkpoint(db.session, KEY_OF(any_app), T0)


def test_the_page_check_walks_only_after_the_newest_checkpoint(any_app):
    write(any_app, 8)
    checkpoint(any_app)
    write(any_app, 3)
    page = verify(any_app, from_latest_checkpoint=True)
    assert page.ok and (page.after_seq, page.count, page.last_seq) == (8, 3, 11)
    assert page.checkpoints == 1
    tamper(any_app, "UPDATE audit_event SET outcome = 'x' WHERE seq = 10")
    page = verify(any_app, from_latest_checkpoint=True)
    assert (page.broken.kind, page.broken.seq) == (Kind.ALTERED, 10)


def test_a_failed_audit_insert_undoes_the_whole_transaction(any_app):
    from tests.audit_helpers import audit_sink_broken

    with audit_sink_broken(any_app), any_app.app_context():
        with pytest.raises(audit.AuditUnavailable), db.write() as session:
            session.add(
                Region(code="130000", name="河北省", short_name="河北", level=RegionLevel.PROVINCE)
            )
            audit.record(session, SYSTEM, "test.change", now=T0)
        assert db.session.scalar(select(func.count()).select_from(Region)) == 0
    assert rows(any_app) == []


def test_records_of_a_rolled_back_transaction_are_forgotten(any_app):
    with any_app.app_context():
        with pytest.raises(RuntimeError), db.write() as session:
            audit.record(session, SYSTEM, "test.undone", now=T0)
            raise RuntimeError("the change failed")
        with db.write() as session:
            audit.record(session, SYSTEM, "test.kept", now=T0)
    assert [r.event for r in rows(any_app)] == ["test.kept"]


def test_the_migration_chains_records_written_before_it(database_url):
    """Records from before revision 0007 get seq in id order and a valid chain."""
    from pwa.db import create_engine_for, make_sessionmaker

    engine = create_engine_for(database_url)
    try:
        migrate.downgrade(engine, "0006")
        with engine.begin() as connection:
            for n in range(3):
                connection.execute(
                    text(
                        "INSERT INTO audit_event (occurred_at, account_id, role, ip, event, "
                        "object_type, object_id, outcome, request_id, detail) VALUES "
                        "(:t, NULL, 'office_staff', '10.0.0.1', 'personnel.read', 'person', "
                        ":o, 'ok', 'r', '{\"page\": 1}')"
                    ),
                    {"t": T0 + timedelta(microseconds=123457 * n), "o": str(n)},
                )
    finally:
        migrate.upgrade(engine)
    with make_sessionmaker(engine)() as session:
        found = session.execute(
            select(AuditEvent.seq, AuditEvent.object_id).order_by(AuditEvent.id)
        ).all()
        assert found == [(1, "0"), (2, "1"), (3, "2")]
        assert audit_verify.verify(session, b"k" * 32).ok
        assert session.scalar(select(func.count()).select_from(AuditCheckpoint)) == 0
    engine.dispose()


def test_the_chain_is_appended_after_every_other_commit_hook(any_app):
    """The push outbox's hook takes row locks at commit; the chain is appended after it, so
    a transaction holding the chain lock never waits for another lock."""
    from pwa.domain.push import item_events

    write(any_app, 1)  # the hook is registered at the first record
    seen: list[int] = []
    with any_app.app_context(), db.write() as session:
        audit.record(session, SYSTEM, "test.order", now=T0)
        count = select(func.count()).select_from(AuditEvent)
        item_events._on_commit(session, lambda: seen.append(session.scalar(count)))
    assert seen == [1]  # the outbox's work ran before this transaction's record was appended
    assert len(rows(any_app)) == 2
