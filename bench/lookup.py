"""Server time of the lookup pages, signed in, every middleware on (sessions, CSRF, headers,
audit), measured through the test client against a hello-world route of the same app."""

from __future__ import annotations

import random
from urllib.parse import quote

from sqlalchemy import func, select

from bench.common import measure, report, seeded_app, signed_in_client
from pwa.extensions import db
from pwa.models import Occupancy, Region, Unit

QUERIES = {
    "1 hanzi": ["局", "院", "校", "镇", "委"],
    "2 hanzi": ["教育", "医院", "财政", "卫生", "中学"],
    "3 hanzi": ["教育局", "第三中", "人民医", "财政局", "卫生院"],
    "pinyin initials": ["jyj", "zjk", "wsy", "rmyy", "czj"],
    "full pinyin": ["jiaoyu", "yiyuan", "caizheng", "weisheng", "zhongxue"],
}


def run() -> None:
    app = seeded_app()
    from auth.permissions import public

    @public
    def hello() -> str:
        return "hello"

    app.add_url_rule("/_bench/hello", view_func=hello)
    client = signed_in_client(app, "leader")
    with app.app_context():  # units within the leader's jurisdiction (张家口市): no 404s
        in_city = (
            select(Unit.id)
            .join(Region, Region.id == Unit.region_id)
            .where(Region.code.startswith("1307"))
        )
        units = list(db.session.scalars(in_city))
        staffed = list(
            db.session.scalars(
                select(Occupancy.unit_id)
                .where(Occupancy.exit_date.is_(None), Occupancy.unit_id.in_(in_city))
                .group_by(Occupancy.unit_id)
                .having(func.count() > 30)
            )
        )
    rng = random.Random(3)
    cards = [rng.choice(units) for _ in range(400)]
    staff_units = [rng.choice(staffed) for _ in range(400)]

    def get(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    baseline = measure("hello-world route (baseline)", lambda i: get("/_bench/hello"))
    timings = [
        measure(f"search, {label}", lambda i, qs=qs: get(f"/search?q={quote(qs[i % 5])}"), runs=200)
        for label, qs in QUERIES.items()
    ]
    timings.append(measure("unit card", lambda i: get(f"/units/{cards[i % 400]}"), runs=200))
    timings.append(
        measure(
            "personnel page (25 rows)",
            lambda i: get(f"/units/{staff_units[i % 400]}/people"),
            runs=200,
        )
    )
    report("lookup pages, server time (goal: p95 ≤ 30 ms at province scale)", baseline, *timings)
