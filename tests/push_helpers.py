"""Web Push without a real push service: a local HTTP push service in a thread that records
every request and answers from a script, and a "browser" that makes subscription keys and
decrypts what arrives (aes128gcm via http_ece, as a browser would). See TESTING.md §4.

The fixture is not collected automatically: a test module imports it under its function's
name, and tests ask for ``push_service``:
``from tests.push_helpers import push_service_fixture  # noqa: F401``.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from pwa.extensions import db, secrets

PUSH_PATH = "/push/"


def b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64u_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@dataclass(frozen=True)
class Captured:
    """One request the push service received."""

    sub_id: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int  # what the service answered

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Reply:
    status: int = 201
    retry_after: str | None = None


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *_args: object, **_kwargs: object) -> None:
        pass


class FakePushService:
    """``POST /push/<sub_id>``: recorded, answered with the next scripted reply for that
    ``sub_id`` (default 201 Created). Threaded, so concurrent senders are served at once."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay  # seconds before answering: lets concurrent claims overlap
        self._lock = threading.Lock()
        self._script: dict[str, deque[Reply]] = defaultdict(deque)
        self.captured: list[Captured] = []
        self._server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # --- lifecycle ---
    def start(self) -> FakePushService:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def endpoint(self, sub_id: str) -> str:
        return f"{self.base}{PUSH_PATH}{sub_id}"

    # --- script and record ---
    def script(self, sub_id: str, *replies: int | Reply) -> None:
        """Queue replies for ``sub_id``: an int is a status; a Reply may carry Retry-After."""
        with self._lock:
            for reply in replies:
                self._script[sub_id].append(reply if isinstance(reply, Reply) else Reply(reply))

    def requests_for(self, sub_id: str) -> list[Captured]:
        with self._lock:
            return [c for c in self.captured if c.sub_id == sub_id]

    def clear(self) -> None:
        with self._lock:
            self.captured.clear()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.method != "POST" or not request.path.startswith(PUSH_PATH):
            return Response("", status=404)(environ, start_response)
        sub_id = request.path[len(PUSH_PATH) :]
        body = request.get_data()
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            queue = self._script.get(sub_id)
            reply = queue.popleft() if queue else Reply()
            self.captured.append(
                Captured(
                    sub_id,
                    request.path,
                    {k.lower(): v for k, v in request.headers.items()},
                    body,
                    reply.status,
                )
            )
        response = Response("", status=reply.status)
        if reply.retry_after is not None:
            response.headers["Retry-After"] = reply.retry_after
        return response(environ, start_response)

    def __enter__(self) -> FakePushService:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


@pytest.fixture(name="push_service")
def push_service_fixture() -> Iterator[FakePushService]:
    with FakePushService() as service:
        yield service


@dataclass
class BrowserKeys:
    """What a browser's ``PushManager.subscribe()`` makes: a P-256 key pair and a 16-byte
    auth secret, bound to an endpoint of the push service."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64u(point)

    def subscription(self) -> dict[str, Any]:
        """``PushSubscription.toJSON()``."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64u(self.auth)},
        }

    def decrypt_text(self, body: bytes) -> str:
        return http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"
        ).decode("utf-8")

    def decrypt(self, body: bytes) -> dict[str, Any]:
        return json.loads(self.decrypt_text(body))


def free_port() -> int:
    """A port nothing listens on (bound, then released): connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_endpoint(sub_id: str = "dead") -> str:
    return f"http://127.0.0.1:{free_port()}{PUSH_PATH}{sub_id}"


def subscribe(
    app: Flask,
    account_id: int,
    browser: BrowserKeys,
    *,
    now: datetime,
    session_hash: str | None = None,
    label: str = "测试手机",
) -> int:
    """The account page's "开启通知": parse and save, as the route would. Returns the row id."""
    from pwa.domain.push import subscriptions

    policy = app.config["PUSH_SUBSCRIPTION_POLICY"]
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
        return saved.subscription.id


@dataclass(frozen=True)
class Authorization:
    """The parts of ``Authorization: vapid t=<JWT>,k=<key>``."""

    token: str
    key: str
    claims: dict[str, Any]
    header: dict[str, Any]


def parse_vapid(value: str) -> Authorization:
    scheme, _, rest = value.partition(" ")
    assert scheme.lower() == "vapid", value
    parts = dict(part.strip().split("=", 1) for part in rest.split(","))
    token = parts["t"]
    head, claims, _signature = token.split(".")
    return Authorization(
        token,
        parts["k"],
        json.loads(b64u_decode(claims)),
        json.loads(b64u_decode(head)),
    )


def origin_of(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"
