"""Sending one encrypted push through a push service: VAPID-signed, aes128gcm, with an
explicit TTL, Urgency and Topic, and a timeout always set (pywebpush waits forever by
default). What comes back is an outcome the worker can act on, never an exception."""

from __future__ import annotations

import base64
import ipaddress
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class VapidKeyError(ValueError):
    pass


@dataclass(frozen=True)
class VapidKeys:
    """The server's VAPID identity: a P-256 private key (base64url of the raw 32-byte scalar)
    and a contact (``mailto:`` or ``https:``) push services may use."""

    private_key: str
    subject: str

    @staticmethod
    def generate() -> str:
        key = ec.generate_private_key(ec.SECP256R1())
        return b64url(key.private_numbers().private_value.to_bytes(32, "big"))

    def load(self) -> Vapid02:
        try:
            vapid = Vapid02.from_string(self.private_key.strip())
        except Exception as exc:  # noqa: BLE001 - any parse failure is a bad key
            raise VapidKeyError("not a P-256 private key") from exc
        if not isinstance(vapid.private_key.curve, ec.SECP256R1):
            raise VapidKeyError("VAPID keys are P-256")
        if not (self.subject.startswith("mailto:") or self.subject.startswith("https://")):
            raise VapidKeyError("the VAPID subject must be a mailto: or https: URL")
        return vapid

    @property
    def public_key(self) -> str:
        """The browser's ``applicationServerKey`` (the ``k=`` of the Authorization header)."""
        point = self.load().public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)


@dataclass(frozen=True)
class Sent:
    status: int | None  # None: the push service could not be reached at all
    retry_after: float | None = None  # seconds, from a 429/503's Retry-After
    error: str = ""
    refused: bool = False  # we would not send there at all (an internal address)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        return self.status in (404, 410)

    @property
    def retryable(self) -> bool:
        if self.refused:
            return False
        return self.status is None or self.status == 429 or self.status >= 500


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After is either delay-seconds or an HTTP-date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def internal_address(endpoint: str) -> str | None:
    """Why ``endpoint`` resolves into a private, loopback or otherwise internal network (a
    push endpoint is a URL the browser chose; the server must not be made to POST inside
    its own network), or None. A name that does not resolve is left to the send to fail."""
    parts = urlsplit(endpoint)
    try:
        infos = socket.getaddrinfo(parts.hostname or "", parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            return f"refused: {parts.hostname} resolves to an internal address"
    return None


class WebPushSender:
    """Thread-safe: each sending thread gets its own HTTP session (requests' sessions are
    not safe to share between threads)."""

    def __init__(
        self,
        keys: VapidKeys,
        session: requests.Session | None = None,
        *,
        allow_internal: bool = False,
    ) -> None:
        self._vapid = keys.load()
        self._subject = keys.subject
        self._given = session
        self._local = threading.local()
        # Tests and a push service inside the office network (allow_insecure) only.
        self._allow_internal = allow_internal

    @property
    def _http(self) -> requests.Session:
        if self._given is not None:
            return self._given
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def send(
        self,
        *,
        endpoint: str,
        p256dh: str,
        auth: bytes,
        payload: str,
        ttl: int,
        urgency: str,
        topic: str,
    ) -> Sent:
        if not self._allow_internal:
            reason = internal_address(endpoint)
            if reason:
                return Sent(None, error=reason, refused=True)
        subscription = {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": b64url(auth)}}
        try:
            response = webpush(
                subscription,
                payload,
                vapid_private_key=self._vapid,
                # webpush() writes aud and exp into this dict: a fresh one per call.
                vapid_claims={"sub": self._subject},
                content_encoding="aes128gcm",
                ttl=ttl,
                headers={"Urgency": urgency, "Topic": topic},
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                requests_session=self._http,
            )
        except WebPushException as exc:
            response = exc.response
            if response is None:
                return Sent(None, error=str(exc)[:200])
            return Sent(
                response.status_code,
                retry_after_seconds(response.headers.get("Retry-After"), datetime.now(UTC)),
                f"{response.status_code} {response.reason}"[:200],
            )
        except requests.RequestException as exc:
            return Sent(None, error=type(exc).__name__)
        return Sent(response.status_code)
