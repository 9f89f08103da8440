"""Concurrent decisions on SQLite (BEGIN IMMEDIATE) and PostgreSQL (READ COMMITTED with row
locks): one decision per item, and never more places granted than are vacant."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from pwa import create_app
from pwa.domain import quota
from pwa.domain.items import payloads as p
from pwa.domain.items import service
from pwa.domain.items.effects import EffectRefused
from pwa.models import EntryMode, ItemState, ItemType, QuotaReservation, Verdict
from pwa.models.item import Item
from tests.conftest import AS_OF, make_config, seed
from tests.item_helpers import World, make_world, new_key


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    app: Flask = create_app(make_config(database_url))
    app.config["FROZEN_NOW"] = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)
    seed(app)
    yield make_world(app)
    app.extensions["pwa.db"][0].dispose()


def _free_position(world: World) -> quota.QuotaPosition:
    positions = world.read(quota.unit_positions, world.unit_id, world.ctx().clock.today)
    return max(positions, key=lambda pos: pos.free)


def _to_decision(world: World, payload: p.Payload, item_type=ItemType.QUOTA_USE) -> int:
    draft = service.Draft(item_type, world.unit_id, payload)
    item = world.run(
        service.create, world.who("clerk"), draft, idempotency_key=new_key(), submit=True
    )
    item = world.to_decision(item)
    assert item.state is ItemState.AWAITING_DECISION
    return item.id


def _race(count: int, attempt) -> Counter:
    barrier = threading.Barrier(count)
    results: Counter = Counter()
    lock = threading.Lock()

    def run(n: int) -> None:
        barrier.wait()
        try:
            outcome = attempt(n)
        except Exception as exc:  # noqa: BLE001 - each failure kind is counted
            outcome = type(exc).__name__
        with lock:
            results[outcome] += 1

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_twenty_concurrent_decisions_on_one_item_apply_exactly_one(world):
    pos = _free_position(world)
    item_id = _to_decision(
        world, p.QuotaUse(pos.kind, pos.funding, 1, EntryMode.OPEN_RECRUITMENT, "科员", "补员")
    )
    seen = world.read(lambda s: service.version_hash(s.get(Item, item_id)))
    leader = world.who("leader")

    def attempt(_n: int) -> str:
        world.run(
            service.decide,
            leader,
            item_id,
            verdict=Verdict.APPROVE,
            comment="",
            version_hash_seen=seen,
            signed_with="totp",
        )
        return "applied"

    results = _race(20, attempt)
    assert results == Counter({"applied": 1, "ItemConflict": 19})
    item = world.read(lambda s: s.get(Item, item_id))
    assert item.state is ItemState.APPROVED
    reservations = world.read(
        lambda s: s.scalar(
            select(func.count())
            .select_from(QuotaReservation)
            .where(QuotaReservation.document_number == item.document_number)
        )
    )
    assert reservations == 1


def test_concurrent_quota_approvals_never_exceed_the_vacancy(world):
    pos = _free_position(world)
    vacant = pos.free
    assert 1 <= vacant <= 30, vacant
    extra = 3
    item_ids = [
        _to_decision(
            world,
            p.QuotaUse(pos.kind, pos.funding, 1, EntryMode.OPEN_RECRUITMENT, "科员", f"补员{n}"),
        )
        for n in range(vacant + extra)
    ]
    hashes = {i: world.read(lambda s, i=i: service.version_hash(s.get(Item, i))) for i in item_ids}
    leader = world.who("leader")

    def attempt(n: int) -> str:
        item_id = item_ids[n]
        world.run(
            service.decide,
            leader,
            item_id,
            verdict=Verdict.APPROVE,
            comment="",
            version_hash_seen=hashes[item_id],
            signed_with="totp",
        )
        return "applied"

    results = _race(len(item_ids), attempt)
    assert results["applied"] == vacant
    assert sum(results.values()) == vacant + extra
    assert set(results) <= {"applied", "ChecksFailed", EffectRefused.__name__}
    after = world.read(quota.unit_positions, world.unit_id, world.ctx().clock.today)
    same = [x for x in after if (x.kind, x.funding) == (pos.kind, pos.funding)][0]
    assert same.free == 0 and same.reserved == pos.reserved + vacant
