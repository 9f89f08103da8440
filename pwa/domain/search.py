"""Unit search: 汉字, full pinyin, pinyin initials and 统一社会信用代码, within a scope.

A query is one of two kinds: it is matched against the normalised names (anything holding a
汉字, digits, codes, stray symbols) or, when it is letters only, against their pinyin and
initials. Results come in tiers — exact (规范简称 before other names), prefix, substring —
and within a tier shortest matched name first, then unit id; one hit per unit, its best.

Every tier reads ``unit_search_name`` in id order, because the id is the rank key
(``search_index``): it stops as soon as a page holds enough units, instead of sorting every
match. On SQLite an FTS5 MATCH on n-gram tokens (scope included) yields candidates already in
that order; a LIKE predicate confirms each. On PostgreSQL the same predicates are served by
GIN indexes (pg_trgm from 3 characters, 1–2-gram arrays below) or, for common terms, by
walking the primary key, which the rebuild lays out in heap order.

Statements are built once per shape and run with parameters: building SQLAlchemy
constructs per query cost more than SQLite spent answering them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Text,
    and_,
    bindparam,
    column,
    func,
    or_,
    select,
    table,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from auth.scope import Scope, region_parents
from pwa.db import core
from pwa.models import Unit, UnitSearchName

from .search_index import (
    FTS_TABLE,
    LENGTH_SHIFT,
    hex_gram,
    normalize_query,
    pinyin_forms,
    rebuild_search_index,
    reindex_units,
)

__all__ = [
    "UnitHit",
    "normalize_query",
    "pinyin_forms",
    "rebuild_search_index",
    "reindex_units",
    "search_units",
]

MAX_LIMIT = 200
_EXACT_ROWS = 500  # an exact tier is fetched whole and sorted (short names first)
_N = UnitSearchName.__table__.c
_FTS = table(FTS_TABLE, column("rowid"))


@dataclass(frozen=True)
class UnitHit:
    unit_id: int
    full_name: str
    short_name: str
    matched: str  # the name variant that matched: 全称, 规范简称, 其他名称 or the code
    match_kind: str  # "short" | "full" | "alias" | "code"
    region_id: int
    tier: str  # "exact" | "prefix" | "substring"
    rank: int  # unit_search_name.id: length << 40 | unit_id << 8 | seq


# How a tier confirms a row (and on PostgreSQL, how it lets an index find it): each is a
# statement shape built once (``_statement``); a query only supplies parameters.
TEXT_EQUALS = "text="  # norm = :q
TEXT_LIKE = "text~"  # norm LIKE :pattern
TEXT_GRAMS = "text~grams"  # ... and, on PostgreSQL, the 1–2-gram GIN index
LATIN_EQUALS = "latin="  # pinyin = :q OR initials = :q
LATIN_LIKE = "latin~"  # pinyin LIKE :pattern OR initials LIKE :pattern
INITIALS_GRAMS = "initials~grams"  # initials LIKE :pattern (1–2 letters)
_NO_BOUND = 1 << 62


@dataclass(frozen=True)
class _Tier:
    name: str  # "exact" | "prefix" | "substring"
    match: str  # FTS5 expression over the index tokens (SQLite)
    shape: str  # how a row is confirmed: one of the constants above
    params: dict  # q, pattern, grams
    above: int = -1  # rank keys strictly between these (an exact tier: one name length)
    below: int = _NO_BOUND


@dataclass(frozen=True)
class _Filter:
    """Scope as the search applies it: nothing, one unit, or regions (and their tokens)."""

    unit_id: int | None = None
    region_ids: tuple[int, ...] | None = None
    tokens: tuple[str, ...] = ()
    empty: bool = False

    @property
    def kind(self) -> str:
        if self.unit_id is not None:
            return "unit"
        return "regions" if self.region_ids is not None else "all"


def search_units(session: Session, query: str, scope: Scope, *, limit: int = 20) -> list[UnitHit]:
    """The best ``limit`` units in ``scope`` whose names match ``query``; never raises on
    bad input (it finds nothing instead)."""
    limit = min(int(limit), MAX_LIMIT)
    if limit <= 0 or scope.is_empty:
        return []
    q = normalize_query(query).replace(" ", "")
    if not q:
        return []
    latin = q.replace("'", "")
    tiers = _latin_tiers(latin) if latin.isascii() and latin.isalpha() else _text_tiers(q)
    where = _scope_filter(session, scope)
    if where.empty:
        return []
    found = _collect(session, tiers, where, limit)
    if not found:
        return []
    units = {row.id: row for row in core(session).execute(_UNITS, {"ids": list(found)})}
    return [
        UnitHit(
            unit_id=unit_id,
            full_name=units[unit_id].full_name,
            short_name=units[unit_id].short_name,
            matched=row.text,
            match_kind=row.match_kind,
            region_id=row.region_id,
            tier=tier,
            rank=row.id,
        )
        for unit_id, (tier, row) in found.items()
        if unit_id in units
    ]


_UNITS = select(Unit.id, Unit.full_name, Unit.short_name).where(
    Unit.id.in_(bindparam("ids", expanding=True)), Unit.abolished_on.is_(None)
)


# --- query plans ----------------------------------------------------------------------------


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _all(tokens: Sequence[str]) -> str:
    return " AND ".join(f'"{token}"' for token in dict.fromkeys(tokens))


def _grams(q: str, size: int) -> list[str]:
    """Grams of ``size`` that together cover ``q``: every one is needed only to narrow
    the candidates (the LIKE predicate decides), and fewer lists intersect faster."""
    starts = list(range(0, len(q) - size + 1, size - 1 if size > 2 else 2))
    if starts and starts[-1] != len(q) - size:
        starts.append(len(q) - size)
    return [q[i : i + size] for i in starts]


def _text_tiers(q: str) -> list[_Tier]:
    n = len(q)
    head = f'"p{hex_gram(q[:2])}"'
    contained = _all(["h" + hex_gram(gram) for gram in _grams(q, 2)]) or f'"h{hex_gram(q)}"'
    if n >= 3 and q.isascii() and q.isalnum():  # may be part of a credit code
        contained = f"({contained}) OR ({_all(['c' + gram for gram in _grams(q, 3)])})"
    inner = _like_escape(q)
    starts = f"{head} AND ({contained})" if n >= 3 else head
    return [
        # Exact is a prefix as long as the name: a rank-key range of a single length.
        _Tier(
            "exact",
            starts,
            TEXT_EQUALS,
            {"q": q},
            above=(n << LENGTH_SHIFT) - 1,
            below=(n + 1) << LENGTH_SHIFT,
        ),
        _Tier("prefix", starts, TEXT_LIKE, {"pattern": inner + "%"}),
        _Tier(
            "substring",
            contained,
            TEXT_GRAMS if n <= 2 else TEXT_LIKE,
            {"pattern": f"%{inner}%", "grams": [q]},
        ),
    ]


def _latin_tiers(q: str) -> list[_Tier]:
    n = len(q)
    pairs = _all(["l" + gram for gram in _grams(q, 2)])
    triples = _all(["y" + gram for gram in _grams(q, 3)])
    contained = f"(({pairs}) OR ({triples}))" if n >= 3 else f'"l{q}"'
    head = f'"q{q[:2]}"'
    return [
        _Tier("exact", f'"e{q}"', LATIN_EQUALS, {"q": q}),
        _Tier(
            "prefix",
            f"{head} AND {contained}" if n >= 3 else head,
            LATIN_LIKE,
            {"pattern": q + "%"},
        ),
        _Tier(
            "substring",
            contained,
            LATIN_LIKE if n >= 3 else INITIALS_GRAMS,
            {"pattern": f"%{q}%", "grams": _grams(q, 2) or [q]},
        ),
    ]


def _scope_filter(session: Session, scope: Scope) -> _Filter:
    if scope.everything:
        return _Filter()
    if scope.unit_id is not None:
        return _Filter(unit_id=scope.unit_id)
    parents = region_parents(session)
    wanted = {region_id for region_id in scope.region_ids if region_id in parents}
    if not wanted:
        return _Filter(empty=True)
    if len(wanted) == len(parents):
        return _Filter()
    # The subtree roots of the scope: "g<root>" is on every name below that root.
    roots = sorted(r for r in wanted if parents[r] not in wanted)
    return _Filter(region_ids=tuple(sorted(wanted)), tokens=tuple(f"g{r}" for r in roots))


# --- execution ------------------------------------------------------------------------------


def _confirm(shape: str, grams: bool) -> ColumnElement[bool]:
    """The test a row must pass; ``grams`` adds the gram containment PostgreSQL indexes."""
    c = _N
    q, pattern = bindparam("q", type_=String()), bindparam("pattern", type_=String())
    if shape == TEXT_EQUALS:
        return c.norm == q
    if shape in (TEXT_LIKE, TEXT_GRAMS):
        like = c.norm.like(pattern, escape="\\")
        return and_(like, _has_grams(c.norm)) if grams and shape == TEXT_GRAMS else like
    if shape == LATIN_EQUALS:
        return or_(c.pinyin == q, c.initials == q)
    in_initials = c.initials.like(pattern, escape="\\")
    if shape == INITIALS_GRAMS:
        return and_(in_initials, _has_grams(c.initials)) if grams else in_initials
    return or_(c.pinyin.like(pattern, escape="\\"), in_initials)


def _has_grams(col: ColumnElement[str]) -> ColumnElement[bool]:
    """PostgreSQL: the column's 1- and 2-grams include :grams (GIN ``unit_search_grams``)."""
    return func.unit_search_grams(col).op("@>")(bindparam("grams", type_=ARRAY(Text)))


def _scope_conditions(scope: str) -> list[ColumnElement[bool]]:
    if scope == "unit":
        return [_N.unit_id == bindparam("unit")]
    if scope == "regions":
        return [_N.region_id.in_(bindparam("regions", expanding=True))]
    return []


@lru_cache(maxsize=256)
def _statement(dialect: str, shape: str, scope: str) -> Select:
    """The statement of one tier shape, built once: parameters are q/pattern/grams, match,
    after, below, rows, and regions or unit."""
    postgresql = dialect == "postgresql"
    fts = dialect == "sqlite" and scope != "unit"
    rank = _FTS.c.rowid if fts else _N.id
    conditions = [
        _confirm(shape, grams=postgresql),
        rank > bindparam("after"),
        rank < bindparam("below"),
        *_scope_conditions(scope),
    ]
    columns = (_N.id, _N.unit_id, _N.region_id, _N.match_kind, _N.text)
    if not fts:
        return select(*columns).where(*conditions).order_by(_N.id).limit(bindparam("rows"))
    return (
        select(*columns)
        .select_from(_FTS)
        .join(UnitSearchName.__table__, _N.id == _FTS.c.rowid)
        .where(sql_text(f"{FTS_TABLE} MATCH :match"), *conditions)
        .order_by(_FTS.c.rowid)
        .limit(bindparam("rows"))
    )


def _collect(session: Session, tiers: list[_Tier], where: _Filter, limit: int) -> dict:
    """unit id → (tier, row) of its best match, in rank order, at most ``limit`` units."""
    connection = core(session)
    dialect = connection.dialect.name
    found: dict[int, tuple[str, object]] = {}
    scope_params: dict = {}
    if where.unit_id is not None:
        scope_params["unit"] = where.unit_id
    elif where.region_ids is not None:
        scope_params["regions"] = list(where.region_ids)
    regions = " OR ".join(f'"{token}"' for token in where.tokens)
    for tier in tiers:
        exhaustive = tier.name == "exact"
        page = _EXACT_ROWS if exhaustive else 2 * limit + 16
        statement = _statement(dialect, tier.shape, where.kind)
        params = {
            **tier.params,
            **scope_params,
            "match": f"({tier.match}) AND ({regions})" if regions else tier.match,
            "below": tier.below,
            "rows": page,
        }
        after = tier.above
        while len(found) < limit:
            rows = list(connection.execute(statement, {**params, "after": after}))
            if exhaustive:
                rows.sort(key=lambda row: (row.match_kind != "short", row.id))
            for row in rows:
                if row.unit_id not in found:
                    found[row.unit_id] = (tier.name, row)
                    if len(found) >= limit:
                        break
            if exhaustive or len(rows) < page:
                break
            after = rows[-1].id
        if len(found) >= limit:
            break
    return found
