"""One push through a real (local) push service: aes128gcm a browser can decrypt, a VAPID
signature for the endpoint's origin, explicit TTL/Urgency/Topic, a timeout, and outcomes
instead of exceptions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from py_vapid import Vapid02

from pwa.config import TestConfig
from pwa.domain.push import sender as sender_module
from pwa.domain.push.categories import OPTIONAL, SPECS, Category
from pwa.domain.push.sender import (
    Sent,
    VapidKeyError,
    VapidKeys,
    WebPushSender,
    retry_after_seconds,
)
from pwa.domain.push.worker import Worker, WorkerPolicy
from pwa.models.push import PushMessage
from tests.push_helpers import (
    BrowserKeys,
    FakePushService,
    Reply,
    closed_endpoint,
    origin_of,
    parse_vapid,
    push_service_fixture,  # noqa: F401 - the push_service fixture
)

SUBJECT = "mailto:ops@bianban.example"
KEYS = VapidKeys(TestConfig.VAPID_PRIVATE_KEY, SUBJECT)


def send(sender: WebPushSender, browser: BrowserKeys, payload: str = '{"id":"x"}', **kw) -> Sent:
    args = {"ttl": 600, "urgency": "normal", "topic": "task"} | kw
    return sender.send(
        endpoint=browser.endpoint,
        p256dh=browser.p256dh,
        auth=browser.auth,
        payload=payload,
        **args,
    )


def test_a_push_is_encrypted_signed_and_labelled(push_service):
    browser = BrowserKeys(push_service.endpoint("a"))
    payload = json.dumps({"id": "tok", "title": "编办移动办公", "body": "您有 2 项新的待办"})
    sent = send(
        WebPushSender(KEYS, allow_internal=True),
        browser,
        payload,
        ttl=86400,
        urgency="high",
        topic="security",
    )
    assert sent == Sent(201) and sent.ok and not sent.gone and not sent.retryable
    [request] = push_service.captured
    assert browser.decrypt_text(request.body) == payload
    assert payload.encode() not in request.body and "编办".encode() not in request.body
    assert request.header("content-encoding") == "aes128gcm"
    assert (request.header("ttl"), request.header("urgency"), request.header("topic")) == (
        "86400",
        "high",
        "security",
    )
    assert Vapid02.verify(request.header("authorization"))
    vapid = parse_vapid(request.header("authorization"))
    assert vapid.key == KEYS.public_key
    assert vapid.claims["aud"] == origin_of(browser.endpoint) == push_service.base
    assert vapid.claims["sub"] == SUBJECT
    assert vapid.header["alg"] == "ES256"


def test_every_call_signs_for_its_own_endpoint():
    """webpush() writes aud into the claims it is given: a reused dict would keep the first."""
    with FakePushService() as one, FakePushService() as two:
        sender = WebPushSender(KEYS, allow_internal=True)
        for service in (one, two, one):
            assert send(sender, BrowserKeys(service.endpoint("x"))).ok
        audiences = [
            parse_vapid(c.header("authorization")).claims["aud"]
            for c in one.captured + two.captured
        ]
    assert audiences == [one.base, one.base, two.base]


@pytest.mark.parametrize("status", [404, 410])
def test_gone(push_service, status):
    push_service.script("a", status)
    sent = send(WebPushSender(KEYS, allow_internal=True), BrowserKeys(push_service.endpoint("a")))
    assert sent.status == status and sent.gone and not sent.retryable and not sent.ok
    assert sent.error.startswith(str(status))


def test_429_carries_retry_after_in_seconds(push_service):
    push_service.script("a", Reply(429, "120"))
    sent = send(WebPushSender(KEYS, allow_internal=True), BrowserKeys(push_service.endpoint("a")))
    assert (sent.status, sent.retry_after, sent.retryable) == (429, 120.0, True)


def test_503_carries_retry_after_as_an_http_date(push_service):
    when = datetime.now(UTC) + timedelta(minutes=5)
    push_service.script("a", Reply(503, format_datetime(when, usegmt=True)))
    sent = send(WebPushSender(KEYS, allow_internal=True), BrowserKeys(push_service.endpoint("a")))
    assert sent.status == 503 and sent.retryable
    assert 290 <= sent.retry_after <= 300


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retryable_without_retry_after(push_service, status):
    push_service.script("a", status)
    sent = send(WebPushSender(KEYS, allow_internal=True), BrowserKeys(push_service.endpoint("a")))
    assert sent.status == status and sent.retryable and sent.retry_after is None


@pytest.mark.parametrize("status", [400, 401, 403, 413])
def test_other_client_errors_are_final(push_service, status):
    push_service.script("a", status)
    sent = send(WebPushSender(KEYS, allow_internal=True), BrowserKeys(push_service.endpoint("a")))
    assert sent.status == status and not sent.retryable and not sent.gone and not sent.ok


def test_an_unreachable_push_service_is_an_outcome_not_an_exception():
    sent = send(WebPushSender(KEYS, allow_internal=True), BrowserKeys(closed_endpoint()))
    assert sent.status is None and sent.retryable and sent.error


def test_a_push_service_that_never_answers_times_out(monkeypatch):
    monkeypatch.setattr(sender_module, "READ_TIMEOUT", 0.2)
    with FakePushService(delay=1.0) as slow:
        started = datetime.now(UTC)
        sent = send(WebPushSender(KEYS, allow_internal=True), BrowserKeys(slow.endpoint("a")))
        elapsed = (datetime.now(UTC) - started).total_seconds()
    assert sent.status is None and sent.retryable and "Timeout" in sent.error
    assert elapsed < 0.9


# -- Retry-After, VAPID keys ------------------------------------------------------------------

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("", None),
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Mon, 01 Jun 2026 02:02:00 GMT", 120.0),
        ("Mon, 01 Jun 2026 01:00:00 GMT", 0.0),  # in the past: now
        ("soon", None),
        ("-5", None),
        ("1.5", None),
    ],
)
def test_retry_after_seconds(value, seconds):
    assert retry_after_seconds(value, NOW) == seconds


def test_generated_vapid_keys_load_and_publish_an_uncompressed_point():
    private = VapidKeys.generate()
    keys = VapidKeys(private, "https://bianban.example/contact")
    keys.load()
    from tests.push_helpers import b64u_decode

    point = b64u_decode(keys.public_key)
    assert len(point) == 65 and point[0] == 4
    assert VapidKeys(private, SUBJECT).public_key == keys.public_key
    assert VapidKeys.generate() != private


@pytest.mark.parametrize(
    ("private", "subject"),
    [
        ("not-a-key", SUBJECT),
        ("", SUBJECT),
        (TestConfig.VAPID_PRIVATE_KEY, "ops@bianban.example"),  # not a mailto: or https: URL
        (TestConfig.VAPID_PRIVATE_KEY, "http://bianban.example"),
    ],
)
def test_bad_vapid_keys_are_refused(private, subject):
    with pytest.raises(VapidKeyError):
        VapidKeys(private, subject).load()


# -- categories, back-off and the payload (no database) ---------------------------------------


def test_every_category_has_a_ttl_and_an_rfc8030_urgency_and_a_generic_text():
    for category, spec in SPECS.items():
        assert timedelta(0) < spec.ttl <= timedelta(days=28), category
        assert spec.urgency in ("very-low", "low", "normal", "high"), category
        assert "%(n)d" in spec.body or category is Category.TEST
        assert len(category.value) <= 32  # an RFC 8030 Topic
    assert set(SPECS) == set(Category)
    assert Category.SECURITY not in OPTIONAL and Category.TEST not in OPTIONAL
    assert set(OPTIONAL) == {Category.TASK, Category.REMINDER, Category.DEADLINE, Category.OUTCOME}


def _worker(**policy) -> Worker:
    return Worker(
        None,
        None,
        None,
        texts=lambda category, n: ("标题", f"正文 {n}"),
        policy=WorkerPolicy(**policy),
    )


def test_backoff_doubles_up_to_the_longest_retry_and_honours_retry_after():
    worker = _worker()
    delays = [worker._backoff(n, Sent(500)) for n in range(1, 10)]
    assert delays[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert max(delays) == timedelta(hours=1) == delays[-1]
    assert worker._backoff(1, Sent(429, retry_after=120)) == timedelta(seconds=120)
    assert worker._backoff(5, Sent(429, retry_after=10)) == timedelta(seconds=480)  # the larger
    # A push service cannot park a delivery for more than a day.
    assert worker._backoff(1, Sent(503, retry_after=10**9)) == timedelta(days=1)


def test_the_payload_is_only_the_allowlisted_fields():
    message = PushMessage(
        token="opaque-token-123456",
        account_id=7,
        category="outcome",
        count=2,
        target="/items/4242",
        note="quiet hours",
    )
    worker = _worker()
    data = json.loads(worker.payload(message, 5))
    assert data == {
        "id": "opaque-token-123456",
        "category": "outcome",
        "title": "标题",
        "body": "正文 2",
        "count": 2,
        "badge": 5,
    }
    assert "badge" not in json.loads(worker.payload(message, None))
    assert "4242" not in worker.payload(message, 5)


def test_an_endpoint_resolving_inside_our_network_is_refused_not_retried(push_service):
    sent = send(WebPushSender(KEYS), BrowserKeys(push_service.endpoint("a")))
    assert sent.refused and not sent.retryable and "internal address" in sent.error
    assert push_service.captured == []
