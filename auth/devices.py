"""Naming a device from its user-agent string, for people to recognise their own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


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
