"""PWA plumbing at stable URLs: the web app manifest, the offline page and the service
worker, whose precache list is generated from the static files' content hashes so that a
deploy that changes any of them installs a new worker (and drops the old caches)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, current_app, url_for
from flask_babel import gettext as _

from auth.permissions import public
from pwa.rendering import render_page
from pwa.templating import asset_url

blueprint = Blueprint("shell", __name__)
SERVICE_WORKER = Path(__file__).resolve().parent.parent / "service_worker" / "sw.js"
# What the app shell needs to start and show the offline page without a network.
SHELL_ASSETS = (
    "css/app.css",
    "js/app.js",
    "vendor/htmx-2.0.11.min.js",
    "icons/icon.svg",
    "icons/icon-192.png",
    "icons/badge-96.png",
)


@blueprint.get("/manifest.webmanifest")
@public
def manifest() -> Response:
    icons = [
        {"src": asset_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": asset_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {
            "src": asset_url("icons/maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
        {"src": asset_url("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
    ]
    body = {
        "id": "/",
        "name": _("编办移动办公"),
        "short_name": _("编办"),
        "description": _("机构编制移动办公：查询机构编制、现场核查、移动审批"),
        "lang": "zh-CN",
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": "#9f1d20",
        "background_color": "#f3f4f6",
        "icons": icons,
        "shortcuts": [
            {"name": _("待办"), "url": "/items", "icons": [icons[0]]},
            {"name": _("查询单位"), "url": "/search", "icons": [icons[0]]},
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/offline")
@public
def offline() -> str:
    """What a navigation shows without a network (precached: nothing personal on it)."""
    return render_page("offline.html", shell_page=True)


def _worker_source() -> str:
    cached = current_app.extensions.get("pwa.service_worker")
    if cached is None:
        precache = [
            url_for("shell.offline"),
            url_for("shell.manifest"),
            *(asset_url(name) for name in SHELL_ASSETS),
        ]
        source = SERVICE_WORKER.read_text(encoding="utf-8")
        version = hashlib.sha256((json.dumps(precache) + source).encode()).hexdigest()[:12]
        shell = json.dumps({"version": version, "precache": precache})
        cached = f"self.__SHELL = {shell};\n{source}"
        current_app.extensions["pwa.service_worker"] = cached
    return cached


@blueprint.get("/sw.js")
@public
def service_worker() -> Response:
    response = Response(_worker_source(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response
