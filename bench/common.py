"""Shared helpers: a seeded database (cached between runs) and a timing loop."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth import sessions
from auth.demo import create_demo_accounts
from auth.models import Account
from auth.sessions import Stage
from auth.web_session import cookie_name
from pwa import create_app, migrate
from pwa.config import TestConfig
from pwa.db import create_engine_for

RESULTS = Path(__file__).parent / "results"
AS_OF = date(2026, 6, 1)


def seeded_app(scale: str | None = None):
    """An app on a demo database of ``scale`` (BENCH_SCALE, default city), built once."""
    scale = scale or os.environ.get("BENCH_SCALE", "city")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{scale}.sqlite3"
    config = TestConfig()
    config.DATABASE_URL = f"sqlite:///{path}"
    config.INSTANCE_PATH = str(RESULTS / "instance")
    if not path.exists():
        engine = create_engine_for(config.DATABASE_URL)
        migrate.upgrade(engine)
        engine.dispose()
        app = create_app(config)
        from pwa.extensions import db, secrets
        from pwa.seed import generate_demo

        print(f"building the {scale} demo database (once; cached in {path}) …", flush=True)
        with app.app_context(), db.engine.begin() as connection:
            generate_demo(
                connection,
                scale=scale,
                as_of=AS_OF,
                cipher=secrets.cipher,
                blind_index=secrets.blind_index,
                progress=lambda line: print("  " + line, flush=True),
            )
            with Session(bind=connection) as session:
                create_demo_accounts(session, secrets.cipher, datetime.now(UTC))
        return app
    return create_app(config)


def signed_in_client(app, username: str = "staff"):
    """A test client holding a full session of a demo account (as after password + TOTP)."""
    from pwa.extensions import db

    with app.app_context(), db.write() as session:
        account = session.scalar(select(Account).where(Account.username == username))
        token, _row = sessions.create(
            session,
            stage=Stage.FULL,
            account_id=account.id,
            data={"stamp": account.security_stamp},
            now=datetime.now(UTC),
            policy=app.config["SESSION_POLICY"],
        )
    client = app.test_client()
    client.set_cookie(cookie_name(app), token)
    return client


@dataclass(frozen=True)
class Timing:
    name: str
    samples_ms: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.samples_ms, n=20)[-1]


def measure(
    name: str, action: Callable[[int], object], runs: int = 300, warmup: int = 30
) -> Timing:
    for i in range(warmup):
        action(i)
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        action(i)
        samples.append((time.perf_counter() - start) * 1000)
    return Timing(name, samples)


def report(title: str, baseline: Timing, *others: Timing) -> None:
    print(f"\n{title}")
    print(f"  {'':32} {'p50 ms':>8} {'p95 ms':>8} {'× baseline (p50)':>18}")
    for timing in (baseline, *others):
        ratio = timing.p50 / baseline.p50 if baseline.p50 else float("nan")
        print(f"  {timing.name:32} {timing.p50:8.3f} {timing.p95:8.3f} {ratio:18.2f}")


def city_unit_ids(app) -> list[int]:
    """Units within the demo accounts' jurisdiction (张家口市 and its counties)."""
    from pwa.extensions import db
    from pwa.models import Region, Unit

    with app.app_context():
        return list(
            db.session.scalars(
                select(Unit.id)
                .join(Region, Region.id == Unit.region_id)
                .where(Region.code.startswith("1307"))
            )
        )
