"""In airplane mode: a unit card opened before is still readable (marked as an offline
copy with its time), any other page shows the offline page, and logging out leaves
nothing of the app in Cache Storage or localStorage — on a phone, in Chromium."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from pwa.domain.idnumber import find_valid_numbers
from tests.browser.conftest import sign_in

CACHED_CARDS = """async () => {
  const out = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      out.push({cache: name, path: new URL(request.url).pathname, text: await response.text()});
    }
  }
  return out;
}"""


def unit_of(live_app, short_name: str) -> tuple[int, str]:
    from pwa.extensions import db
    from pwa.models import Unit

    with live_app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.short_name == short_name).limit(1))
        return unit.id, unit.full_name


def test_a_card_read_before_stays_readable_offline_and_logout_wipes_it(
    watched_page, live_server, live_app, demo_accounts
):
    page = watched_page
    unit_id, full_name = unit_of(live_app, "市教育局")
    sign_in(page, live_server, demo_accounts["leader"])
    assert page.evaluate("() => window.__swReady") == "activated"
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")

    page.goto(f"{live_server}/units/{unit_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(full_name)
    expect(page.locator("[data-offline-note]")).to_be_hidden()  # online: the live card
    held = page.evaluate(CACHED_CARDS)
    cards = [entry for entry in held if entry["cache"].startswith("bianban-cards")]
    assert [c["path"] for c in cards] == [f"/units/{unit_id}"]
    # What the phone holds: the shell and aggregates-only cards, no ID number anywhere.
    assert all(find_valid_numbers(entry["text"]) == [] for entry in held)
    assert not [e for e in held if "/people" in e["path"] or e["path"].startswith("/items")]

    page.context.set_offline(True)
    try:
        response = page.reload()
        assert response.from_service_worker
        expect(page.get_by_role("heading", level=1)).to_have_text(full_name)
        note = page.locator("[data-offline-note]")
        expect(note).to_be_visible()
        expect(note).to_contain_text("离线副本 · 更新于")
        assert page.locator("[data-offline-time]").inner_text().startswith("20")

        response = page.goto(f"{live_server}/items")  # approvals are never kept offline
        assert response.from_service_worker
        expect(page.get_by_role("heading", level=1)).to_have_text("离线")
        expect(page.locator("[data-offline-list] a")).to_have_text(["市教育局"])
    finally:
        page.context.set_offline(False)

    page.goto(f"{live_server}/logout")
    page.get_by_role("button", name="确认退出").click()
    expect(page).to_have_url(f"{live_server}/login?logged_out=1")
    left = page.evaluate(
        """async () => ({
          caches: (await caches.keys()).filter((n) => n.startsWith("bianban-cards")),
          local: localStorage.length,
        })"""
    )
    assert left == {"caches": [], "local": 0}
    assert page.evaluate("() => window.__csp || []") == []


def test_pinned_units_are_saved_for_an_inspection_before_leaving(
    watched_page, live_server, live_app, demo_accounts
):
    from datetime import UTC, datetime

    from auth.models import Account
    from pwa.extensions import db
    from pwa.models import UnitPin

    page = watched_page
    unit_id, full_name = unit_of(live_app, "市委办")
    with live_app.app_context(), db.write() as session:
        staff_id = session.scalar(select(Account.id).where(Account.username == "staff"))
        if session.get(UnitPin, (staff_id, unit_id)) is None:
            session.add(UnitPin(account_id=staff_id, unit_id=unit_id, pinned_at=datetime.now(UTC)))
    sign_in(page, live_server, demo_accounts["staff"])
    assert page.evaluate("() => window.__swReady") == "activated"
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.goto(f"{live_server}/search")
    page.get_by_role("button", name="保存到本机以备离线").click()
    expect(page.locator("[data-prefetch-status]")).to_contain_text("已保存到本机")

    page.context.set_offline(True)
    try:
        response = page.goto(f"{live_server}/units/{unit_id}")  # never opened before
        assert response.from_service_worker
        expect(page.get_by_role("heading", level=1)).to_have_text(full_name)
        expect(page.locator("[data-offline-note]")).to_be_visible()
    finally:
        page.context.set_offline(False)
    assert page.evaluate("() => window.__csp || []") == []


def test_a_new_version_waits_for_the_person_and_then_drops_the_old_caches(
    watched_page, live_server, live_app, demo_accounts
):
    page = watched_page
    sign_in(page, live_server, demo_accounts["director"])
    assert page.evaluate("() => window.__swReady") == "activated"
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    first = page.evaluate("async () => (await caches.keys()).filter(n => n.includes('shell'))")
    assert len(first) == 1
    expect(page.locator("[data-update-banner]")).to_be_hidden()

    saved = live_app.extensions.pop("pwa.service_worker")
    # A deploy: the worker's source changes, so does its version.
    live_app.extensions["pwa.service_worker"] = saved.replace('"version": "', '"version": "v2-', 1)
    try:
        page.evaluate("async () => (await navigator.serviceWorker.getRegistration('/')).update()")
        banner = page.locator("[data-update-banner]")
        expect(banner).to_be_visible()  # installed and waiting: nothing reloads by itself
        with page.expect_navigation():
            page.get_by_role("button", name="刷新使用新版本").click()
        page.wait_for_function(
            """async () => {
              const names = (await caches.keys()).filter(n => n.includes('shell'));
              return names.length === 1 && names[0].includes('v2-');
            }"""
        )
    finally:
        live_app.extensions["pwa.service_worker"] = saved
    assert page.evaluate("() => window.__csp || []") == []
