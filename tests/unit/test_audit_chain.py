"""The audit chain's canonical form, its hashes and the checkpoint signatures."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from pwa.domain import audit
from pwa.domain.audit_chain import (
    GENESIS,
    Checkpoint,
    Content,
    key_id,
    link_hash,
    sign_checkpoint,
)

MOMENT = datetime(2026, 6, 1, 1, 2, 3, 456789, tzinfo=UTC)
KEY = b"k" * 32


def content(**changes) -> Content:
    values = dict(
        seq=7,
        occurred_at=MOMENT,
        account_id=12,
        role="office_leader,office_staff",
        ip="10.1.2.3",
        event="personnel.unmask",
        object_type="person",
        object_id="345",
        outcome="ok",
        request_id="9f86d081884c7d65",
        detail='{"reason": "核对入编材料"}',
    )
    return Content(**(values | changes))


def test_the_canonical_form_is_a_fixed_json_array_in_utc():
    assert (
        content().canonical()
        == (
            '["bianban-audit-v1",7,"2026-06-01T01:02:03.456789Z",12,"office_leader,office_staff",'
            '"10.1.2.3","personnel.unmask","person","345","ok","9f86d081884c7d65",'
            '"{\\"reason\\": \\"核对入编材料\\"}"]'
        ).encode()
    )


def test_the_hash_is_sha256_of_the_previous_hash_and_the_canonical_form():
    expected = hashlib.sha256(GENESIS.encode() + content().canonical()).hexdigest()
    assert link_hash(GENESIS, content()) == expected
    # Pinned: a change of the format must be deliberate (a new format name), never silent —
    # an external verifier following the documented format gets this same value.
    assert expected == "88e6987aecb62474e1299be172261f07d1868b158b629436c406b756c18f665d"


def test_the_same_moment_in_another_zone_hashes_the_same():
    beijing = MOMENT.astimezone(timezone(timedelta(hours=8)))
    assert content(occurred_at=beijing).canonical() == content().canonical()


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        content(occurred_at=MOMENT.replace(tzinfo=None)).canonical()


@pytest.mark.parametrize(
    "field, value",
    [
        ("seq", 8),
        ("occurred_at", MOMENT + timedelta(microseconds=1)),
        ("account_id", 13),
        ("account_id", None),
        ("role", "office_staff"),
        ("ip", "10.1.2.4"),
        ("event", "personnel.read"),
        ("object_type", "unit"),
        ("object_id", "346"),
        ("outcome", "refused"),
        ("request_id", "0000000000000000"),
        ("detail", ""),
    ],
)
def test_every_field_is_covered_by_the_hash(field, value):
    assert link_hash(GENESIS, replace(content(), **{field: value})) != link_hash(GENESIS, content())


def test_the_previous_hash_is_covered():
    assert link_hash("1" * 64, content()) != link_hash(GENESIS, content())


def test_fields_cannot_be_shifted_into_each_other():
    # "ab" + "" and "a" + "b" must not serialise alike.
    one = content(object_type="ab", object_id="")
    other = content(object_type="a", object_id="b")
    assert one.canonical() != other.canonical()


def test_values_are_cut_to_their_column_width_before_hashing():
    fitted = Content.fitted(
        seq=1,
        occurred_at=MOMENT,
        account_id=None,
        role="r" * 100,
        ip="",
        event="e" * 100,
        object_type="t" * 40,
        object_id=12345,
        outcome="o" * 20,
        request_id=None,
        detail=None,
    )
    assert (len(fitted.role), len(fitted.event), len(fitted.object_type)) == (64, 64, 32)
    assert fitted.outcome == "o" * 16 and fitted.object_id == "12345"
    assert fitted.request_id == "" and fitted.detail == ""


def test_id_numbers_in_a_detail_are_masked_before_they_reach_the_log():
    number = "11010519491231002X"
    stored = audit.scrubbed({"reason": f"核对 {number} 的材料", "other": number.lower()})
    assert number not in stored and number.lower() not in stored
    assert "110105********002X" in stored
    assert json.loads(stored)["reason"] == "核对 110105********002X 的材料"


def test_a_checkpoint_verifies_only_under_its_key_and_unchanged():
    checkpoint = sign_checkpoint(KEY, 42, "a" * 64, MOMENT)
    assert checkpoint.key_id == key_id(KEY) and checkpoint.signed_by(KEY)
    assert not checkpoint.signed_by(b"x" * 32)
    assert not replace(checkpoint, seq=43).signed_by(KEY)
    assert not replace(checkpoint, hash="b" * 64).signed_by(KEY)
    assert not replace(checkpoint, created_at=MOMENT + timedelta(seconds=1)).signed_by(KEY)


def test_a_checkpoint_survives_its_json_line():
    checkpoint = sign_checkpoint(KEY, 42, "a" * 64, MOMENT)
    line = json.dumps(checkpoint.as_json())
    assert Checkpoint.from_json(json.loads(line)) == checkpoint
    assert set(json.loads(line)) == {"seq", "hash", "created_at", "key_id", "signature"}
    with pytest.raises((ValueError, KeyError)):
        Checkpoint.from_json({"seq": -1, "hash": "", "created_at": "x"})
