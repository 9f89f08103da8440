"""In the field: type two characters, open a unit, read its vacancy — on a phone."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def test_search_two_characters_open_a_unit_read_its_vacancy(
    watched_page, live_server, demo_accounts
):
    page = watched_page
    sign_in(page, live_server, demo_accounts["leader"])
    page.get_by_role("link", name="查询").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("查询单位")

    box = page.get_by_label("单位名称、简称、拼音首字母或统一社会信用代码")
    box.press_sequentially("教育", delay=60)  # as typed on a phone: htmx searches as you type
    results = page.locator("#results .app-results .app-list__link")
    expect(results.first).to_be_visible()
    expect(page).to_have_url(re.compile(r"/search\?q=%E6%95%99%E8%82%B2$"))
    first_name = results.first.locator(".app-list__title").inner_text()
    assert "教育" in first_name

    results.first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(first_name)
    vacancy = page.locator(".app-stat__value--vacant").first
    expect(vacancy).to_be_visible()
    assert re.fullmatch(r"\d+", vacancy.inner_text())
    expect(page.get_by_role("heading", name="编制使用")).to_be_visible()

    # The same search by pinyin initials, without JavaScript's help: a plain GET form.
    page.goto(live_server + "/search?q=jyj")
    expect(page.locator(".app-results .app-list__title").first).to_contain_text("教育")
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    assert page.evaluate("() => window.__csp || []") == []
    assert page.console_errors == []
