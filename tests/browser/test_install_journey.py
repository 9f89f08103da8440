"""Installable: Chromium's own installability check finds nothing missing once a person is
signed in (manifest, icons, standalone display, a service worker controlling the page)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, sign_in


def test_chromium_finds_the_app_installable(playwright, live_server, demo_accounts, tmp_path):
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        **{k: v for k, v in playwright.devices[PHONE].items() if k != "default_browser_type"},
        locale="zh-CN",
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        sign_in(page, live_server, demo_accounts["county"])
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.evaluate("() => window.__swReady") == "activated"
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        page.reload()
        cdp = context.new_cdp_session(page)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == [], errors
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"].endswith("/manifest.webmanifest") and not manifest["errors"]
    finally:
        context.close()
