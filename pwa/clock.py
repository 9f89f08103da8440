"""The one place the web layer reads the time; tests freeze it through the app config."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

OFFICE_TIMEZONE = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    frozen = current_app.config.get("FROZEN_NOW")
    return frozen if frozen is not None else datetime.now(UTC)


def today() -> date:
    """The office's calendar day (quota reservations expire by Beijing date)."""
    return now().astimezone(OFFICE_TIMEZONE).date()
