"""Unit search on SQLite and PostgreSQL: match kinds, ranking, scope, 多音字, bad input."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from auth.scope import EVERYTHING, NOTHING, Scope, region_subtree
from pwa.db import create_engine_for, make_sessionmaker
from pwa.domain.search import rebuild_search_index, reindex_units, search_units
from pwa.domain.search_index import hex_gram, rank_key
from pwa.models import (
    Funding,
    Region,
    RegionLevel,
    Unit,
    UnitAlias,
    UnitKind,
    UnitNature,
    UnitRank,
    UnitSearchName,
)

NOW = datetime(2026, 6, 1, 8, tzinfo=UTC)


@dataclass
class World:
    engine: object
    province: int
    city: int
    yuxian: int  # 蔚县
    qiaodong: int  # 桥东区
    units: dict[str, int]  # short name → id

    def session(self):
        return make_sessionmaker(self.engine)()

    def search(self, query: str, scope: Scope = EVERYTHING, **kwargs) -> list:
        with self.session() as session:
            return search_units(session, query, scope, **kwargs)

    def names(self, query: str, scope: Scope = EVERYTHING, **kwargs) -> list[str]:
        return [hit.full_name for hit in self.search(query, scope, **kwargs)]


# (region key, full name, short name, aliases, abolished)
UNITS = [
    # A former name that is exactly "市教育局", on a unit inserted first (smaller id): the
    # exact 规范简称 hit must still rank first.
    ("city", "张家口市教育考试院", "市教育考试院", ["市教育局"], False),
    ("city", "张家口市教育局", "市教育局", ["张家口市语言文字工作委员会办公室"], False),
    ("city", "张家口市教育局机关服务中心", "市教育局机关服务中心", [], False),
    ("city", "张家口市第一中学", "市一中", ["张家口市教育局直属第一中学"], False),
    ("city", "张家口市卫生健康委员会", "市卫健委", [], False),
    ("city", "张家口市财政局", "市财政局", [], False),
    ("city", "张家口市教育局招生办公室", "市招生办", [], True),  # abolished
    ("yuxian", "蔚县教育局", "蔚县教育局", [], False),
    ("yuxian", "蔚县人民医院", "蔚县医院", [], False),
    ("yuxian", "蔚县财政局", "蔚县财政局", [], False),
    ("yuxian", "蔚县长宁乡人民政府", "长宁乡", ["蔚县长宁镇人民政府"], False),
    ("qiaodong", "桥东区卫生健康局", "桥东区卫健局", ["桥东区卫生和计划生育局"], False),
    ("qiaodong", "桥东区行政审批局", "桥东区审批局", [], False),
    ("other", "乐亭县教育局", "乐亭县教育局", [], False),
    ("other", "大城县财政局", "大城县财政局", [], False),
    ("other", "井陉县人民医院", "井陉县医院", [], False),
    ("other", "长治市驻石家庄联络处", "长治联络处", [], False),
    ("other", "重庆市驻石家庄办事处", "重庆办", [], False),
    ("other", "中国工商银行单县支行", "单县工行", [], False),
]


def _code(index: int, region_code: str) -> str:
    return f"11{region_code}MB{index:07d}X"


@pytest.fixture
def engine(database_url):
    engine = create_engine_for(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def world(engine) -> World:
    with make_sessionmaker(engine).begin() as session:
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
        yuxian = Region(
            code="130726", name="蔚县", short_name="蔚县", level=RegionLevel.COUNTY, parent=city
        )
        qiaodong = Region(
            code="130702",
            name="桥东区",
            short_name="桥东区",
            level=RegionLevel.COUNTY,
            parent=city,
        )
        other = Region(
            code="130200",
            name="唐山市",
            short_name="唐山",
            level=RegionLevel.CITY,
            parent=province,
        )
        regions = {"city": city, "yuxian": yuxian, "qiaodong": qiaodong, "other": other}
        session.add_all([province, *regions.values()])
        session.flush()
        units = {}
        for index, (key, full, short, aliases, abolished) in enumerate(UNITS, start=1):
            unit = Unit(
                credit_code=_code(index, regions[key].code),
                full_name=full,
                short_name=short,
                kind=UnitKind.GOVERNMENT_DEPARTMENT,
                nature=UnitNature.ADMINISTRATIVE,
                rank=UnitRank.DIVISION_FULL,
                funding=Funding.FULL,
                region=regions[key],
                established_on=date(2019, 3, 1),
                abolished_on=date(2024, 1, 1) if abolished else None,
                updated_at=NOW,
                aliases=[UnitAlias(name=alias) for alias in aliases],
            )
            session.add(unit)
            session.flush()
            units[short] = unit.id
        ids = (province.id, city.id, yuxian.id, qiaodong.id)
    with engine.begin() as connection:
        rows = rebuild_search_index(connection)
    live = [u for u in UNITS if not u[4]]
    names = sum(len({u[1], u[2], *u[3]}) for u in live)
    assert rows >= names + len(live)  # every name (+ second readings) and every code
    return World(engine, *ids, units=units)


def test_every_match_kind(world: World) -> None:
    assert (world.search("市卫健委")[0].match_kind, world.search("市卫健委")[0].tier) == (
        "short",
        "exact",
    )
    full = world.search("张家口市卫生健康委员会")[0]
    assert (full.full_name, full.match_kind, full.tier) == (
        "张家口市卫生健康委员会",
        "full",
        "exact",
    )
    alias = world.search("卫生和计划生育")[0]
    assert (alias.full_name, alias.match_kind, alias.matched) == (
        "桥东区卫生健康局",
        "alias",
        "桥东区卫生和计划生育局",
    )
    code = _code(8, "130726")
    hit = world.search(code)[0]
    assert (hit.full_name, hit.match_kind, hit.matched, hit.tier) == (
        "蔚县教育局",
        "code",
        code,
        "exact",
    )


def test_exact_short_name_ranks_first_then_exact_names_then_prefix_then_substring(
    world: World,
) -> None:
    hits = world.search("市教育局")
    assert [(h.full_name, h.tier, h.match_kind) for h in hits] == [
        ("张家口市教育局", "exact", "short"),
        ("张家口市教育考试院", "exact", "alias"),
        ("张家口市教育局机关服务中心", "prefix", "short"),
        ("张家口市第一中学", "substring", "alias"),
    ]


def test_one_hit_per_unit_its_best_match(world: World) -> None:
    hits = world.search("教育")
    ids = [h.unit_id for h in hits]
    assert len(ids) == len(set(ids))
    best = {h.full_name: h.matched for h in hits}
    assert best["张家口市教育局"] == "市教育局"  # the shorter of its matching names
    # Within a tier: shorter matched name first, then unit id.
    substring = [(len(h.matched), h.unit_id) for h in hits if h.tier == "substring"]
    assert substring == sorted(substring)


def test_one_and_two_character_chinese(world: World) -> None:
    assert set(world.names("教")) >= {"张家口市教育局", "蔚县教育局", "乐亭县教育局"}
    assert set(world.names("医院")) == {"蔚县人民医院", "井陉县人民医院"}
    assert set(world.names("财政")) == {"张家口市财政局", "蔚县财政局", "大城县财政局"}
    assert world.names("审批") == ["桥东区行政审批局"]
    assert world.names("院") == ["蔚县人民医院", "井陉县人民医院", "张家口市教育考试院"]


def test_initials_and_full_pinyin(world: World) -> None:
    assert set(world.names("jyj")) == {
        "张家口市教育考试院",  # its former name 市教育局
        "张家口市教育局",
        "张家口市教育局机关服务中心",
        "张家口市第一中学",  # its former name 张家口市教育局直属第一中学
        "蔚县教育局",
        "乐亭县教育局",
    }
    zjk = world.names("zjk")
    assert zjk and all(name.startswith("张家口") for name in zjk)
    assert "张家口市教育考试院" in zjk
    assert set(world.names("jiaoyuju")) == set(world.names("jyj"))
    assert world.names("JiaoYuJu") == world.names("jiaoyuju")
    assert world.names("weishengjiankang") == ["桥东区卫生健康局", "张家口市卫生健康委员会"]
    assert world.names("wsjkwyh") == ["张家口市卫生健康委员会"]
    # One and two letters: initials contain them, or pinyin starts with them.
    assert "蔚县人民医院" in world.names("yy", limit=50)
    assert world.names("zh", limit=50)  # 张家口… starts with zh
    assert "桥东区卫生健康局" in world.names("q", limit=50)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("yuxian", "蔚县教育局"),
        ("yxjyj", "蔚县教育局"),
        ("laoting", "乐亭县教育局"),
        ("ltx", "乐亭县教育局"),
        ("dachengxian", "大城县财政局"),
        ("jingxing", "井陉县人民医院"),
        ("changzhi", "长治市驻石家庄联络处"),
        ("czlll", None),
        ("chongqing", "重庆市驻石家庄办事处"),
        ("shanxian", "中国工商银行单县支行"),
        ("yinhang", "中国工商银行单县支行"),
        ("xingzheng", "桥东区行政审批局"),
        ("changning", "蔚县长宁乡人民政府"),
    ],
)
def test_place_names_with_polyphonic_characters(world: World, query, expected) -> None:
    names = world.names(query)
    if expected is None:
        assert names == []
    else:
        assert expected in names


def test_credit_code_prefix_and_substring_any_case(world: World) -> None:
    in_city = {name for _, name, _, _, gone in UNITS[:7] if not gone}
    assert set(world.names("11130700", limit=50)) == in_city
    assert world.names("mb0000009x") == ["蔚县人民医院"]
    assert world.names("ＭＢ００００００９Ｘ") == ["蔚县人民医院"]
    assert world.names("11130726mb0000010x") == ["蔚县财政局"]


def test_scope(world: World) -> None:
    with world.session() as session:
        county = Scope(region_ids=region_subtree(session, world.yuxian))
        city = Scope(region_ids=region_subtree(session, world.city))
        province = Scope(region_ids=region_subtree(session, world.province))
    assert world.names("教育局", county) == ["蔚县教育局"]
    assert set(world.names("教育局", city)) == {
        "张家口市教育考试院",
        "张家口市教育局",
        "蔚县教育局",
        "张家口市教育局机关服务中心",
        "张家口市第一中学",
    }
    assert "乐亭县教育局" in world.names("教育局", province)
    assert world.names("jyj", county) == ["蔚县教育局"]
    assert world.names("卫生", county) == []
    assert world.names("11130700", county) == []
    # A county scope finds its few matches even when the province has many more before them.
    assert world.names("局", county, limit=2) == ["蔚县教育局", "蔚县财政局"]
    # One unit.
    one = Scope(unit_id=world.units["市一中"])
    assert world.names("教育", one) == ["张家口市第一中学"]
    assert world.names("医院", one) == []
    # Empty scopes, and scopes naming regions that do not exist.
    assert world.search("教育", NOTHING) == []
    assert world.search("教育", Scope(region_ids=frozenset({987654}))) == []
    # A region set that is not a subtree: the city alone, without its counties.
    assert set(world.names("教育局", Scope(region_ids=frozenset({world.city})))) == {
        "张家口市教育考试院",
        "张家口市教育局",
        "张家口市教育局机关服务中心",
        "张家口市第一中学",
    }


def test_abolished_units_are_not_found(world: World) -> None:
    assert "张家口市教育局招生办公室" not in world.names("教育局", limit=50)
    assert world.names("招生") == []
    assert world.names("zsb") == []


def test_limit(world: World) -> None:
    assert len(world.search("局", limit=3)) == 3
    assert len(world.search("局")) == len(world.search("局", limit=100)) <= 20
    assert world.search("局", limit=0) == []
    assert world.search("局", limit=-5) == []


BAD_INPUT = [
    "",
    " ",
    "\t\n",
    "教" * 500,
    "j" * 500,
    "9" * 500,
    "😀",
    "教育😀",
    "ＡＢＣ",
    "%",
    "_",
    "%%",
    "\\",
    "'",
    '"',
    "''",
    "' OR 1=1 --",
    "'; DROP TABLE unit; --",
    "<script>alert(1)</script>",
    '"教育',
    "教育*",
    "教育 NEAR 局",
    "NEAR(教育 局)",
    "text:教育",
    "tokens:h",
    "^教育",
    "教育 AND 局",
    "jy OR zjk",
    "-jyj",
    "\ud800",
    "教\udfff育",
    "\x00",
    "教育局\u0301",
    "x'",
    "'x",
    "zhang'jia'kou",
]


@pytest.mark.parametrize("query", BAD_INPUT)
def test_bad_input_never_raises(world: World, query: str) -> None:
    assert isinstance(world.search(query), list)
    with world.session() as session:
        county = Scope(region_ids=region_subtree(session, world.yuxian))
    assert isinstance(world.search(query, county), list)


def test_wildcards_and_syntax_are_plain_characters(world: World) -> None:
    assert world.search("%") == []
    assert world.search("_") == []
    assert world.search("教_局") == []
    assert world.search("教%局") == []
    assert world.search("教育*") == []
    assert world.search("' OR 1=1 --") == []
    assert world.names("ＪＹＪ") == world.names("jyj")
    assert world.names("  教育局  ") == world.names("教育局")
    assert world.names("教育\u200b局") == world.names("教育局")
    assert world.names("zhang'jia'kou") == world.names("zhangjiakou")


def test_reindex_after_a_rename_and_an_abolition(world: World) -> None:
    factory = make_sessionmaker(world.engine)
    with factory.begin() as session:
        unit = session.get(Unit, world.units["市财政局"])
        unit.short_name = "市财金局"
        unit.aliases.append(UnitAlias(name="张家口市国库集中支付中心"))
        hospital = session.get(Unit, world.units["蔚县医院"])
        hospital.abolished_on = date(2026, 5, 1)
        session.flush()
        reindex_units(session, [unit.id, hospital.id, unit.id])
    assert world.names("市财金局") == ["张家口市财政局"]
    assert world.names("国库集中") == ["张家口市财政局"]
    assert "张家口市财政局" in world.names("财政")  # the full name is unchanged
    assert world.names("sczj") == ["张家口市财政局"]
    assert "蔚县人民医院" not in world.names("医院")
    with factory() as session:
        reindex_units(session, [])  # nothing to do
        rows = session.scalar(
            select(func.count())
            .select_from(UnitSearchName)
            .where(UnitSearchName.unit_id == world.units["蔚县医院"])
        )
        assert rows == 0
        if session.get_bind().dialect.name == "sqlite":
            # The old short name's tokens left the FTS index with it (a contentless table
            # cannot check this itself): its rank key now belongs to 市财金局.
            short_row = rank_key(len("市财金局"), world.units["市财政局"], 0)
            stale = session.scalars(
                text("SELECT rowid FROM unit_search_fts WHERE unit_search_fts MATCH :m"),
                {"m": f'"h{hex_gram("财政")}"'},
            ).all()
            assert short_row not in stale
            fresh = session.scalars(
                text("SELECT rowid FROM unit_search_fts WHERE unit_search_fts MATCH :m"),
                {"m": f'"h{hex_gram("财金")}"'},
            ).all()
            assert fresh == [short_row]


def test_rebuild_is_repeatable(world: World) -> None:
    with world.engine.begin() as connection:
        first = rebuild_search_index(connection)
    with world.engine.begin() as connection:
        assert rebuild_search_index(connection) == first
    assert world.names("市教育局")[0] == "张家口市教育局"


def test_the_demo_city_is_searchable(seeded_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite3"
    shutil.copy(seeded_template, path)
    engine = create_engine_for(f"sqlite:///{path}")
    try:
        with make_sessionmaker(engine)() as session:
            for query in ("教育", "jyj", "jiaoyu", "教育局"):
                hits = search_units(session, query, EVERYTHING)
                assert hits, query
                assert any(hit.full_name.endswith("教育局") for hit in hits), query
            assert all("教育" in hit.matched for hit in search_units(session, "教育", EVERYTHING))
            unit = session.scalar(select(Unit).where(Unit.full_name.like("%教育局")).limit(1))
            assert search_units(session, unit.credit_code, EVERYTHING)[0].unit_id == unit.id
    finally:
        engine.dispose()
