"""Foundation: the quota module and a full page against trivial baselines, same run."""

from __future__ import annotations

import random

from sqlalchemy import select

from bench.common import AS_OF, measure, report, seeded_app, signed_in_client
from pwa.domain.quota import unit_positions
from pwa.extensions import db
from pwa.models import Unit


def run() -> None:
    app = seeded_app()
    from auth.permissions import public

    @public
    def hello() -> str:
        return "hello"

    app.add_url_rule("/_bench/hello", view_func=hello)
    with app.app_context():
        session = db.sessionmaker()
        unit_ids = list(session.scalars(select(Unit.id)))
        rng = random.Random(1)
        picks = [rng.choice(unit_ids) for _ in range(1000)]
        primary_key = measure(
            "unit by primary key (baseline)",
            lambda i: session.get(Unit, picks[i % 1000], populate_existing=True),
        )
        positions = measure(
            "unit quota positions", lambda i: unit_positions(session, picks[i % 1000], AS_OF)
        )
        report(f"quota arithmetic over {len(unit_ids):,} units", primary_key, positions)
        session.close()

    client = signed_in_client(app)
    baseline = measure("hello-world route (baseline)", lambda i: client.get("/_bench/hello"))
    health = measure("/healthz (database round trip)", lambda i: client.get("/healthz"))
    assert client.get("/").status_code == 200, "measure the real page, not a login redirect"
    home = measure("/ home overview (a whole city)", lambda i: client.get("/"), runs=30, warmup=3)
    report("full stack through the test client (every middleware on)", baseline, health, home)
