"""Small components as Python functions returning Markup: they appear once per row or figure
of the busiest pages, where a Jinja macro call costs more than the HTML it writes.

They keep the calling shape of the macros in ``macros.html`` (text first, then ``classes``
and a modifier) and are template globals.
"""

from __future__ import annotations

from enum import Enum
from functools import cache
from typing import Protocol

from markupsafe import Markup

from pwa.labels import label

_ICON_PATHS = {
    "home": "M3 11 12 4l9 7v9a1 1 0 0 1-1 1h-5v-6H9v6H4a1 1 0 0 1-1-1z",
    "search": "M10.5 3a7.5 7.5 0 0 1 5.9 12.1l4.3 4.3-1.4 1.4-4.3-4.3A7.5 7.5 0 1 1 10.5 3zm0 "
    "2a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11z",
    "inbox": "M4 4h16l1 9v7H3v-7zm1.8 2-.7 7H9a3 3 0 0 0 6 0h3.9l-.7-7z",
    "check": "M5 3h14v18H5zm2 2v14h10V5zm1.5 7 1.4-1.4 1.6 1.6 3.6-3.6 1.4 1.4-5 5z",
    "user": "M12 3a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zm0 11c4.4 0 8 2.2 8 5v2H4v-2c0-2.8 "
    "3.6-5 8-5z",
    "emblem": "M12 2 3 6v6c0 5 3.8 9.4 9 10 5.2-.6 9-5 9-10V6zm0 4.2 1.4 2.9 3.2.4-2.3 2.2.6 "
    "3.2L12 13.4l-2.9 1.5.6-3.2-2.3-2.2 3.2-.4z",
}


@cache
def icon(name: str, classes: str = "") -> Markup:
    """A decorative inline SVG (hidden from assistive technology); unknown names draw nothing."""
    path = _ICON_PATHS.get(name)
    return Markup(
        '<svg class="app-icon %s" viewBox="0 0 24 24" aria-hidden="true" focusable="false">%s</svg>'
    ) % (classes, Markup('<path d="%s"/>') % path if path else "")


def stat(text: str, value: object, classes: str = "", modifier: str = "") -> Markup:
    """One figure of a ``<dl>``: label and value."""
    value_class = f"app-stat__value app-stat__value--{modifier}" if modifier else "app-stat__value"
    return Markup(
        '<div class="app-stat %s"><dt class="app-stat__label">%s</dt><dd class="%s">%s</dd></div>'
    ) % (classes, text, value_class, value)


def quota_badge(status: Enum, classes: str = "") -> Markup:
    """空编 / 满编 / 超编 as a coloured badge."""
    return _badge(status.value, classes, label(status))


@cache  # a handful of statuses × locales
def _badge(status: str, classes: str, text: str) -> Markup:
    return Markup('<span class="app-badge app-badge--%s %s">%s</span>') % (status, classes, text)


class _Figures(Protocol):
    approved: int
    actual: int
    reserved: int
    over: int


def quota_bar(summary: _Figures) -> Markup:
    """Actual (and reserved) against approved; width classes in 5 % steps keep the CSP
    strict (no inline styles)."""
    share = (summary.actual + summary.reserved) / summary.approved if summary.approved > 0 else 1
    return _bar(bool(summary.over), min(round(share * 20) * 5, 100))


@cache  # 2 × 21 variants
def _bar(over: bool, step: int) -> Markup:
    return Markup(
        '<div class="app-bar%s" role="presentation">'
        '<div class="app-bar__fill app-bar__fill--%d"></div></div>'
    ) % (" app-bar--over" if over else "", step)


COMPONENTS = {"icon": icon, "stat": stat, "quota_badge": quota_badge, "quota_bar": quota_bar}

__all__ = ["COMPONENTS", "icon", "quota_badge", "quota_bar", "stat"]
