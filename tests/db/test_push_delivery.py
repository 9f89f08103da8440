"""Web Push end to end: item steps queue notifications in their own transaction, the worker
sends them — encrypted, VAPID-signed, with TTL/Urgency/Topic — to a real local push service,
and a browser's keys decrypt a payload that names nobody and nothing."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from flask_babel import force_locale
from py_vapid import Vapid02
from sqlalchemy import func, select

from auth.models import Account
from pwa import keys, push_runtime
from pwa.domain.idnumber import find_valid_numbers
from pwa.domain.items import payloads as p
from pwa.domain.items import service
from pwa.domain.push import item_events, outbox
from pwa.domain.push.categories import SPECS, Category
from pwa.extensions import db
from pwa.models import EntryMode, Funding, ItemState, ItemTask, ItemType, QuotaKind, TaskStage, Unit
from pwa.models.item import Item
from pwa.models.push import PushDelivery, PushMessage, PushSubscription
from tests.auth_helpers import Clock
from tests.item_helpers import World, decide, declare, make_world, review
from tests.push_helpers import (
    BrowserKeys,
    Captured,
    FakePushService,
    closed_endpoint,
    origin_of,
    parse_vapid,
    push_service_fixture,  # noqa: F401 - the push_service fixture
    subscribe,
)


def use(count: int = 1) -> p.QuotaUse:
    return p.QuotaUse(
        QuotaKind.ADMINISTRATIVE,
        Funding.FULL,
        count,
        EntryMode.CIVIL_SERVICE_EXAM,
        "科员",
        "补充人员",
    )


ALLOWED_KEYS = {"id", "category", "title", "body", "count", "badge"}
REQUIRED_KEYS = ALLOWED_KEYS - {"badge"}


@pytest.fixture
def world(seeded_app) -> World:
    return make_world(seeded_app)


@pytest.fixture
def clock(seeded_app) -> Clock:
    return Clock(seeded_app, seeded_app.config["FROZEN_NOW"])


def run_round(app, worker=None):
    with app.app_context():
        return push_runtime.run_round(app, worker or push_runtime.make_worker(app))


def browser_for(world: World, service_: FakePushService, name: str, clock: Clock) -> BrowserKeys:
    browser = BrowserKeys(service_.endpoint(name))
    subscribe(world.app, world.ids[name], browser, now=clock.now)
    return browser


def messages(app, account_id: int | None = None) -> list[PushMessage]:
    with app.app_context():
        query = select(PushMessage).order_by(PushMessage.id)
        if account_id is not None:
            query = query.where(PushMessage.account_id == account_id)
        return list(db.session.scalars(query))


def forbidden_words(app) -> list[str]:
    """Every name the payload must never carry: people's and units'."""
    with app.app_context():
        names = list(db.session.scalars(select(Account.display_name)))
        names += list(db.session.scalars(select(Account.username)))
        names += list(db.session.scalars(select(Unit.full_name)))
        names += list(db.session.scalars(select(Unit.short_name)))
    return [n for n in names if n and len(n) >= 2]


def expected_texts(app, category: Category, count: int) -> tuple[str, str]:
    with app.app_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return push_runtime.texts(category, count)


def check_push(
    app,
    captured: Captured,
    browser: BrowserKeys,
    category: Category,
    count: int,
    *,
    item_ids: tuple[int, ...] = (),
) -> dict:
    """Everything a push must be; returns the decrypted payload."""
    spec = SPECS[category]
    assert captured.header("content-encoding") == "aes128gcm"
    assert captured.header("ttl") == str(int(spec.ttl.total_seconds()))
    assert captured.header("urgency") == spec.urgency
    assert captured.header("topic") == category.value
    # VAPID: signed by our key, for this push service's origin, naming our contact.
    authorization = captured.header("authorization")
    assert authorization and Vapid02.verify(authorization)
    vapid = parse_vapid(authorization)
    assert vapid.key == keys.vapid_keys(app.config).public_key
    assert vapid.claims["aud"] == origin_of(browser.endpoint)
    assert vapid.claims["sub"] == app.config["VAPID_SUBJECT"]
    assert time.time() < vapid.claims["exp"] <= time.time() + 24 * 3600
    # The payload: an opaque id, the category, fixed text, counts. Nothing else.
    text = browser.decrypt_text(captured.body)
    data = json.loads(text)
    assert REQUIRED_KEYS <= set(data) <= ALLOWED_KEYS
    assert data["category"] == category.value
    assert data["count"] == count
    assert (data["title"], data["body"]) == expected_texts(app, category, count)
    assert isinstance(data["id"], str) and len(data["id"]) >= 16
    if "badge" in data:
        assert isinstance(data["badge"], int) and data["badge"] >= 0
    assert find_valid_numbers(text) == []
    for word in forbidden_words(app):
        assert word not in text, word
    assert "/items" not in text and "/account" not in text
    for item_id in item_ids:
        assert data["id"] != str(item_id)
        assert f"items/{item_id}" not in text
    return data


def only(captured: list[Captured]) -> Captured:
    assert len(captured) == 1, captured
    return captured[0]


# -- item steps → pushes ----------------------------------------------------------------------


def test_a_declaration_pushes_a_task_to_the_office_staff(world, push_service, clock):
    app = world.app
    staff = browser_for(world, push_service, "staff", clock)
    staff2 = browser_for(world, push_service, "staff2", clock)
    clerk = browser_for(world, push_service, "clerk", clock)
    leader = browser_for(world, push_service, "leader", clock)

    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    assert item.state is ItemState.SUBMITTED
    queued = messages(app)
    assert {m.account_id for m in queued} == {world.ids["staff"], world.ids["staff2"]}
    assert all(m.category == "task" and m.target == f"/items/{item.id}" for m in queued)

    result = run_round(app)
    assert (result.dispatched, result.sent) == (2, 2)
    for name, browser in (("staff", staff), ("staff2", staff2)):
        data = check_push(
            app,
            only(push_service.requests_for(name)),
            browser,
            Category.TASK,
            1,
            item_ids=(item.id,),
        )
        token = next(m.token for m in queued if m.account_id == world.ids[name])
        assert data["id"] == token
        assert data["badge"] >= 1  # the new step is in their inbox
    # The requester and the leader hear nothing of a step that is not theirs.
    assert push_service.requests_for("clerk") == []
    assert push_service.requests_for("leader") == []
    assert clerk and leader
    # Every message is dispatched and every delivery sent.
    assert {m.state for m in messages(app)} == {outbox.DISPATCHED}
    with app.app_context():
        states = set(db.session.scalars(select(PushDelivery.state)))
    assert states == {"sent"}
    # A second round has nothing to do.
    assert not run_round(app).busy


def test_forward_pushes_the_joint_reviewers_and_a_decision_pushes_the_outcome(
    world, push_service, clock
):
    app = world.app
    browsers = {n: browser_for(world, push_service, n, clock) for n in ("clerk", "zzb", "czj")}
    leader = browser_for(world, push_service, "leader", clock)

    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    item = review(world, item, opinions=False)
    assert item.state is ItemState.JOINT_REVIEW
    run_round(app)
    for name in ("zzb", "czj"):
        check_push(
            app,
            only(push_service.requests_for(name)),
            browsers[name],
            Category.TASK,
            1,
            item_ids=(item.id,),
        )
    item = world.opinions(item)
    assert item.state is ItemState.AWAITING_DECISION
    clock.advance(minutes=5)
    run_round(app)
    check_push(
        app,
        only(push_service.requests_for("leader")),
        leader,
        Category.TASK,
        1,
        item_ids=(item.id,),
    )
    assert push_service.requests_for("clerk") == []  # nothing decided yet

    outcome = decide(world, "leader", item.id)
    assert outcome.item.state is ItemState.APPROVED
    clock.advance(minutes=5)
    run_round(app)
    data = check_push(
        app,
        only(push_service.requests_for("clerk")),
        browsers["clerk"],
        Category.OUTCOME,
        1,
        item_ids=(item.id,),
    )
    message = messages(app, world.ids["clerk"])[-1]
    assert data["id"] == message.token and message.target == f"/items/{item.id}"
    # The tap leads to the item, for the requester only.
    with app.app_context(), db.write() as session:
        assert outbox.opened(session, world.ids["clerk"], data["id"], clock.now) == (
            f"/items/{item.id}"
        )
        assert outbox.opened(session, world.ids["leader"], data["id"], clock.now) is None
    assert messages(app, world.ids["clerk"])[-1].opened_at == clock.now


def test_urge_pushes_a_reminder_and_transfer_a_task_to_the_new_assignee(world, push_service, clock):
    app = world.app
    staff = browser_for(world, push_service, "staff", clock)
    staff2 = browser_for(world, push_service, "staff2", clock)
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    run_round(app)  # the TASK pushes of the declaration
    push_service.clear()

    clock.advance(minutes=10)
    assert world.run(service.urge, world.who("clerk"), item.id) == 1
    run_round(app)
    for name, browser in (("staff", staff), ("staff2", staff2)):
        check_push(
            app,
            only(push_service.requests_for(name)),
            browser,
            Category.REMINDER,
            1,
            item_ids=(item.id,),
        )
    push_service.clear()

    # staff takes the intake step and hands it to staff2: only staff2 hears of it.
    staff_who = world.who("staff")
    item = world.run(service.accept, staff_who, item.id, expected_version=item.version)
    clock.advance(minutes=10)
    push_service.clear()
    run_round(app)  # whatever the accept opened
    push_service.clear()
    world.run(
        service.transfer, staff_who, item.id, to_account_id=world.ids["staff2"], comment="请办理"
    )
    run_round(app)
    assert push_service.requests_for("staff") == []
    check_push(
        app,
        only(push_service.requests_for("staff2")),
        staff2,
        Category.TASK,
        1,
        item_ids=(item.id,),
    )
    assert messages(app, world.ids["staff2"])[-1].target == f"/items/{item.id}"


def test_a_staff_entry_with_an_id_number_and_a_name_pushes_neither(world, push_service, clock):
    from tests.item_helpers import approve_all, staff_entry

    app = world.app
    staff = browser_for(world, push_service, "staff", clock)
    clerk = browser_for(world, push_service, "clerk", clock)
    leader = browser_for(world, push_service, "leader", clock)
    browsers = {"staff": staff, "clerk": clerk, "leader": leader}
    quota = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    quota = approve_all(world, world.to_decision(quota))
    assert quota.state is ItemState.APPROVED
    run_round(app)
    assert clerk.decrypt(only(push_service.requests_for("clerk")).body)["count"] == 1
    push_service.clear()

    payload, sealed = staff_entry(quota.reservation_id, 321)
    assert find_valid_numbers(sealed["id_number"]) == [sealed["id_number"]]
    entry = declare(world, "clerk", ItemType.STAFF_ENTRY, payload, sealed=sealed)
    entry = approve_all(world, world.to_decision(entry))
    assert entry.state is ItemState.COMPLETED
    clock.advance(minutes=5)
    run_round(app)
    captured = push_service.captured
    assert {c.sub_id for c in captured} == {"staff", "clerk", "leader"}
    for request in captured:
        text = browsers[request.sub_id].decrypt_text(request.body)
        assert find_valid_numbers(text) == []
        assert sealed["id_number"] not in text and payload.name not in text
        assert payload.id_number_masked not in text
        assert "科员" not in text  # nor the post
    # The one decision approved the entry, completed it at once and completed the 用编申请
    # it used: two items of the clerk's moved, so "2 项", not one per state change.
    check_push(
        app,
        only(push_service.requests_for("clerk")),
        clerk,
        Category.OUTCOME,
        2,
        item_ids=(quota.id, entry.id),
    )
    assert messages(app, world.ids["clerk"])[-1].target == "/items?box=mine"


def test_a_delegate_hears_of_the_delegators_decision_step(world, push_service, clock):
    from tests.item_helpers import open_decision_stage

    app = world.app
    staff2 = browser_for(world, push_service, "staff2", clock)
    world.run(
        service.delegate,
        world.who("leader"),
        to_account_id=world.ids["staff2"],
        starts_on=world.ctx().clock.today,
        ends_on=world.ctx().clock.today + timedelta(days=3),
        note="出差",
    )
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    run_round(app)
    push_service.clear()
    item = world.to_decision(item)
    assert open_decision_stage(item) is TaskStage.DECIDE_LEADER
    clock.advance(minutes=5)
    run_round(app)
    check_push(
        app,
        only(push_service.requests_for("staff2")),
        staff2,
        Category.TASK,
        1,
        item_ids=(item.id,),
    )


def test_no_one_hears_of_their_own_declaration_even_when_they_hold_the_step(
    world, push_service, clock
):
    """An office clerk declaring for a unit holds the intake role, but is the requester."""
    app = world.app
    browser_for(world, push_service, "staff2", clock)
    browser_for(world, push_service, "staff", clock)
    item = declare(world, "staff2", ItemType.QUOTA_USE, use(1))
    run_round(app)
    assert push_service.requests_for("staff2") == []
    assert len(push_service.requests_for("staff")) == 1
    assert item.requester_id == world.ids["staff2"]


# -- outcomes at the push service -------------------------------------------------------------


def notify(app, account_id: int, category=Category.TASK, target=None, now=None, **kw) -> int:
    with app.app_context(), db.write() as session:
        return outbox.notify(
            session,
            [account_id],
            category,
            now=now or app.config["FROZEN_NOW"],
            zone=push_runtime.zone(app),
            target=target,
            **kw,
        )


def delivery_of(app, message_token: str) -> PushDelivery:
    with app.app_context():
        return db.session.scalars(
            select(PushDelivery)
            .join(PushMessage, PushMessage.id == PushDelivery.message_id)
            .where(PushMessage.token == message_token)
        ).one()


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_deleted(world, push_service, clock, status):
    app = world.app
    browser_for(world, push_service, "staff", clock)
    keep = browser_for(world, push_service, "leader", clock)
    push_service.script("staff", status)
    notify(app, world.ids["staff"])
    notify(app, world.ids["leader"])
    result = run_round(app)
    assert (result.sent, result.gone) == (1, 1)
    with app.app_context():
        owners = set(db.session.scalars(select(PushSubscription.account_id)))
    assert owners == {world.ids["leader"]}
    token = messages(app, world.ids["staff"])[0].token
    delivery = delivery_of(app, token)
    assert (delivery.state, delivery.last_status, delivery.subscription_id) == (
        "gone",
        status,
        None,
    )
    # No more pushes are queued for an account without subscriptions.
    assert notify(app, world.ids["staff"]) == 0
    assert keep


def test_two_messages_to_a_phone_that_is_gone_in_one_round(world, push_service, clock):
    app = world.app
    browser_for(world, push_service, "staff", clock)
    push_service.script("staff", 410, 410)
    notify(app, world.ids["staff"], Category.TASK)
    notify(app, world.ids["staff"], Category.REMINDER)
    result = run_round(app)
    assert (result.dispatched, result.gone, result.sent) == (2, 2, 0)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 0
        assert set(db.session.scalars(select(PushDelivery.state))) == {"gone"}


def test_a_phone_gone_for_one_message_is_not_tried_for_the_next(world, push_service, clock):
    from dataclasses import replace

    from pwa.domain.push.worker import Round

    app = world.app
    app.config["PUSH_WORKER_POLICY"] = replace(app.config["PUSH_WORKER_POLICY"], batch=1)
    browser_for(world, push_service, "staff", clock)
    push_service.script("staff", 410)
    notify(app, world.ids["staff"], Category.TASK)
    notify(app, world.ids["staff"], Category.REMINDER)
    with app.app_context():
        worker = push_runtime.make_worker(app)
        worker.dispatch_due(clock.now, Round())
        worker.dispatch_due(clock.now, Round())  # both messages have a delivery now
        result = Round()
        [first] = worker.claim(clock.now)
        worker.record(worker.send([first]), clock.now, result)
        assert result.gone == 1
        assert worker.claim(clock.now) == []  # the second finds its subscription gone
    assert len(push_service.captured) == 1
    with app.app_context():
        assert set(db.session.scalars(select(PushDelivery.state))) == {"gone"}
    assert notify(app, world.ids["staff"], Category.DEADLINE) == 0


def test_429_with_retry_after_is_retried_after_the_delay_it_asks_for(world, push_service, clock):
    from tests.push_helpers import Reply

    app = world.app
    browser = browser_for(world, push_service, "staff", clock)
    push_service.script("staff", Reply(429, "120"))
    notify(app, world.ids["staff"])
    token = messages(app)[0].token
    start = clock.now

    result = run_round(app)
    assert (result.sent, result.retried) == (0, 1)
    delivery = delivery_of(app, token)
    assert delivery.state == "pending" and delivery.attempts == 1 and delivery.last_status == 429
    # Retry-After: 120 beats the first back-off step (30 s).
    assert delivery.next_attempt_at == start + timedelta(seconds=120)
    assert delivery.leased_until is None

    clock.advance(seconds=119)
    assert not run_round(app).busy  # not yet
    clock.advance(seconds=1)
    result = run_round(app)
    assert result.sent == 1
    delivery = delivery_of(app, token)
    assert (delivery.state, delivery.attempts, delivery.sent_at) == ("sent", 2, clock.now)
    sent = push_service.requests_for("staff")
    assert [c.status for c in sent] == [429, 201]
    # The retry is the same notification, encrypted afresh.
    assert browser.decrypt(sent[0].body)["id"] == browser.decrypt(sent[1].body)["id"] == token
    assert sent[0].body != sent[1].body
    with app.app_context():
        row = db.session.scalars(select(PushSubscription)).one()
        assert row.last_success_at == clock.now and row.failures == 0


def test_5xx_backs_off_exponentially_then_succeeds(world, push_service, clock):
    app = world.app
    browser_for(world, push_service, "staff", clock)
    policy = app.config["PUSH_WORKER_POLICY"]
    push_service.script("staff", 500, 503, 502)
    notify(app, world.ids["staff"])
    token = messages(app)[0].token
    for attempt in (1, 2, 3):
        before = clock.now
        result = run_round(app)
        assert result.retried == 1, attempt
        delivery = delivery_of(app, token)
        assert delivery.attempts == attempt
        assert delivery.next_attempt_at == before + policy.first_retry * 2 ** (attempt - 1)
        clock.advance(seconds=(delivery.next_attempt_at - clock.now).total_seconds() - 1)
        assert not run_round(app).busy  # a second early: nothing
        clock.advance(seconds=1)
    assert run_round(app).sent == 1
    assert [c.status for c in push_service.requests_for("staff")] == [500, 503, 502, 201]


def test_an_unreachable_push_service_is_retried_then_recorded_as_failed(world, clock):
    app = world.app
    policy = app.config["PUSH_WORKER_POLICY"]
    browser = BrowserKeys(closed_endpoint("staff"))
    subscribe(app, world.ids["staff"], browser, now=clock.now)
    notify(app, world.ids["staff"])
    token = messages(app)[0].token
    for attempt in range(1, policy.max_attempts):
        result = run_round(app)
        assert (result.retried, result.failed, result.statuses) == (1, 0, [None]), attempt
        clock.advance(hours=2)  # past the longest back-off
    result = run_round(app)
    assert (result.retried, result.failed) == (0, 1)
    delivery = delivery_of(app, token)
    assert (delivery.state, delivery.attempts) == ("failed", policy.max_attempts)
    assert delivery.last_status is None and delivery.last_error
    with app.app_context():
        row = db.session.scalars(select(PushSubscription)).one()  # kept: the service may be back
        assert row.failures == 1 and row.last_error == delivery.last_error
    clock.advance(hours=2)
    assert not run_round(app).busy  # a failed delivery is not tried again


def test_a_400_is_failed_at_once_and_recorded_on_the_subscription(world, push_service, clock):
    app = world.app
    browser_for(world, push_service, "staff", clock)
    push_service.script("staff", 400)
    notify(app, world.ids["staff"])
    result = run_round(app)
    assert (result.failed, result.retried, result.statuses) == (1, 0, [400])
    with app.app_context():
        row = db.session.scalars(select(PushSubscription)).one()
        assert row.failures == 1 and row.last_error.startswith("400")


# -- the hourly cap and coalescing ------------------------------------------------------------


def test_the_hourly_cap_defers_and_coalesces_instead_of_dropping(world, push_service, clock):
    app = world.app
    browser = browser_for(world, push_service, "staff", clock)
    policy = app.config["PUSH_WORKER_POLICY"]
    assert policy.max_per_hour == 10
    first = clock.now
    for n in range(12):
        notify(app, world.ids["staff"], target=f"/items/{n + 1}")
        result = run_round(app)
        if n < 10:
            assert result.sent == 1, n
        else:
            assert (result.deferred, result.sent) == (1 if n == 10 else 0, 0), n
        clock.advance(minutes=1)
    assert len(push_service.requests_for("staff")) == 10
    pending = [m for m in messages(app) if m.state == outbox.PENDING]
    assert len(pending) == 1  # the 11th and 12th: one message, not two, and not dropped
    deferred = pending[0]
    assert deferred.count == 2 and deferred.target == "/items"
    assert deferred.not_before == first + timedelta(hours=1) and deferred.note == "hourly cap"
    # More events while deferred only raise the count.
    notify(app, world.ids["staff"], target="/items/99")
    assert [m.count for m in messages(app) if m.state == outbox.PENDING] == [3]
    clock.advance(seconds=(first + timedelta(hours=1) - clock.now).total_seconds() - 1)
    assert run_round(app).sent == 0
    clock.advance(seconds=1)
    assert run_round(app).sent == 1
    last = push_service.requests_for("staff")[-1]
    check_push(app, last, browser, Category.TASK, 3)
    assert len(push_service.requests_for("staff")) == 11


def test_the_cap_is_per_account(world, push_service, clock):
    app = world.app
    browser_for(world, push_service, "staff", clock)
    browser_for(world, push_service, "staff2", clock)
    for _ in range(10):
        notify(app, world.ids["staff"])
        run_round(app)
        clock.advance(minutes=1)
    notify(app, world.ids["staff"])
    notify(app, world.ids["staff2"])
    result = run_round(app)
    assert (result.sent, result.deferred) == (1, 1)
    assert len(push_service.requests_for("staff2")) == 1


def test_three_events_before_the_worker_runs_make_one_push(world, push_service, clock):
    app = world.app
    browser = browser_for(world, push_service, "staff", clock)
    for item_id in (11, 12, 13):
        assert notify(app, world.ids["staff"], target=f"/items/{item_id}") == 1
        clock.advance(seconds=10)
    [message] = messages(app)
    assert (message.count, message.target) == (3, "/items")
    run_round(app)
    data = check_push(app, only(push_service.requests_for("staff")), browser, Category.TASK, 3)
    assert "3" in data["body"]
    with app.app_context(), db.write() as session:
        assert outbox.opened(session, world.ids["staff"], data["id"], clock.now) == "/items"


def test_events_for_the_same_item_keep_its_target_and_categories_do_not_mix(
    world, push_service, clock
):
    app = world.app
    browser_for(world, push_service, "staff", clock)
    notify(app, world.ids["staff"], target="/items/7")
    notify(app, world.ids["staff"], target="/items/7")
    notify(app, world.ids["staff"], Category.REMINDER, target="/items/7")
    queued = {m.category: (m.count, m.target) for m in messages(app)}
    assert queued == {"task": (2, "/items/7"), "reminder": (1, "/items/7")}
    assert run_round(app).sent == 2
    # Once dispatched, a message no longer coalesces: the next event is a new push.
    notify(app, world.ids["staff"], target="/items/7")
    assert [m.count for m in messages(app) if m.state == outbox.PENDING] == [1]


def test_every_device_of_an_account_gets_its_own_encrypted_copy(world, push_service, clock):
    app = world.app
    phones = []
    for n in range(3):
        phone = BrowserKeys(push_service.endpoint(f"staff-{n}"))
        subscribe(app, world.ids["staff"], phone, now=clock.now, label=f"手机{n}")
        phones.append(phone)
    notify(app, world.ids["staff"])
    result = run_round(app)
    assert (result.dispatched, result.sent) == (1, 3)
    tokens = set()
    for n, phone in enumerate(phones):
        captured = only(push_service.requests_for(f"staff-{n}"))
        tokens.add(check_push(app, captured, phone, Category.TASK, 1)["id"])
        for other in phones:
            if other is not phone:
                with pytest.raises(Exception):  # noqa: B017 - any decryption failure
                    other.decrypt(captured.body)
    assert len(tokens) == 1


def test_a_message_for_an_account_that_lost_its_subscriptions_is_dropped(
    world, push_service, clock
):
    from pwa.domain.push import subscriptions

    app = world.app
    browser_for(world, push_service, "staff", clock)
    notify(app, world.ids["staff"])
    with app.app_context(), db.write() as session:
        subscriptions.remove_all(session, world.ids["staff"])
    result = run_round(app)
    assert (result.dropped, result.sent) == (1, 0)
    assert messages(app)[0].state == outbox.DROPPED
    assert push_service.captured == []


def test_a_delivery_whose_subscription_went_after_dispatch_is_marked_gone(
    world, push_service, clock
):
    from pwa.domain.push import subscriptions
    from pwa.domain.push.worker import Round

    app = world.app
    browser_for(world, push_service, "staff", clock)
    notify(app, world.ids["staff"])
    with app.app_context():
        worker = push_runtime.make_worker(app)
        worker.dispatch_due(clock.now, Round())
        with db.write() as session:
            subscriptions.remove_all(session, world.ids["staff"])
        assert worker.claim(clock.now) == []
    token = messages(app)[0].token
    assert delivery_of(app, token).state == "gone"
    assert push_service.captured == []


def test_a_crashed_workers_lease_expires_and_another_worker_sends(world, push_service, clock):
    from pwa.domain.push.worker import Round

    app = world.app
    browser_for(world, push_service, "staff", clock)
    notify(app, world.ids["staff"])
    with app.app_context():
        worker = push_runtime.make_worker(app)
        worker.dispatch_due(clock.now, Round())
        claimed = worker.claim(clock.now)  # ... and then the worker died
        assert len(claimed) == 1
        assert worker.claim(clock.now) == []  # leased: nobody else takes it
    lease = app.config["PUSH_WORKER_POLICY"].lease
    clock.advance(seconds=lease.total_seconds() - 1)
    assert run_round(app).sent == 0
    clock.advance(seconds=2)
    assert run_round(app).sent == 1
    assert len(push_service.captured) == 1


def test_a_disabled_account_gets_nothing_queued(world, push_service, clock):
    app = world.app
    browser_for(world, push_service, "staff", clock)
    with app.app_context(), db.write() as session:
        session.get(Account, world.ids["staff"]).disabled_at = clock.now
    assert notify(app, world.ids["staff"]) == 0
    assert messages(app) == []


def test_an_account_without_a_subscription_gets_nothing_queued(world):
    assert notify(world.app, world.ids["staff"]) == 0
    declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    assert messages(world.app) == []


# -- a dead push service never touches a decision --------------------------------------------


def test_a_step_commits_with_its_outbox_row_while_the_push_service_is_down(world, clock):
    app = world.app
    for name in ("clerk", "staff", "leader", "zzb", "czj"):
        subscribe(app, world.ids[name], BrowserKeys(closed_endpoint(name)), now=clock.now)
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    item = review(world, item)
    assert item.state is ItemState.AWAITING_DECISION
    # Each step's notifications exist, written by the step's own transaction.
    assert {(m.account_id, m.category) for m in messages(app)} >= {
        (world.ids["staff"], "task"),
        (world.ids["zzb"], "task"),
        (world.ids["czj"], "task"),
        (world.ids["leader"], "task"),
    }
    result = run_round(app)
    assert result.sent == 0 and result.retried == len(result.statuses) > 0
    outcome = decide(world, "leader", item.id)  # the push service is still down
    assert outcome.item.state is ItemState.APPROVED
    outcome_messages = [m for m in messages(app, world.ids["clerk"]) if m.category == "outcome"]
    assert len(outcome_messages) == 1 and outcome_messages[0].state == outbox.PENDING


def test_a_step_that_rolls_back_leaves_no_outbox_row(world, clock):
    app = world.app
    subscribe(app, world.ids["staff"], BrowserKeys(closed_endpoint("staff")), now=clock.now)

    class Boom(Exception):
        pass

    def create_then_fail(session, who, draft, *, ctx):
        service.create(session, who, draft, idempotency_key="rollback-1", submit=True, ctx=ctx)
        raise Boom

    draft = service.Draft(ItemType.QUOTA_USE, world.unit_id, use(1))
    assert isinstance(draft.payload, p.QuotaUse)
    with pytest.raises(Boom):
        world.run(create_then_fail, world.who("clerk"), draft)
    assert messages(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Item)) == 0
        assert db.session.scalar(select(func.count()).select_from(PushMessage)) == 0
    # ... and the queue of the rolled-back transaction is not carried into the next one.
    declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    assert {m.account_id for m in messages(app)} == {world.ids["staff"]}
    assert [m.count for m in messages(app)] == [1]


def test_a_fault_while_queueing_never_undoes_the_step(world, clock, monkeypatch):
    app = world.app
    subscribe(app, world.ids["staff"], BrowserKeys(closed_endpoint("staff")), now=clock.now)

    def broken(*_args, **_kwargs):
        # Write something first, so the savepoint has something to undo.
        raise RuntimeError("recipients unavailable")

    monkeypatch.setattr(item_events, "step_holders", broken)
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    assert item.state is ItemState.SUBMITTED
    with app.app_context():
        kept = db.session.get(Item, item.id)
        assert kept is not None and kept.state is ItemState.SUBMITTED
        assert db.session.scalar(select(func.count()).select_from(ItemTask)) >= 1
    assert messages(app) == []


def test_a_fault_half_way_through_queueing_leaves_no_partial_rows(world, clock, monkeypatch):
    app = world.app
    subscribe(app, world.ids["staff"], BrowserKeys(closed_endpoint("staff")), now=clock.now)
    real_notify = outbox.notify
    calls = []

    def notify_then_fail(session, *args, **kwargs):
        calls.append(1)
        real_notify(session, *args, **kwargs)
        session.flush()
        raise RuntimeError("after writing")

    monkeypatch.setattr(outbox, "notify", notify_then_fail)
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    assert calls and item.state is ItemState.SUBMITTED
    assert messages(app) == []  # the savepoint took the half-written row back
    with app.app_context():
        assert db.session.get(Item, item.id).state is ItemState.SUBMITTED


# -- deadlines ----------------------------------------------------------------------------------


def test_a_step_due_tomorrow_is_warned_of_once(world, push_service, clock):
    app = world.app
    browser = browser_for(world, push_service, "staff", clock)
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    run_round(app)
    push_service.clear()
    today = world.ctx().clock.today
    with app.app_context(), db.write() as session:
        task = session.scalars(
            select(ItemTask).where(ItemTask.item_id == item.id, ItemTask.closed_at.is_(None))
        ).one()
        assert task.stage is TaskStage.INTAKE
        task.due_on = today + timedelta(days=1)
    with app.app_context():
        worker = push_runtime.make_worker(app)
        zone = push_runtime.zone(app)
        assert worker.queue_deadlines(clock.now, today, zone) == 1  # staff2 has no phone
        assert worker.queue_deadlines(clock.now, today, zone) == 0
        assert worker.queue_deadlines(clock.now + timedelta(hours=1), today, zone) == 0
    deadline = [m for m in messages(app) if m.category == "deadline"]
    assert {m.account_id for m in deadline} == {world.ids["staff"]}
    assert deadline[0].target == f"/items/{item.id}"
    run_round(app)
    check_push(
        app,
        only(push_service.requests_for("staff")),
        browser,
        Category.DEADLINE,
        1,
        item_ids=(item.id,),
    )


def test_a_step_due_later_or_already_closed_is_not_warned_of(world, push_service, clock):
    app = world.app
    browser_for(world, push_service, "staff", clock)
    item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
    today = world.ctx().clock.today
    with app.app_context(), db.write() as session:
        task = session.scalars(select(ItemTask).where(ItemTask.item_id == item.id)).one()
        task.due_on = today + timedelta(days=2)
    with app.app_context():
        worker = push_runtime.make_worker(app)
        assert worker.queue_deadlines(clock.now, today, push_runtime.zone(app)) == 0
    with app.app_context(), db.write() as session:
        task = session.scalars(select(ItemTask).where(ItemTask.item_id == item.id)).one()
        task.due_on = today + timedelta(days=1)
        task.closed_at = clock.now
    with app.app_context():
        worker = push_runtime.make_worker(app)
        assert worker.queue_deadlines(clock.now, today, push_runtime.zone(app)) == 0


# -- the command line -------------------------------------------------------------------------


def test_push_worker_once_through_the_cli(world, push_service, clock):
    app = world.app
    browser = browser_for(world, push_service, "staff", clock)
    notify(app, world.ids["staff"], Category.TEST, deliver_now=True)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["push-worker", "--once"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "发送成功 1" in result.output
    check_push(app, only(push_service.requests_for("staff")), browser, Category.TEST, 1)
    # Idle: --once with nothing to do prints nothing and succeeds.
    result = runner.invoke(args=["push-worker", "--once"])
    assert result.exit_code == 0 and result.output == ""


def test_push_deadlines_and_vapid_key_commands(world, push_service, clock):
    app = world.app
    runner = app.test_cli_runner()
    result = runner.invoke(args=["push", "deadlines"])
    assert result.exit_code == 0 and "0" in result.output
    result = runner.invoke(args=["push", "vapid-key"])
    assert result.exit_code == 0
    line = next(x for x in result.output.splitlines() if x.startswith("PWA_VAPID_PRIVATE_KEY="))
    from pwa.domain.push.sender import VapidKeys

    VapidKeys(line.split("=", 1)[1], "mailto:x@example.invalid").load()


def test_old_handled_messages_are_purged_and_pending_ones_kept(world, push_service, clock):
    app = world.app
    browser_for(world, push_service, "staff", clock)
    notify(app, world.ids["staff"])
    run_round(app)
    notify(app, world.ids["leader"])  # no subscription: nothing queued
    with app.app_context():
        worker = push_runtime.make_worker(app)
        assert worker.purge(clock.now + timedelta(days=29)) == 0
        with db.write() as session:  # a message still waiting is never purged
            session.add(
                PushMessage(
                    token="waiting-for-quiet-hours",
                    account_id=world.ids["staff"],
                    category=Category.TASK.value,
                    count=1,
                    target="/items",
                    state=outbox.PENDING,
                    created_at=clock.now,
                    updated_at=clock.now,
                    not_before=clock.now + timedelta(days=60),
                    note="",
                )
            )
        assert worker.purge(clock.now + timedelta(days=31)) == 1
        assert db.session.scalar(select(func.count()).select_from(PushDelivery)) == 0
        assert [m.token for m in db.session.scalars(select(PushMessage))] == [
            "waiting-for-quiet-hours"
        ]


def test_savepoints_inside_a_step_neither_queue_early_nor_drop_the_queue(
    world, push_service, clock
):
    app = world.app
    browser_for(world, push_service, "staff", clock)

    def queue(session) -> None:
        outbox.notify(
            session, [world.ids["staff"]], Category.TASK, now=clock.now, zone=push_runtime.zone(app)
        )

    with app.app_context(), db.write() as session:
        item_events._on_commit(session, lambda: queue(session))
        with session.begin_nested():  # a savepoint that commits: not the step's commit
            pass
        assert session.scalar(select(func.count()).select_from(PushMessage)) == 0
        try:
            with session.begin_nested():  # a savepoint that rolls back: the step goes on
                raise RuntimeError("undone part of the step")
        except RuntimeError:
            pass
    assert len(messages(app, world.ids["staff"])) == 1


def test_with_the_worker_running_a_declaration_reaches_the_phone_within_seconds(
    world, push_service, clock
):
    """The issue's "done when", server side: the worker loop as `push-worker` runs it."""
    import threading

    app = world.app
    staff = browser_for(world, push_service, "staff", clock)
    stop = threading.Event()
    with app.app_context():
        worker = push_runtime.make_worker(app)
    runner = threading.Thread(
        target=lambda: _serve_in_app(app, worker, stop), name="push-worker", daemon=True
    )
    runner.start()
    try:
        started = time.monotonic()
        item = declare(world, "clerk", ItemType.QUOTA_USE, use(1))
        deadline = started + 10
        while not push_service.requests_for("staff") and time.monotonic() < deadline:
            time.sleep(0.02)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        runner.join(timeout=10)
    assert not runner.is_alive()
    captured = push_service.requests_for("staff")
    assert captured, "no push within 10 s of the submission"
    check_push(app, only(captured), staff, Category.TASK, 1, item_ids=(item.id,))
    print(f"submission → push service: {elapsed * 1000:.0f} ms")


def _serve_in_app(app, worker, stop) -> None:
    with app.app_context():
        push_runtime.serve(app, worker, poll_seconds=0.2, stop=stop)
