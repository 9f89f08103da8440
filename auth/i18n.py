"""Translatable messages raised by domain code that must not import Flask.

``N_`` marks a msgid for extraction (babel.cfg's keyword list) without translating it; the
web layer translates with ``gettext(error.msgid, **error.params)`` when it shows the error.
"""

from __future__ import annotations

from typing import Any


def N_(msgid: str) -> str:  # noqa: N802 - the conventional gettext marker name
    return msgid


class UserFacingError(ValueError):
    """An error whose message is meant for the person who caused it."""

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        super().__init__(msgid % params if params else msgid)
