"""Playwright driving Debian's Chromium (no browser download is possible here).

Browser tests are mandatory under CI=true and skipped with a clear message elsewhere when
Chromium is missing. All traffic stays on 127.0.0.1 (the resolver rule stops Chromium's
background look-ups of Google hosts).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from pwa import create_app
from tests.conftest import IN_CI, make_config

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
PHONE = "Pixel 7"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _chromium_available() -> None:
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
        if IN_CI:
            pytest.fail(message + " — CI=true makes the browser tests mandatory")
        pytest.skip(message + " — browser tests skipped")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict, playwright) -> dict:
    return {
        **browser_context_args,
        **playwright.devices[PHONE],
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
    }


@pytest.fixture(scope="session")
def live_app(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("live") / "live.sqlite3"
    shutil.copy(seeded_template, path)
    return create_app(make_config(f"sqlite:///{path}"))


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def demo_accounts(live_app) -> dict[str, dict[str, str]]:
    """The demo accounts of the live database, by username (as `demo-accounts --json`)."""
    from auth.demo import create_demo_accounts, list_demo_accounts
    from pwa import clock
    from pwa.extensions import db, secrets

    with live_app.app_context():
        with db.write() as session:
            create_demo_accounts(session, secrets.cipher, clock.now())
        with db.sessionmaker() as session:
            return {row["username"]: row for row in list_demo_accounts(session, secrets.cipher)}


def oathtool_code(secret: str) -> str:
    """A code from an independent TOTP client, as a person's phone would show it."""
    import subprocess

    return subprocess.run(
        ["oathtool", "--totp=SHA1", "-b", secret], check=True, capture_output=True, text=True
    ).stdout.strip()


_LAST_STEP: dict[str, int] = {}


def wait_for_fresh_step(secret: str | None = None) -> None:
    """Avoid the last seconds of a 30-second step, and a step this secret already used
    (the server accepts each step once)."""
    import time

    if time.time() % 30 > 25:
        time.sleep(30 - time.time() % 30 + 0.5)
    if secret is not None:
        if _LAST_STEP.get(secret) == int(time.time() // 30):
            time.sleep(30 - time.time() % 30 + 0.5)
        _LAST_STEP[secret] = int(time.time() // 30)


def sign_in(page, base: str, account: dict[str, str]) -> None:
    """Through the real pages, with a code from oathtool."""
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(account["username"])
    page.get_by_label("密码").fill(account["password"])
    page.get_by_role("button", name="下一步").click()
    wait_for_fresh_step(account["totp_secret"])
    page.get_by_label("动态码").fill(oathtool_code(account["totp_secret"]))
    page.get_by_role("button", name="登录").click()


CSP_WATCH = """document.addEventListener('securitypolicyviolation', e =>
  (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + (e.blockedURI || '')));"""


@pytest.fixture
def watched_page(page):
    """A page that records CSP violations and console errors for the test to assert on."""
    page.add_init_script(CSP_WATCH)
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    return page
