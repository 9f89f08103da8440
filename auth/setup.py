"""Bind the auth package to an app: sessions, access hooks, blueprints, template filters."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import lazy_gettext as _l

from auth import access, account_routes, admin_routes, routes
from auth.labels import ROLE_LABELS
from auth.network import parse_networks
from auth.web_session import ServerSessionInterface

BEIJING = ZoneInfo("Asia/Shanghai")
ACCOUNT_STATUS = {
    "active": _l("正常"),
    "disabled": _l("已停用"),
    "locked": _l("已锁定"),
    "not_enrolled": _l("未绑定验证器"),
}


def local_datetime(moment: datetime | None) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if moment else ""


def device_name(user_agent: str) -> str:
    """A short, recognisable name for a session's device (no fingerprinting library)."""
    ua = user_agent or ""
    system = next(
        (
            name
            for key, name in (
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Android", "Android"),
                ("HarmonyOS", "HarmonyOS"),
                ("Windows", "Windows"),
                ("Mac OS", "macOS"),
                ("Linux", "Linux"),
            )
            if key in ua
        ),
        "",
    )
    browser = next(
        (
            name
            for key, name in (
                ("MicroMessenger", "微信"),
                ("DingTalk", "钉钉"),
                ("Edg/", "Edge"),
                ("Chrome", "Chrome"),
                ("Firefox", "Firefox"),
                ("Safari", "Safari"),
            )
            if key in ua
        ),
        "",
    )
    return " · ".join(part for part in (system, browser) if part) or str(_l("未知设备"))


def init_app(app: Flask) -> None:
    app.config["TRUSTED_PROXY_NETWORKS"] = parse_networks(app.config["TRUSTED_PROXIES"])
    app.session_interface = ServerSessionInterface()
    access.init_app(app)
    app.register_blueprint(routes.blueprint)
    app.register_blueprint(account_routes.blueprint)
    app.register_blueprint(admin_routes.blueprint)
    app.jinja_env.filters.update(
        role_label=lambda role: ROLE_LABELS[role],
        local_datetime=local_datetime,
        device_name=device_name,
        account_status=lambda status: ACCOUNT_STATUS[status],
    )
