"""Template globals: fingerprinted asset URLs, navigation, components, labels, number formats."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, current_app, g, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from auth.permissions import declared_access
from auth.roles import Permission
from pwa.components import COMPONENTS
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
_NAVIGATION_CACHE_SIZE = 1024  # (locale, root, page, permissions): a bound, never reached


@cache
def _fingerprint(static_folder: str, filename: str) -> str:
    data = (Path(static_folder) / filename).read_bytes()
    return hashlib.sha256(data).hexdigest()[:12]


def asset_url(filename: str) -> str:
    """A static URL that changes whenever the file does, so it can be cached for a year."""
    urls = current_app.extensions.setdefault("pwa.asset_urls", {})
    key = (request.script_root, filename)
    if key not in urls:
        version = _fingerprint(current_app.static_folder or "", filename)
        urls[key] = url_for("static", filename=filename, v=version)
    return urls[key]


def _may_open(view: object, permissions: frozenset[Permission]) -> bool:
    access = declared_access(view)  # type: ignore[arg-type]
    if isinstance(access, Permission):
        return access in permissions
    if isinstance(access, frozenset):
        return bool(access & permissions)
    return access is not None


def navigation() -> Markup:
    """The bottom bar: only the places this person may open (admins get no 查询 or 待办).

    It depends on nothing but the locale, the permissions and the current page, so each
    combination is rendered once per app and reused."""
    identity = g.get("identity")
    permissions = identity.permissions if identity is not None else frozenset()
    key = (str(get_locale()), request.script_root, request.endpoint, permissions)
    rendered = current_app.extensions.setdefault("pwa.navigation", {})
    if key not in rendered:
        if len(rendered) >= _NAVIGATION_CACHE_SIZE:
            rendered.clear()
        views = current_app.view_functions
        items = [
            {"url": url_for(name), "label": text, "icon": icon, "current": request.endpoint == name}
            for name, text, icon in NAVIGATION
            if name in views and _may_open(views[name], permissions)
        ]
        bar = current_app.jinja_env.get_template("_navigation.html").module.navigation_bar
        rendered[key] = bar(items) if items else Markup()
    return rendered[key]


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
        **COMPONENTS,
        Permission=Permission,
        html_lang=lambda: html_lang(str(get_locale())),
    )
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["thousands"] = lambda n: f"{n:,}"
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
