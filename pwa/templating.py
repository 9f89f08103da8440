"""Template globals: fingerprinted asset URLs, navigation, labels, number formats."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, current_app, g, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from auth.permissions import declared_access
from auth.roles import Permission
from pwa.i18n import html_lang
from pwa.labels import label
from pwa.models import RegionLevel

# Bottom navigation of the phone layout: (endpoint, label, icon). Entries whose endpoint does
# not exist yet are left out, so each feature appears as soon as its blueprint lands.
NAVIGATION = (
    ("home.show_home", _l("首页"), "home"),
    ("lookup.search_units", _l("查询"), "search"),
    ("approvals.list_items", _l("待办"), "inbox"),
    ("inspections.list_inspections", _l("核查"), "check"),
    ("account.show_account", _l("我的"), "user"),
)


@cache
def _fingerprint(static_folder: str, filename: str) -> str:
    data = (Path(static_folder) / filename).read_bytes()
    return hashlib.sha256(data).hexdigest()[:12]


def asset_url(filename: str) -> str:
    """A static URL that changes whenever the file does, so it can be cached for a year."""
    cache = g.setdefault("_asset_urls", {})
    if filename not in cache:
        version = _fingerprint(current_app.static_folder or "", filename)
        cache[filename] = url_for("static", filename=filename, v=version)
    return cache[filename]


def _may_open(view: object, permissions: frozenset[Permission]) -> bool:
    access = declared_access(view)  # type: ignore[arg-type]
    if isinstance(access, Permission):
        return access in permissions
    if isinstance(access, frozenset):
        return bool(access & permissions)
    return access is not None


def navigation() -> list[dict[str, object]]:
    """The bottom bar: only the places this person may open (admins get no 查询 or 待办)."""
    views = current_app.view_functions
    endpoint = request.endpoint
    identity = g.get("identity")
    permissions = identity.permissions if identity is not None else frozenset()
    return [
        {"url": url_for(name), "label": text, "icon": icon, "current": endpoint == name}
        for name, text, icon in NAVIGATION
        if name in views and _may_open(views[name], permissions)
    ]


def unit_url(unit_id: int) -> str:
    """``url_for('lookup.show_unit', …)`` for long lists: the URL pattern is built once per
    request and filled in per row."""
    pattern = g.get("_unit_url")
    if pattern is None:
        pattern = g._unit_url = url_for("lookup.show_unit", unit_id=987654321).replace(
            "987654321", "{}"
        )
    return pattern.format(int(unit_id))


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        asset_url=asset_url,
        unit_url=unit_url,
        navigation=navigation,
        RegionLevel=RegionLevel,
        Permission=Permission,
        html_lang=lambda: html_lang(str(get_locale())),
    )
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["thousands"] = lambda n: f"{n:,}"
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
