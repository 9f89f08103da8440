"""TOTP as SECURITY.md wants it, checked against oathtool (an independent implementation)."""

from __future__ import annotations

import base64
import shutil
import subprocess
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest

from auth import totp
from tests.conftest import IN_CI

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # RFC 6238's SHA1 key, base32


def oathtool(secret: str, at: float) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at))
    return subprocess.run(
        [
            "oathtool",
            "--totp=SHA1",
            "-b",
            "--digits",
            "6",
            "--time-step-size",
            "30s",
            "--now",
            stamp,
            secret,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.fixture(scope="module")
def need_oathtool():
    if shutil.which("oathtool") is None:
        if IN_CI:
            pytest.fail("oathtool missing (apt-get install oathtool); CI=true requires it")
        pytest.skip("oathtool not installed — independent-client check skipped")


@pytest.mark.parametrize("at", [59, 1111111109, 1234567890, 2000000000, 1767225600])
def test_codes_agree_with_oathtool(need_oathtool, at):
    moment = datetime.fromtimestamp(at, UTC)
    assert totp.code_at_step(SECRET, totp.step_at(moment)) == oathtool(SECRET, at)


def test_rfc6238_vector_in_six_digits():
    # RFC 6238 gives 94287082 (8 digits) at T=59; the 6-digit code is its last six.
    assert totp.code_at_step(SECRET, 59 // 30) == "287082"


def test_only_previous_and_current_steps_match():
    now = datetime.fromtimestamp(1_800_000_015, UTC)
    step = totp.step_at(now)
    code = lambda s: totp.code_at_step(SECRET, s)  # noqa: E731
    assert totp.matching_step(SECRET, code(step), now) == step
    assert totp.matching_step(SECRET, code(step - 1), now) == step - 1
    assert totp.matching_step(SECRET, code(step + 1), now) is None  # pyotp window=1 would pass
    assert totp.matching_step(SECRET, code(step - 2), now) is None


def test_pyotp_alone_would_accept_the_next_step():
    # Why we don't use verify(valid_window=1): it also accepts T+1.
    now = datetime.fromtimestamp(1_800_000_015, UTC)
    future = totp.code_at_step(SECRET, totp.step_at(now) + 1)
    assert pyotp.TOTP(SECRET).verify(future, for_time=now, valid_window=1)
    assert totp.matching_step(SECRET, future, now) is None


def test_new_secrets_have_160_bits():
    secret = totp.new_secret()
    assert len(secret) == 32 and len(base64.b32decode(secret)) == 20
    assert totp.new_secret() != secret


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("123456", "123456"),
        (" 123 456 ", "123456"),
        ("１２３４５６", "123456"),
        ("123-456", "123456"),
    ],
)
def test_codes_are_normalised(raw, expected):
    assert totp.normalize_code(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "1234567", "abcdef", "12345６7", "١٢٣٤٥٦"])
def test_malformed_codes_are_refused(raw):
    with pytest.raises(totp.CodeFormatError):
        totp.normalize_code(raw)


def test_provisioning_uri_names_issuer_and_parameters():
    uri = totp.provisioning_uri(SECRET, "staff")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert unquote(parts.path) == "/编办移动办公:staff"
    query = parse_qs(parts.query)
    assert query["secret"] == [SECRET] and query["issuer"] == ["编办移动办公"]
    assert query["digits"] == ["6"] and query["period"] == ["30"]
    assert query["algorithm"] == ["SHA1"]
    # Any standard client reads it back.
    assert pyotp.parse_uri(uri).secret == SECRET
