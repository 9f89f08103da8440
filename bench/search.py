"""Unit search: p50/p95 per query class and scope against a primary-key lookup, same run.

``python -m bench.search`` benches the cached demo database of BENCH_SCALE (default city);
``python -m bench.search postgresql+psycopg://…`` an existing database (units and regions
loaded; the index is built if it is empty). A cached SQLite file from before migration 0004
is upgraded and indexed first. The index build is timed in a transaction rolled back.
"""

from __future__ import annotations

import random
import sys
import time

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from auth.scope import EVERYTHING, Scope, region_subtree
from bench.common import Timing, measure, report, seeded_app
from pwa import migrate
from pwa.db import create_engine_for, make_sessionmaker
from pwa.domain.search import rebuild_search_index, search_units
from pwa.models import Region, RegionLevel, Unit, UnitSearchName

QUERIES: dict[str, list[str]] = {
    "1 汉字": ["局", "教", "院", "委", "所", "站", "镇", "办", "馆", "队"],
    "2 汉字": ["教育", "医院", "财政", "公安", "卫生", "学校", "中心", "服务", "审批", "档案"],
    "3 汉字": ["教育局", "财政局", "卫健局", "人民医", "中心学", "服务站", "审批局", "公安局",
               "档案馆", "幼儿园"],
    "4+ 汉字": ["人民政府", "中心学校", "综合服务站", "张家口市教育局", "市场监督管理局",
                "卫生健康局", "党群服务中心", "人民医院", "退役军人", "行政审批"],
    "initials 1-2": ["j", "x", "z", "jy", "cz", "ws", "gx", "zx", "yy", "sp"],
    "initials 3+": ["jyj", "zjk", "czj", "rmzf", "gaj", "zxxx", "rmyy", "wjj", "spj", "dag"],
    "full pinyin": ["jiaoyu", "caizheng", "yiyuan", "weisheng", "zhangjiakou", "renmin",
                    "gonganju", "xuexiao", "fuwuzhan", "shenpi"],
}  # fmt: skip


def _ensure_index(engine: Engine) -> None:
    """Upgrade an older cached database and fill an empty index (once)."""
    migrate.upgrade(engine)
    with Session(engine) as session:
        indexed = session.scalar(select(func.count()).select_from(UnitSearchName))
    if not indexed:
        started = time.perf_counter()
        with engine.begin() as connection:
            rows = rebuild_search_index(connection)
        print(f"indexed {rows:,} names in {time.perf_counter() - started:.1f} s (kept)")


def _time_rebuild(engine: Engine) -> None:
    with engine.connect() as connection:
        transaction = connection.begin()
        started = time.perf_counter()
        rows = rebuild_search_index(connection)
        seconds = time.perf_counter() - started
        transaction.rollback()
    print(f"\nrebuild_search_index: {rows:,} names in {seconds:.2f} s (rolled back)")


def _scopes(session: Session) -> dict[str, Scope]:
    """Province-wide (as a provincial account sees it), a mid-sized city, a mid-sized county."""
    province = session.scalar(select(Region.id).where(Region.parent_id.is_(None)))
    counts = (
        select(Region.id, Region.level, func.count(Unit.id).label("units"))
        .join(Unit, Unit.region_id == Region.id)
        .group_by(Region.id, Region.level)
        .order_by(func.count(Unit.id), Region.id)
    )
    by_level: dict[RegionLevel, list[int]] = {}
    for region_id, level, _units in session.execute(counts):
        by_level.setdefault(RegionLevel(level), []).append(region_id)
    city = by_level[RegionLevel.CITY][len(by_level[RegionLevel.CITY]) // 2]
    county = by_level[RegionLevel.COUNTY][len(by_level[RegionLevel.COUNTY]) // 2]
    return {
        "province": Scope(region_ids=region_subtree(session, province)),
        "city": Scope(region_ids=region_subtree(session, city)),
        "county": Scope(region_ids=region_subtree(session, county)),
    }


def bench(engine: Engine, runs: int = 300) -> None:
    _ensure_index(engine)
    session = make_sessionmaker(engine)()
    unit_ids = list(session.scalars(select(Unit.id)))
    rng = random.Random(1)
    picks = [rng.choice(unit_ids) for _ in range(1000)]
    codes = [code[:8] for code in session.scalars(select(Unit.credit_code).limit(50))]
    queries = {**QUERIES, "credit code": codes[:5] + [session.get(Unit, picks[0]).credit_code]}
    baseline = measure(
        "unit by primary key (baseline)",
        lambda i: session.get(Unit, picks[i % 1000], populate_existing=True),
        runs=runs,
    )
    scopes = {"everything": EVERYTHING, **_scopes(session)}
    for scope_name, scope in scopes.items():
        timings: list[Timing] = []
        for name, qs in queries.items():
            assert search_units(session, qs[0], scope) is not None

            def one(i: int, qs: list[str] = qs, scope: Scope = scope) -> object:
                return search_units(session, qs[i % len(qs)], scope)

            timings.append(measure(f"{name}", one, runs=runs))
        size = "all" if scope.everything else f"{len(scope.region_ids)} regions"
        report(
            f"search_units over {len(unit_ids):,} units, scope {scope_name} ({size})",
            baseline,
            *timings,
        )
    session.close()
    _time_rebuild(engine)


def run() -> None:
    app = seeded_app()
    from pwa.extensions import db

    with app.app_context():
        bench(db.engine)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        engine = create_engine_for(sys.argv[1])
        bench(engine)
        engine.dispose()
    else:
        run()
