"""TOTP (RFC 6238: SHA1, 6 digits, 30 s) with the checks pyotp leaves to us.

pyotp's ``verify(valid_window=1)`` also accepts the *next* step and has no replay
protection. Here only steps T−1 and T match, and the caller must record the matched step
with an atomic conditional UPDATE so that a code is accepted at most once (see
``auth.accounts.accept_totp_step``).
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime
from urllib.parse import quote, urlencode

import pyotp

DIGITS = 6
PERIOD = 30
SECRET_BYTES = 20  # 160 bits, what RFC 4226 recommends
ISSUER = "编办移动办公"
_CODE = re.compile(r"^[0-9]{6}$")


class CodeFormatError(ValueError):
    """Not six digits: a typo, not a guess; counted but explained differently."""


def new_secret() -> str:
    """A random base32 secret of 160 bits (32 characters)."""
    return pyotp.random_base32(length=32)


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // PERIOD


def code_at_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).generate_otp(step)


def normalize_code(raw: str) -> str:
    """Accept what people paste: spaces, full-width digits, a dash in the middle."""
    text = (raw or "").translate({ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９"})
    text = re.sub(r"[\s\-]", "", text)
    if not _CODE.match(text):
        raise CodeFormatError(text)
    return text


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The step (T−1 or T, never T+1) whose code equals ``code``, or None."""
    current = step_at(now)
    for step in (current, current - 1):
        if hmac.compare_digest(code_at_step(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, account_name: str) -> str:
    """The otpauth:// URI every authenticator app understands (issuer in label and query)."""
    label = quote(f"{ISSUER}:{account_name}", safe="")
    query = urlencode(
        {
            "secret": secret,
            "issuer": ISSUER,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": PERIOD,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
