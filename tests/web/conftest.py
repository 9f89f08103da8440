"""Web-test fixtures: a small hand-made jurisdiction, a frozen clock, accounts per role."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask

from pwa.extensions import db
from pwa.models import Funding, Region, RegionLevel, Unit, UnitKind, UnitNature, UnitRank
from tests.auth_helpers import Clock
from tests.pagecheck import PageCheckingClient

START = datetime(2026, 6, 1, 1, 0, 5, tzinfo=UTC)


@pytest.fixture
def web_app(app: Flask) -> Flask:
    """The empty database plus 河北省 → 张家口市 → 蔚县 and one unit in each place."""
    with app.app_context(), db.write() as s:
        province = Region(
            code="130000", name="河北省", short_name="河北", level=RegionLevel.PROVINCE
        )
        city = Region(
            code="130700",
            name="张家口市",
            short_name="张家口",
            level=RegionLevel.CITY,
            parent=province,
        )
        county = Region(
            code="130726", name="蔚县", short_name="蔚县", level=RegionLevel.COUNTY, parent=city
        )
        s.add_all([province, city, county])
        s.flush()
        for region, name, short, code in (
            (city, "张家口市教育局", "市教育局", "11130700MB0000001X"),
            (county, "蔚县教育局", "县教育局", "11130726MB0000002X"),
        ):
            s.add(
                Unit(
                    credit_code=code,
                    full_name=name,
                    short_name=short,
                    kind=UnitKind.GOVERNMENT_DEPARTMENT,
                    nature=UnitNature.ADMINISTRATIVE,
                    rank=UnitRank.DIVISION_FULL,
                    funding=Funding.FULL,
                    region=region,
                    established_on=date(2019, 3, 1),
                    updated_at=START,
                )
            )
    app.test_client_class = PageCheckingClient
    return app


@pytest.fixture
def clock(web_app: Flask) -> Clock:
    return Clock(web_app, START)


@pytest.fixture
def web(web_app: Flask, clock: Clock) -> PageCheckingClient:
    return web_app.test_client()


@pytest.fixture
def staff(web_app: Flask, clock: Clock) -> PageCheckingClient:
    """An office staff member of 张家口市, already signed in."""
    from auth.roles import Role
    from tests.auth_helpers import make_account, sign_in

    account_id, _secret = make_account(web_app, "staff", Role.OFFICE_STAFF)
    client = web_app.test_client()
    sign_in(client, web_app, account_id)
    return client
