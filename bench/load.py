"""Requests per second under load: the app's search and unit card against a hello-world Flask
route, each served by gunicorn with 2 sync workers and driven by wrk (50 connections) in the
same run, so the ratios hold however fast or busy this machine is today."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from bench.common import RESULTS, city_unit_ids, seeded_app, signed_in_client

ROOT = Path(__file__).resolve().parents[1]
DURATION = os.environ.get("BENCH_DURATION", "10s")
QUERIES = [
    "教育",
    "局",
    "医院",
    "财政局",
    "jyj",
    "zjk",
    "weisheng",
    "第三中学",
    "人民医院",
    "wsjkw",
    "卫生健康",
    "蔚",
    "xz",
    "疾病预防",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(app_spec: str, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app_spec,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, base
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn did not start: {process.stderr.read().decode()[-500:]}")


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=10)


def _wrk(
    base: str, paths: list[str], cookie: str | None, headers: dict[str, str] | None = None
) -> float:
    quoted = ",".join('"' + p.replace('"', '\\"') + '"' for p in paths)
    headers = {**({"Cookie": cookie} if cookie else {}), **(headers or {})}
    header = "".join(f'wrk.headers["{name}"] = "{value}"\n' for name, value in headers.items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            header + "local paths = {" + quoted + "}\nlocal i = 0\n"
            "request = function()\n  i = i % #paths + 1\n"
            "  return wrk.format(nil, paths[i])\nend\n"
        )
    out = subprocess.run(
        ["wrk", "-t2", "-c50", f"-d{DURATION}", "--latency", "-s", script.name, base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} failed responses:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def run() -> None:
    if shutil.which("wrk") is None:
        print("\nload: wrk is not installed (apt-get install wrk) — skipped")
        return
    scale = os.environ.get("BENCH_SCALE", "city")
    app = seeded_app(scale)
    client = signed_in_client(app)
    token = client.get_cookie("bb_session").value
    unit_ids = city_unit_ids(app)
    rng = random.Random(7)
    cards = [f"/units/{rng.choice(unit_ids)}" for _ in range(500)]
    searches = [f"/search?q={quote(q)}" for q in QUERIES]
    env = {
        "PWA_ENV": "test",
        "DATABASE_URL": f"sqlite:///{RESULTS / f'{scale}.sqlite3'}",
        "PWA_INSTANCE_PATH": str(RESULTS / "instance"),
    }

    hello, hello_base = _serve("bench.hello:app", {})
    site, site_base = _serve("pwa:create_app()", env)
    try:
        for path in (searches[0], cards[0]):  # warm both workers, check we are signed in
            check = subprocess.run(
                [
                    "curl",
                    "-s",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code}",
                    "-H",
                    f"Cookie: bb_session={token}",
                    site_base + path,
                ],
                capture_output=True,
                text=True,
            ).stdout
            assert check == "200", f"{path} answered {check}"
        baseline = _wrk(hello_base, ["/"], None)
        search_rps = _wrk(site_base, searches, f"bb_session={token}")
        # Search as you type: htmx asks for the results block alone.
        fragment_rps = _wrk(site_base, searches, f"bb_session={token}", {"HX-Request": "true"})
        card_rps = _wrk(site_base, cards, f"bb_session={token}")
    finally:
        _stop(hello)
        _stop(site)
    print(f"\nload at {scale} scale: gunicorn 2 sync workers, wrk 50 connections, {DURATION}")
    print(f"  {'':34} {'req/s':>9} {'of hello-world':>15}")
    print(f"  {'hello-world Flask (baseline)':34} {baseline:9.0f} {1:15.0%}")
    print(
        f"  {'search (signed in, 14 queries)':34} {search_rps:9.0f} "
        f"{search_rps / baseline:15.0%}   goal ≥ 30 %"
    )
    print(
        f"  {'search, htmx fragment (as you type)':34} {fragment_rps:9.0f} "
        f"{fragment_rps / baseline:15.0%}"
    )
    print(
        f"  {'unit card (signed in, 500 units)':34} {card_rps:9.0f} "
        f"{card_rps / baseline:15.0%}   goal ≥ 40 %"
    )
