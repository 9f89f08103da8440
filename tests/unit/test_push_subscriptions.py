"""What a browser's PushSubscription must look like before the server stores it (and later
POSTs to its endpoint)."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pwa.domain.push.subscriptions import (
    BrowserSubscription,
    SubscriptionError,
    SubscriptionPolicy,
    b64url_decode,
    parse,
)
from tests.push_helpers import BrowserKeys, b64u

STRICT = SubscriptionPolicy()
LOCAL = SubscriptionPolicy(allow_insecure=True)
GOOD_ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc:def"


def browser_json(endpoint: str = GOOD_ENDPOINT, **keys: object) -> dict:
    raw = BrowserKeys(endpoint).subscription()
    raw["keys"].update(keys)
    return raw


def test_a_real_browser_subscription_is_accepted_as_is():
    browser = BrowserKeys(GOOD_ENDPOINT)
    parsed = parse(browser.subscription(), STRICT)
    assert parsed == BrowserSubscription(GOOD_ENDPOINT, browser.p256dh, browser.auth)


def test_padded_keys_are_accepted_and_stored_unpadded():
    browser = BrowserKeys(GOOD_ENDPOINT)
    raw = browser.subscription()
    raw["keys"]["p256dh"] += "=" * (-len(raw["keys"]["p256dh"]) % 4)
    raw["keys"]["auth"] += "=="
    parsed = parse(raw, STRICT)
    assert parsed.p256dh == browser.p256dh and "=" not in parsed.p256dh
    assert parsed.auth == browser.auth


@pytest.mark.parametrize("raw", [None, [], "https://x.example/push", 42, b"{}"])
def test_anything_but_an_object_is_refused(raw):
    with pytest.raises(SubscriptionError):
        parse(raw, STRICT)


@pytest.mark.parametrize(
    "endpoint",
    [
        None,
        "",
        123,
        "http://push.example.com/x",  # plain http
        "ftp://push.example.com/x",
        "javascript:alert(1)",
        "https:///no-host",
        "https://user:pw@push.example.com/x",  # credentials in the URL
        "https://" + "a" * 1020 + ".com/",  # over 1024 characters
        # never an address inside our own network: IP literals and localhost
        "https://127.0.0.1/push",
        "https://10.0.0.5/push",
        "https://192.168.1.1:8443/push",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/push",
        "https://[::ffff:127.0.0.1]/push",
        "https://localhost/push",
        "https://LOCALHOST:443/push",
        "https://push.localhost/push",
        # the same addresses in the numeric forms the resolver also accepts (inet_aton)
        "https://2130706433/push",
        "https://127.1/push",
        "https://0x7f000001/push",
        "https://017700000001/push",
        # a trailing dot is the same name
        "https://localhost./push",
        "https://push.localhost./push",
    ],
)
def test_endpoints_that_are_not_a_push_services_https_url_are_refused(endpoint):
    with pytest.raises(SubscriptionError):
        parse(browser_json(endpoint), STRICT)


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
        "https://web.push.apple.com/QO1",
        "https://push.example.com:8443/p/1",
        "https://push.example.xn--fiqs8s/p/1",  # an IDN top-level domain (.中国)
    ],
)
def test_real_push_services_are_accepted(endpoint):
    assert parse(browser_json(endpoint), STRICT).endpoint == endpoint


def test_a_local_push_service_needs_the_insecure_policy():
    raw = browser_json("http://127.0.0.1:8765/push/1")
    with pytest.raises(SubscriptionError):
        parse(raw, STRICT)
    assert parse(raw, LOCAL).endpoint == "http://127.0.0.1:8765/push/1"
    with pytest.raises(SubscriptionError):  # even then, only http and https
        parse(browser_json("ftp://127.0.0.1/push"), LOCAL)


def _not_on_the_curve() -> str:
    point = bytearray(b"\x04" + os.urandom(64))
    while True:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes(point))
        except ValueError:
            return b64u(bytes(point))
        point[-1] ^= 1


def _compressed_point() -> str:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return b64u(
        key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    )


@pytest.mark.parametrize(
    "keys",
    [
        {"p256dh": None},
        {"p256dh": 5},
        {"p256dh": ""},
        {"p256dh": _not_on_the_curve()},
        {"p256dh": _compressed_point()},  # a valid point, but not what browsers send
        {"p256dh": b64u(os.urandom(64))},  # 64 bytes: the 0x04 prefix is missing
        {"p256dh": "A" * 129},
        {"p256dh": "not base64 at all!"},
        {"auth": None},
        {"auth": ""},
        {"auth": b64u(os.urandom(15))},
        {"auth": b64u(os.urandom(32))},
        {"auth": "é" * 22},
    ],
)
def test_keys_that_are_not_a_p256_point_and_a_16_byte_secret_are_refused(keys):
    with pytest.raises(SubscriptionError):
        parse(browser_json(**keys), STRICT)


@pytest.mark.parametrize("keys", [None, "p256dh", [], {}])
def test_missing_keys_are_refused(keys):
    raw = browser_json()
    raw["keys"] = keys
    with pytest.raises(SubscriptionError):
        parse(raw, STRICT)


def test_the_refusal_says_why_in_chinese():
    with pytest.raises(SubscriptionError) as caught:
        parse(browser_json("http://push.example.com/x"), STRICT)
    assert "https" in caught.value.msgid and "推送" in str(caught.value)


def test_b64url_decode_accepts_missing_padding_and_whitespace():
    raw = os.urandom(16)
    assert b64url_decode(" " + b64u(raw) + "\n") == raw
