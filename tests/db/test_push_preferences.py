"""Preferences at the outbox: a muted category is never queued, security always is; quiet
hours defer a notification to the end of the window (past midnight too), and the worker
keeps it until then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from pwa import push_runtime
from pwa.domain.push import outbox, preferences
from pwa.domain.push.categories import Category
from pwa.domain.push.preferences import PreferenceError
from pwa.extensions import db
from pwa.models.push import PushMessage, PushPreference
from tests.auth_helpers import Clock
from tests.item_helpers import World, make_world
from tests.push_helpers import (
    BrowserKeys,
    push_service_fixture,  # noqa: F401 - the push_service fixture
    subscribe,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def world(seeded_app) -> World:
    return make_world(seeded_app)


@pytest.fixture
def clock(seeded_app) -> Clock:
    return Clock(seeded_app, seeded_app.config["FROZEN_NOW"])


@pytest.fixture
def staff(world, push_service, clock) -> tuple[int, BrowserKeys]:
    browser = BrowserKeys(push_service.endpoint("staff"))
    subscribe(world.app, world.ids["staff"], browser, now=clock.now)
    return world.ids["staff"], browser


def store(app, account_id, *, muted=(), quiet=(None, None)):
    with app.app_context(), db.write() as session:
        return preferences.store(
            session, account_id, muted=set(muted), quiet_start=quiet[0], quiet_end=quiet[1]
        )


def notify(app, account_id, category, now, **kw) -> int:
    with app.app_context(), db.write() as session:
        return outbox.notify(
            session, [account_id], category, now=now, zone=push_runtime.zone(app), **kw
        )


def pending(app) -> dict[str, PushMessage]:
    with app.app_context():
        return {
            m.category: m
            for m in db.session.scalars(
                select(PushMessage).where(PushMessage.state == outbox.PENDING)
            )
        }


def run_round(app):
    with app.app_context():
        return push_runtime.run_round(app, push_runtime.make_worker(app))


def test_a_muted_category_is_not_queued_but_security_is(world, staff, clock):
    app = world.app
    account_id, _ = staff
    stored = store(app, account_id, muted={Category.TASK, Category.SECURITY, Category.TEST})
    assert stored.muted == frozenset({Category.TASK})  # security and test cannot be muted
    assert notify(app, account_id, Category.TASK, clock.now) == 0
    assert notify(app, account_id, Category.REMINDER, clock.now) == 1
    assert notify(app, account_id, Category.SECURITY, clock.now) == 1
    assert set(pending(app)) == {"reminder", "security"}
    with app.app_context():
        row = db.session.get(PushPreference, account_id)
        assert row.muted == "task"
        assert preferences.load(db.session, account_id) == stored


def test_a_muted_category_in_a_group_notify_only_skips_that_person(world, staff, clock):
    app = world.app
    account_id, _ = staff
    subscribe(app, world.ids["staff2"], BrowserKeys("http://127.0.0.1:9/push/s2"), now=clock.now)
    store(app, account_id, muted={Category.TASK})
    with app.app_context(), db.write() as session:
        queued = outbox.notify(
            session,
            [account_id, world.ids["staff2"]],
            Category.TASK,
            now=clock.now,
            zone=SHANGHAI,
        )
    assert queued == 1
    with app.app_context():
        owners = list(db.session.scalars(select(PushMessage.account_id)))
    assert owners == [world.ids["staff2"]]


@pytest.mark.parametrize(
    ("now", "not_before"),
    [
        (local(1, 23, 30), local(2, 7)),  # before midnight: tomorrow 07:00
        (local(2, 3, 0), local(2, 7)),  # after midnight: this morning 07:00
        (local(2, 7, 0), local(2, 7)),  # the window is over: at once
        (local(1, 12, 0), local(1, 12)),
    ],
)
def test_quiet_hours_defer_to_the_end_of_the_window(world, staff, now, not_before):
    app = world.app
    account_id, _ = staff
    store(app, account_id, quiet=(22 * 60, 7 * 60))
    assert notify(app, account_id, Category.TASK, now) == 1
    message = pending(app)["task"]
    assert message.not_before == not_before
    assert message.note == ("quiet hours" if not_before != now else "")


def test_security_and_a_test_notice_ignore_quiet_hours(world, staff):
    app = world.app
    account_id, _ = staff
    store(app, account_id, quiet=(22 * 60, 7 * 60))
    now = local(1, 23, 30)
    notify(app, account_id, Category.SECURITY, now)
    notify(app, account_id, Category.TEST, now, deliver_now=True)
    notify(app, account_id, Category.OUTCOME, now, deliver_now=True)  # "send a test" style
    queued = pending(app)
    assert {c: m.not_before for c, m in queued.items()} == {
        "security": now,
        "test": now,
        "outcome": now,
    }


def test_the_worker_holds_a_quiet_message_until_the_morning(world, staff, push_service, clock):
    app = world.app
    account_id, browser = staff
    store(app, account_id, quiet=(22 * 60, 7 * 60))
    clock.advance(seconds=(local(1, 23, 30) - clock.now).total_seconds())
    notify(app, account_id, Category.TASK, clock.now, target="/items/1")
    notify(app, account_id, Category.SECURITY, clock.now)
    result = run_round(app)
    assert result.sent == 1  # security only
    assert [browser.decrypt(c.body)["category"] for c in push_service.captured] == ["security"]
    # Events during the night join the waiting message.
    clock.advance(hours=3)
    notify(app, account_id, Category.TASK, clock.now, target="/items/2")
    assert pending(app)["task"].count == 2
    assert pending(app)["task"].not_before == local(2, 7)
    clock.advance(seconds=(local(2, 6, 59) - clock.now).total_seconds())
    assert run_round(app).sent == 0
    clock.advance(minutes=1)
    assert run_round(app).sent == 1
    data = browser.decrypt(push_service.captured[-1].body)
    assert (data["category"], data["count"]) == ("task", 2)


def test_preferences_are_checked_when_stored(world, staff):
    app = world.app
    account_id, _ = staff
    with pytest.raises(PreferenceError):
        store(app, account_id, quiet=(22 * 60, None))
    with pytest.raises(PreferenceError):
        store(app, account_id, quiet=(None, 7 * 60))
    with pytest.raises(PreferenceError):
        store(app, account_id, quiet=(8 * 60, 8 * 60))
    stored = store(app, account_id, muted={Category.OUTCOME}, quiet=(22 * 60, 7 * 60))
    with app.app_context():
        assert preferences.load(db.session, account_id) == stored
        assert preferences.load(db.session, world.ids["leader"]) == preferences.Preferences()
    # Storing again replaces; clearing quiet hours is allowed.
    cleared = store(app, account_id)
    assert cleared == preferences.Preferences()
    with app.app_context():
        assert preferences.load(db.session, account_id) == cleared


def test_an_unknown_category_in_the_stored_row_is_ignored(world, staff, clock):
    app = world.app
    account_id, _ = staff
    with app.app_context(), db.write() as session:
        session.add(PushPreference(account_id=account_id, muted="task,bogus,,reminder"))
    with app.app_context():
        prefs = preferences.load(db.session, account_id)
    assert prefs.muted == frozenset({Category.TASK, Category.REMINDER})
    assert notify(app, account_id, Category.DEADLINE, clock.now + timedelta(minutes=1)) == 1
