"""A person opens the app on a phone: Chinese renders, nothing breaks the strict CSP."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import sign_in

# Draws a character and the font's "missing glyph" box; different pixels mean a real glyph.
GLYPH_RENDERS = """(ch) => {
  const draw = (text) => {
    const c = document.createElement('canvas'); c.width = 64; c.height = 64;
    const g = c.getContext('2d'); g.font = '48px ' + getComputedStyle(document.body).fontFamily;
    g.fillText(text, 4, 52); return c.toDataURL();
  };
  return draw(ch) !== draw('\\u{10FFFD}') && draw(ch) !== draw('');
}"""


def test_home_page_on_a_phone(watched_page, live_server, demo_accounts):
    page = watched_page
    sign_in(page, live_server, demo_accounts["staff"])
    expect(page.get_by_role("heading", level=1)).to_have_text("机构编制概览")
    expect(page).to_have_title("首页 · 编办移动办公")

    viewport = page.evaluate("() => [innerWidth, navigator.maxTouchPoints > 0]")
    assert viewport == [412, True]
    # The demo city is there: quota figures for administrative establishment at least.
    expect(page.get_by_role("heading", name="行政编制")).to_be_visible()

    # Chinese text renders with a CJK font, not boxes.
    for character in ("编", "办", "制"):
        assert page.evaluate(GLYPH_RENDERS, character), f"{character} renders as a missing glyph"

    # Bottom navigation: reachable with a thumb, 44 px or more.
    nav_link = page.get_by_role("navigation", name="主导航").get_by_role("link", name="首页")
    box = nav_link.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    assert nav_link.get_attribute("aria-current") == "page"

    # Nothing wider than the phone.
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")

    assert page.evaluate("() => window.__csp || []") == []
    assert page.console_errors == []
    assert page.evaluate("() => htmx.version").startswith("2.0.")
    assert page.evaluate("() => htmx.config.allowEval") is False
    assert page.evaluate("() => htmx.config.historyCacheSize") == 0


def test_layout_holds_at_360_px_and_on_a_tablet(browser, live_server, demo_accounts):
    for (width, height), who in (((360, 740), "leader"), ((1024, 1366), "zzb")):
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN", has_touch=True
        )
        page = context.new_page()
        sign_in(page, live_server, demo_accounts[who])
        # Measure the page once it is there (evaluating mid-navigation finds no document).
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"), width
        context.close()


def test_error_page_in_the_browser(watched_page, live_server):
    response = watched_page.goto(live_server + "/no-such-page")
    assert response.status == 404
    expect(watched_page.get_by_role("heading", level=1)).to_have_text("页面不存在")
    expect(watched_page.locator(".app-error__request-id")).to_have_text(
        response.headers["x-request-id"]
    )
    assert watched_page.evaluate("() => window.__csp || []") == []
