"""What every page inherits: headers, CSP, CSRF, caching, error pages, access declarations."""

from __future__ import annotations

import re

import pytest
from flask import abort

from auth.permissions import declared_access
from tests.pagecheck import PageCheckingClient

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_route_declares_who_may_call_it(app):
    undeclared = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and declared_access(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == []


def test_security_headers_on_every_page(staff):
    response = staff.get("/")
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "geolocation=()" in response.headers["Permissions-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in response.headers["Vary"]
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["X-Request-ID"])


def test_hsts_only_over_https(staff):
    assert "Strict-Transport-Security" not in staff.get("/").headers
    secure = staff.get("/", base_url="https://bianban.example")
    assert "max-age=31536000" in secure.headers["Strict-Transport-Security"]


def test_htmx_is_pinned_to_2x_and_configured_for_a_strict_csp(staff):
    html = staff.get("/").get_data(as_text=True)
    assert re.search(r'src="/static/vendor/htmx-2\.0\.\d+\.min\.js\?v=[0-9a-f]{12}"', html)
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html).group(1)
    for setting in (
        '"allowEval":false',
        '"includeIndicatorStyles":false',
        '"selfRequestsOnly":true',
        '"historyCacheSize":0',
    ):
        assert setting in config
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_fingerprinted_static_files_are_cached_for_a_year(staff):
    html = staff.get("/").get_data(as_text=True)
    css_url = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', html).group(1)
    response = staff.get(css_url)
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    response.close()


def _add_test_routes(app):
    from auth.permissions import public

    @public
    def explode():
        raise RuntimeError("secret detail /etc/passwd SELECT * FROM person")

    @public
    def fail_with(code: int):
        abort(code)

    @public
    def post_something():
        return "ok"

    app.add_url_rule("/_test/explode", view_func=explode)
    app.add_url_rule("/_test/abort/<int:code>", view_func=fail_with)
    app.add_url_rule("/_test/post", view_func=post_something, methods=["POST"])


@pytest.mark.parametrize(
    "code, title",
    [
        (400, "请求有误"),
        (403, "无权访问"),
        (404, "页面不存在"),
        (409, "内容已变更"),
        (429, "操作过于频繁"),
        (500, "系统出错"),
        (503, "服务暂不可用"),
    ],
)
def test_error_pages_are_chinese_with_a_request_id(app, code, title):
    _add_test_routes(app)
    app.test_client_class = PageCheckingClient
    response = app.test_client().get(f"/_test/abort/{code}")
    html = response.get_data(as_text=True)
    assert response.status_code == code
    assert f'<h1 class="app-heading" id="error-title">{title}</h1>' in html
    assert response.headers["X-Request-ID"] in html


def test_an_unexpected_error_shows_no_traceback_sql_or_path(app, caplog):
    _add_test_routes(app)
    response = app.test_client().get("/_test/explode")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "系统出错" in html and response.headers["X-Request-ID"] in html
    for leak in ("Traceback", "RuntimeError", "/etc/passwd", "SELECT", "site-packages"):
        assert leak not in html
    assert response.headers["X-Request-ID"] in caplog.text  # operators can find it in the log


def test_unknown_url_and_wrong_method(client, app):
    _add_test_routes(app)
    assert client.get("/units/not-a-number").status_code == 404
    response = app.test_client().get("/_test/post")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_post_without_csrf_token_is_refused_for_forms_and_htmx(app):
    _add_test_routes(app)
    client = app.test_client()
    refused = client.post("/_test/post", data={"x": "1"})
    assert refused.status_code == 400
    assert "安全令牌" in refused.get_data(as_text=True)
    htmx_refused = client.post("/_test/post", headers={"HX-Request": "true"})
    assert htmx_refused.status_code == 400


def test_post_with_csrf_token_passes_for_forms_and_htmx(app):
    _add_test_routes(app)
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post("/_test/post", data={"csrf_token": token}).status_code == 200
    assert (
        client.post("/_test/post", headers={"X-CSRFToken": token, "HX-Request": "true"}).status_code
        == 200
    )


def test_htmx_request_gets_the_fragment_only(staff):
    full = staff.get("/").get_data(as_text=True)
    fragment = staff.get("/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" in full and "<html" not in fragment
    assert "<h1" in fragment
    boosted = staff.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_health_check(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_english_browsers_get_the_english_catalogue(staff, web_app):
    english = {"Accept-Language": "en-US,en;q=0.9"}
    html = staff.get("/", headers=english).get_data(as_text=True)
    assert '<html lang="en">' in html
    # Data stays as it is (unit names are Chinese); the interface around it is English.
    chrome = re.sub(
        r"<li class=\"app-list__item app-list__item--row\">.*?</li>",
        "",
        html.replace("测试staff", ""),
        flags=re.S,
    )
    assert not CJK.findall(chrome), "untranslated: " + "".join(CJK.findall(chrome))[:80]
    for url in ("/account", "/account/password", "/logout"):
        page = staff.get(url, headers=english).get_data(as_text=True)
        page = page.replace("测试staff", "").replace("张家口市", "")  # data, not interface
        assert not CJK.findall(page), url + ": " + "".join(CJK.findall(page))[:80]
    login_page = web_app.test_client().get("/login", headers=english).get_data(as_text=True)
    assert not CJK.findall(login_page), "".join(CJK.findall(login_page))[:80]


def test_chinese_is_the_default(staff):
    html = staff.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "编办移动办公" in html
