"""Glue between the auth domain and Flask: policies from config, translated errors."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext

from auth.i18n import UserFacingError
from auth.sessions import SessionPolicy
from auth.throttle import ThrottlePolicy
from pwa.extensions import secrets


def session_policy() -> SessionPolicy:
    return current_app.config["SESSION_POLICY"]


def throttle_policy() -> ThrottlePolicy:
    return current_app.config["THROTTLE_POLICY"]


def recovery_pepper() -> bytes:
    return secrets.blind_index.key


def translate(error: UserFacingError | tuple[str, dict]) -> str:
    if isinstance(error, tuple):
        msgid, params = error
    else:
        msgid, params = error.msgid, error.params
    return gettext(msgid, **params)


def safe_next(target: str | None) -> str | None:
    """Only local paths: an open redirect after login would be a phishing aid."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target
