"""Bind the auth package to an app: sessions, access hooks, blueprints, template filters."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import lazy_gettext as _l

from auth import access, account_routes, admin_routes, routes
from auth.devices import device_name
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
