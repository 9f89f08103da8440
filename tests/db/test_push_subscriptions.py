"""Stored push subscriptions: one row per browser, at most 5 per account, the auth secret
encrypted at rest, pushsubscriptionchange proven by the old secret, and removal at logout,
disable and session rotation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from auth.roles import Role
from pwa.domain.push import subscriptions
from pwa.domain.push.subscriptions import SubscriptionPolicy
from pwa.extensions import db, secrets
from pwa.models.push import PushSubscription
from tests.auth_helpers import Clock, make_account
from tests.push_helpers import BrowserKeys, b64u

BASE = "https://push.example.com/p/"


@pytest.fixture
def clock(seeded_app) -> Clock:
    return Clock(seeded_app, seeded_app.config["FROZEN_NOW"])


@pytest.fixture
def people(seeded_app) -> dict[str, int]:
    return {
        name: make_account(seeded_app, name, Role.OFFICE_STAFF, enrolled=False)[0]
        for name in ("amy", "bob")
    }


def save(app, account_id, browser: BrowserKeys, now, *, session_hash=None, label="手机", limit=5):
    policy = SubscriptionPolicy(max_per_account=limit, allow_insecure=True)
    with app.app_context(), db.write() as session:
        saved = subscriptions.save(
            session,
            account_id,
            subscriptions.parse(browser.subscription(), policy),
            session_hash=session_hash,
            device_label=label,
            cipher=secrets.cipher,
            now=now,
            policy=policy,
        )
        return saved.subscription.id, saved.created, saved.evicted_label


def rows(app, account_id=None) -> list[PushSubscription]:
    with app.app_context():
        query = select(PushSubscription).order_by(PushSubscription.id)
        if account_id is not None:
            query = query.where(PushSubscription.account_id == account_id)
        return list(db.session.scalars(query))


def in_write(app, fn, *args, **kwargs):
    with app.app_context(), db.write() as session:
        return fn(session, *args, **kwargs)


def test_saving_the_same_browser_twice_is_one_row_refreshed(seeded_app, people, clock):
    browser = BrowserKeys(BASE + "1")
    first = save(seeded_app, people["amy"], browser, clock.now, session_hash="s1")
    assert first[1] is True and first[2] is None
    clock.advance(days=1)
    again = save(seeded_app, people["amy"], browser, clock.now, session_hash="s2", label="新标签")
    assert again == (first[0], False, None)
    [row] = rows(seeded_app)
    assert row.last_seen_at == clock.now and row.created_at == clock.now - timedelta(days=1)
    assert (row.session_hash, row.device_label) == ("s2", "新标签")


def test_the_auth_secret_is_encrypted_at_rest_and_readable_by_the_server(seeded_app, people, clock):
    browser = BrowserKeys(BASE + "1")
    save(seeded_app, people["amy"], browser, clock.now)
    [row] = rows(seeded_app)
    stored = bytes(row.auth_secret)
    assert browser.auth not in stored
    assert b64u(browser.auth).encode() not in stored
    import base64

    assert base64.b64encode(browser.auth) not in stored
    with seeded_app.app_context():
        assert subscriptions.auth_secret(row, secrets.cipher) == browser.auth
    assert row.p256dh == browser.p256dh


def test_a_browser_someone_else_signs_in_on_moves_to_them(seeded_app, people, clock):
    browser = BrowserKeys(BASE + "shared")
    sub_id, _, _ = save(seeded_app, people["amy"], browser, clock.now, session_hash="amy-s")
    with seeded_app.app_context(), db.write() as session:
        session.get(PushSubscription, sub_id).last_success_at = clock.now
    clock.advance(hours=1)
    moved = save(seeded_app, people["bob"], browser, clock.now, session_hash="bo-s")
    assert moved == (sub_id, True, None)
    [row] = rows(seeded_app)
    assert (row.account_id, row.session_hash) == (people["bob"], "bo-s")
    assert row.created_at == clock.now and row.last_success_at is None
    assert rows(seeded_app, people["amy"]) == []


def test_a_sixth_browser_evicts_the_least_recently_seen(seeded_app, people, clock):
    ids = []
    for n in range(5):
        ids.append(
            save(seeded_app, people["amy"], BrowserKeys(f"{BASE}{n}"), clock.now, label=f"设备{n}")[
                0
            ]
        )
        clock.advance(minutes=1)
    # Device 0 comes back (seen again), so device 1 is now the least recently seen.
    save(seeded_app, people["amy"], BrowserKeys(f"{BASE}0"), clock.now, label="设备0")
    clock.advance(minutes=1)
    sixth = save(seeded_app, people["amy"], BrowserKeys(f"{BASE}5"), clock.now, label="设备5")
    assert sixth[1] is True and sixth[2] == "设备1"
    kept = rows(seeded_app, people["amy"])
    assert len(kept) == 5
    assert {r.device_label for r in kept} == {"设备0", "设备2", "设备3", "设备4", "设备5"}
    # Another account's subscriptions do not count against amy's.
    save(seeded_app, people["bob"], BrowserKeys(f"{BASE}bo"), clock.now)
    assert len(rows(seeded_app, people["amy"])) == 5
    assert ids[1] not in {r.id for r in rows(seeded_app)}


def test_a_smaller_limit_evicts_several(seeded_app, people, clock):
    for n in range(4):
        save(seeded_app, people["amy"], BrowserKeys(f"{BASE}{n}"), clock.now, label=f"设备{n}")
        clock.advance(minutes=1)
    saved = save(seeded_app, people["amy"], BrowserKeys(f"{BASE}new"), clock.now, limit=2)
    assert saved[2] == "设备0"  # the oldest of those removed
    assert [r.device_label for r in rows(seeded_app, people["amy"])] == ["设备3", "手机"]


def test_a_long_device_label_is_cut(seeded_app, people, clock):
    save(seeded_app, people["amy"], BrowserKeys(BASE + "1"), clock.now, label="长" * 300)
    assert rows(seeded_app)[0].device_label == "长" * 128


def _change(app, old_endpoint, old_auth, new: BrowserKeys, now):
    policy = SubscriptionPolicy(allow_insecure=True)
    with app.app_context(), db.write() as session:
        return subscriptions.change(
            session,
            old_endpoint,
            old_auth,
            subscriptions.parse(new.subscription(), policy),
            cipher=secrets.cipher,
            now=now,
        )


def test_pushsubscriptionchange_needs_the_old_auth_secret(seeded_app, people, clock):
    old = BrowserKeys(BASE + "old")
    sub_id, _, _ = save(seeded_app, people["amy"], old, clock.now, session_hash="s1")
    new = BrowserKeys(BASE + "new")
    clock.advance(hours=1)
    assert not _change(seeded_app, old.endpoint, b64u(new.auth), new, clock.now)  # wrong secret
    assert not _change(seeded_app, old.endpoint, b64u(old.auth)[:-2], new, clock.now)
    assert not _change(seeded_app, old.endpoint, "%%%", new, clock.now)
    assert not _change(seeded_app, old.endpoint, None, new, clock.now)
    assert not _change(seeded_app, None, b64u(old.auth), new, clock.now)
    assert not _change(seeded_app, BASE + "unknown", b64u(old.auth), new, clock.now)
    assert [r.endpoint for r in rows(seeded_app)] == [old.endpoint]

    assert _change(seeded_app, old.endpoint, b64u(old.auth), new, clock.now)
    [row] = rows(seeded_app)
    assert (row.id, row.endpoint, row.p256dh) == (sub_id, new.endpoint, new.p256dh)
    assert (row.account_id, row.session_hash, row.last_seen_at) == (
        people["amy"],
        "s1",
        clock.now,
    )
    with seeded_app.app_context():
        assert subscriptions.auth_secret(row, secrets.cipher) == new.auth
    # The old secret proves nothing any more.
    assert not _change(seeded_app, new.endpoint, b64u(old.auth), BrowserKeys(BASE + "x"), clock.now)


def test_pushsubscriptionchange_onto_an_endpoint_already_stored_replaces_it(
    seeded_app, people, clock
):
    old = BrowserKeys(BASE + "old")
    stale = BrowserKeys(BASE + "new")
    save(seeded_app, people["amy"], old, clock.now)
    save(seeded_app, people["bob"], stale, clock.now)
    fresh = BrowserKeys(BASE + "new")
    assert _change(seeded_app, old.endpoint, b64u(old.auth), fresh, clock.now)
    [row] = rows(seeded_app)
    assert (row.endpoint, row.account_id, row.p256dh) == (
        fresh.endpoint,
        people["amy"],
        fresh.p256dh,
    )


def test_logout_removes_that_sessions_subscriptions_only(seeded_app, people, clock):
    save(seeded_app, people["amy"], BrowserKeys(BASE + "1"), clock.now, session_hash="s1")
    save(seeded_app, people["amy"], BrowserKeys(BASE + "2"), clock.now, session_hash="s1")
    save(seeded_app, people["amy"], BrowserKeys(BASE + "3"), clock.now, session_hash="s2")
    save(seeded_app, people["bob"], BrowserKeys(BASE + "4"), clock.now, session_hash="s3")
    assert in_write(seeded_app, subscriptions.remove_for_session, "s1") == 2
    assert in_write(seeded_app, subscriptions.remove_for_session, "s1") == 0
    assert [r.endpoint for r in rows(seeded_app)] == [BASE + "3", BASE + "4"]


def test_a_session_id_rotation_carries_its_subscriptions(seeded_app, people, clock):
    save(seeded_app, people["amy"], BrowserKeys(BASE + "1"), clock.now, session_hash="old")
    save(seeded_app, people["amy"], BrowserKeys(BASE + "2"), clock.now, session_hash="other")
    in_write(seeded_app, subscriptions.follow_rotation, "old", "new")
    assert [r.session_hash for r in rows(seeded_app)] == ["new", "other"]
    assert in_write(seeded_app, subscriptions.remove_for_session, "old") == 0
    assert in_write(seeded_app, subscriptions.remove_for_session, "new") == 1


def test_disable_or_reset_removes_every_subscription_of_the_account(seeded_app, people, clock):
    for n in range(3):
        save(seeded_app, people["amy"], BrowserKeys(f"{BASE}{n}"), clock.now)
    save(seeded_app, people["bob"], BrowserKeys(BASE + "bo"), clock.now)
    assert in_write(seeded_app, subscriptions.remove_all, people["amy"]) == 3
    assert [r.account_id for r in rows(seeded_app)] == [people["bob"]]


def test_one_device_is_removed_only_by_its_owner(seeded_app, people, clock):
    amy_sub, _, _ = save(seeded_app, people["amy"], BrowserKeys(BASE + "1"), clock.now)
    save(seeded_app, people["amy"], BrowserKeys(BASE + "2"), clock.now)
    assert not in_write(seeded_app, subscriptions.remove, people["bob"], amy_sub)
    assert not in_write(seeded_app, subscriptions.remove_endpoint, people["bob"], BASE + "2")
    assert in_write(seeded_app, subscriptions.remove, people["amy"], amy_sub)
    assert in_write(seeded_app, subscriptions.remove_endpoint, people["amy"], BASE + "2")
    assert rows(seeded_app) == []


def test_of_account_lists_devices_oldest_first(seeded_app, people, clock):
    for n in range(3):
        save(seeded_app, people["amy"], BrowserKeys(f"{BASE}{n}"), clock.now, label=f"设备{n}")
        clock.advance(minutes=1)
    listed = in_write(seeded_app, subscriptions.of_account, people["amy"])
    assert [r.device_label for r in listed] == ["设备0", "设备1", "设备2"]
    assert in_write(seeded_app, subscriptions.of_account, people["bob"]) == []
