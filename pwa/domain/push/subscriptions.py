"""Push subscriptions: checked before they are stored (an endpoint is a URL the server will
POST to), at most ⚙ 5 per account, one per browser, removed at logout, disable and reset."""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from auth.i18n import N_, UserFacingError
from pwa.domain.crypto import FieldCipher
from pwa.models.push import PushSubscription

AUTH_CONTEXT = "push_subscription.auth"
MAX_ENDPOINT_LENGTH = 1024


class SubscriptionError(UserFacingError):
    """The browser sent a subscription we will not store; the message says why."""


@dataclass(frozen=True)
class SubscriptionPolicy:
    max_per_account: int = 5  # ⚙
    # Tests and a local push service use http://127.0.0.1; real push services are https.
    allow_insecure: bool = False


@dataclass(frozen=True)
class BrowserSubscription:
    endpoint: str
    p256dh: str
    auth: bytes


@dataclass(frozen=True)
class Saved:
    subscription: PushSubscription
    created: bool
    evicted_label: str | None = None  # the oldest device's, when the limit made room


def b64url_decode(value: str) -> bytes:
    value = value.strip()
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _check_endpoint(raw: object, policy: SubscriptionPolicy) -> str:
    if not isinstance(raw, str) or not raw or len(raw) > MAX_ENDPOINT_LENGTH:
        raise SubscriptionError(N_("推送订阅无效：缺少推送地址或地址过长"))
    parts = urlsplit(raw)
    host = parts.hostname or ""
    if parts.scheme != "https" and not (policy.allow_insecure and parts.scheme == "http"):
        raise SubscriptionError(N_("推送订阅无效：推送地址必须使用 https"))
    if not host or parts.username or parts.password:
        raise SubscriptionError(N_("推送订阅无效：推送地址格式不正确"))
    if not policy.allow_insecure:
        # An endpoint is a URL this server will POST to: never one inside our own network.
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        # The resolver also takes inet_aton forms (2130706433, 127.1, 0x7f000001) as
        # addresses, and "localhost." as localhost: a domain's last label starts with a letter.
        name = host.rstrip(".")
        numeric = not name.rsplit(".", 1)[-1][:1].isalpha()
        if address is not None or numeric or name == "localhost" or name.endswith(".localhost"):
            raise SubscriptionError(N_("推送订阅无效：推送地址必须是推送服务的域名"))
    return raw


def parse(raw: object, policy: SubscriptionPolicy) -> BrowserSubscription:
    """A ``PushSubscription.toJSON()`` object from the browser, checked field by field."""
    if not isinstance(raw, dict):
        raise SubscriptionError(N_("推送订阅无效：格式不正确"))
    endpoint = _check_endpoint(raw.get("endpoint"), policy)
    keys = raw.get("keys")
    if not isinstance(keys, dict):
        raise SubscriptionError(N_("推送订阅无效：缺少加密密钥"))
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    try:
        if not isinstance(p256dh, str) or not isinstance(auth, str) or len(p256dh) > 128:
            raise ValueError
        point = b64url_decode(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        secret = b64url_decode(auth)
        if len(point) != 65 or len(secret) != 16:
            raise ValueError
    except (ValueError, binascii.Error):
        raise SubscriptionError(N_("推送订阅无效：加密密钥格式不正确")) from None
    return BrowserSubscription(endpoint, p256dh.strip().rstrip("="), secret)


def save(
    session: Session,
    account_id: int,
    browser: BrowserSubscription,
    *,
    session_hash: str | None,
    device_label: str,
    cipher: FieldCipher,
    now: datetime,
    policy: SubscriptionPolicy,
) -> Saved:
    """Store or refresh this browser's subscription for ``account_id`` (idempotent)."""
    row = session.scalar(
        select(PushSubscription).where(PushSubscription.endpoint == browser.endpoint)
    )
    created = row is None
    if row is None:
        row = PushSubscription(endpoint=browser.endpoint, created_at=now, failures=0)
        session.add(row)
    elif row.account_id != account_id:
        # Another person signed in on this browser since: it is theirs now.
        row.created_at, row.last_success_at = now, None
        created = True
    row.account_id = account_id
    row.p256dh = browser.p256dh
    row.auth_secret = cipher.encrypt(base64.b64encode(browser.auth).decode(), AUTH_CONTEXT)
    row.session_hash = session_hash
    row.device_label = device_label[:128]
    row.last_seen_at = now
    row.failures, row.last_error = 0, ""
    session.flush()
    evicted = _enforce_limit(session, account_id, keep_id=row.id, limit=policy.max_per_account)
    return Saved(row, created, evicted)


def _enforce_limit(session: Session, account_id: int, *, keep_id: int, limit: int) -> str | None:
    rows = session.scalars(
        select(PushSubscription)
        .where(PushSubscription.account_id == account_id, PushSubscription.id != keep_id)
        .order_by(PushSubscription.last_seen_at.desc(), PushSubscription.id.desc())
    ).all()
    surplus = rows[limit - 1 :]
    for row in surplus:
        session.delete(row)
    session.flush()
    return surplus[-1].device_label if surplus else None


def auth_secret(row: PushSubscription, cipher: FieldCipher) -> bytes:
    return base64.b64decode(cipher.decrypt(row.auth_secret, AUTH_CONTEXT))


def change(
    session: Session,
    old_endpoint: object,
    old_auth: object,
    new: BrowserSubscription,
    *,
    cipher: FieldCipher,
    now: datetime,
) -> bool:
    """``pushsubscriptionchange``: the service worker has no session, so it proves it held the
    old subscription by its auth secret (shared only by that browser and this server)."""
    if not isinstance(old_endpoint, str) or not isinstance(old_auth, str):
        return False
    row = session.scalar(select(PushSubscription).where(PushSubscription.endpoint == old_endpoint))
    if row is None:
        return False
    try:
        claimed = b64url_decode(old_auth)
    except (ValueError, binascii.Error):
        return False
    if not hmac.compare_digest(claimed, auth_secret(row, cipher)):
        return False
    taken = session.scalar(
        select(PushSubscription.id).where(
            PushSubscription.endpoint == new.endpoint, PushSubscription.id != row.id
        )
    )
    if taken is not None:
        session.execute(delete(PushSubscription).where(PushSubscription.id == taken))
    row.endpoint, row.p256dh = new.endpoint, new.p256dh
    row.auth_secret = cipher.encrypt(base64.b64encode(new.auth).decode(), AUTH_CONTEXT)
    row.last_seen_at, row.failures, row.last_error = now, 0, ""
    session.flush()
    return True


def of_account(session: Session, account_id: int) -> list[PushSubscription]:
    return list(
        session.scalars(
            select(PushSubscription)
            .where(PushSubscription.account_id == account_id)
            .order_by(PushSubscription.created_at, PushSubscription.id)
        )
    )


def remove(session: Session, account_id: int, subscription_id: int) -> bool:
    result = session.execute(
        delete(PushSubscription).where(
            PushSubscription.id == subscription_id, PushSubscription.account_id == account_id
        )
    )
    return bool(result.rowcount)


def remove_endpoint(session: Session, account_id: int, endpoint: str) -> bool:
    result = session.execute(
        delete(PushSubscription).where(
            PushSubscription.endpoint == endpoint, PushSubscription.account_id == account_id
        )
    )
    return bool(result.rowcount)


def remove_for_session(session: Session, session_hash: str) -> int:
    """Logout (or ending a device's session from the account page) ends its notifications."""
    result = session.execute(
        delete(PushSubscription).where(PushSubscription.session_hash == session_hash)
    )
    return result.rowcount or 0


def remove_all(session: Session, account_id: int) -> int:
    """Disabling an account or resetting its second factor ends every subscription."""
    result = session.execute(
        delete(PushSubscription).where(PushSubscription.account_id == account_id)
    )
    return result.rowcount or 0


def follow_rotation(session: Session, old_hash: str, new_hash: str) -> None:
    """A session's id changes at privilege changes; its subscriptions follow it."""
    session.execute(
        update(PushSubscription)
        .where(PushSubscription.session_hash == old_hash)
        .values(session_hash=new_hash)
    )
