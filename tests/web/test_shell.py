"""PWA plumbing at stable URLs: manifest, offline page, service worker with a generated,
content-hashed precache list; nothing personal on what the worker precaches."""

from __future__ import annotations

import json

from tests.auth_helpers import make_account, sign_in


def test_the_manifest_makes_the_app_installable(web):
    response = web.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["name"] == "编办移动办公" and manifest["short_name"] == "编办"
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert web.get(icon["src"]).status_code == 200
    assert [s["url"] for s in manifest["shortcuts"]] == ["/items", "/search"]


def test_every_page_links_the_manifest_and_the_ios_icon(web):
    html = web.get("/login").get_data(as_text=True)
    assert 'rel="manifest" href="/manifest.webmanifest"' in html
    assert 'rel="apple-touch-icon"' in html and "apple-mobile-web-app-capable" in html


def test_the_offline_page_is_public_and_holds_nothing_of_the_signed_in_person(web_app, clock):
    from auth.roles import Role

    account_id, _ = make_account(web_app, "offliner", Role.OFFICE_STAFF)
    client = web_app.test_client()
    sign_in(client, web_app, account_id)
    html = client.get("/offline").get_data(as_text=True)
    assert "<h1" in html and "离线" in html
    assert "测试offliner" not in html  # no name in the header
    assert "csrf" not in html.lower() and "X-CSRFToken" not in html
    assert 'class="app-nav"' not in html
    assert web_app.test_client().get("/offline").status_code == 200


def test_the_worker_precaches_the_hashed_shell_and_changes_with_it(web, web_app):
    body = web.get("/sw.js").get_data(as_text=True)
    first_line = body.splitlines()[0]
    assert first_line.startswith("self.__SHELL = ")
    shell = json.loads(first_line.removeprefix("self.__SHELL = ").rstrip(";"))
    assert "/offline" in shell["precache"] and "/manifest.webmanifest" in shell["precache"]
    assert all("?v=" in url for url in shell["precache"] if url.startswith("/static/"))
    for url in shell["precache"]:
        assert web.get(url).status_code == 200, url
    # A different asset hash is a different worker version.
    web_app.extensions.pop("pwa.service_worker")
    web_app.extensions["pwa.asset_urls"] = {
        key: value + "x" for key, value in web_app.extensions.get("pwa.asset_urls", {}).items()
    }
    again = json.loads(
        web.get("/sw.js")
        .get_data(as_text=True)
        .splitlines()[0]
        .removeprefix("self.__SHELL = ")
        .rstrip(";")
    )
    assert again["version"] != shell["version"]


def test_the_worker_caches_only_server_marked_cards_and_never_htmx_or_posts(web):
    body = web.get("/sw.js").get_data(as_text=True)
    assert 'request.method !== "GET"' in body and 'headers.get("HX-Request")' in body
    assert '"X-Offline-Cache") !== "unit-card"' in body
