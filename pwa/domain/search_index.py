"""Building the unit search index: normalisation, pinyin, n-gram tokens, bulk (re)indexing.

Every name a unit is searched by — 全称, 规范简称, 其他名称, 统一社会信用代码 — becomes one
``unit_search_name`` row whose id is the *rank key* ``length << 40 | unit_id << 8 | seq``:
reading matches in id order reads them shortest first, then by unit id, which is how search
ranks ties, so a query can stop after the first page of hits instead of sorting all of them.

On SQLite each row also gets a document in the contentless FTS5 table ``unit_search_fts``
(``detail=none``: rowids only, a few bytes a posting) under the same rowid. Its tokens are
ASCII words so that any tokenizer cuts them the same way:

- ``h`` + hex code points: every character and every adjacent pair of the normalised name
  (1- and 2-character queries need exactly this; FTS5 ``trigram`` cannot match them), pairs
  only for credit codes;
- ``p`` + hex: the first one and first two characters (prefix matches);
- ``l`` + letters: every letter and adjacent pair of the initials (``jy`` in ``zjksjyj``);
- ``y`` + three letters: every trigram of the full pinyin (``jiaoyu``);
- ``q`` + letters: the first one or two letters of pinyin and initials; ``e`` + the whole
  pinyin or initials (equality);
- ``g`` + region id: the unit's region and each ancestor, so scope is an FTS filter too.

Longer queries AND their pairs / trigrams; a LIKE predicate on the row confirms every hit.
Changing the tokens requires ``rebuild_search_index`` (deletes must name inserted tokens).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from pwa.models import Region, Unit, UnitAlias, UnitSearchName

FTS_TABLE = "unit_search_fts"
_FTS_INSERT = "INSERT INTO unit_search_fts (rowid, tokens) VALUES (?, ?)"
_FTS_DELETE = "INSERT INTO unit_search_fts (unit_search_fts, rowid, tokens) VALUES ('delete', ?, ?)"
_FTS_DELETE_ALL = "INSERT INTO unit_search_fts (unit_search_fts) VALUES ('delete-all')"
_FTS_OPTIMIZE = "INSERT INTO unit_search_fts (unit_search_fts) VALUES ('optimize')"
_FTS_CONFIG = "INSERT INTO unit_search_fts (unit_search_fts, rank) VALUES (?, ?)"
# A full rebuild writes without merging and merges once at the end (25% faster); the
# defaults come back for the small writes of reindex_units.
_BULK_SETTINGS = [("automerge", 0), ("crisismerge", 64)]
_DEFAULT_SETTINGS = [("automerge", 4), ("crisismerge", 16)]
LENGTH_SHIFT = 40
UNIT_SHIFT = 8
MAX_NAMES_PER_UNIT = 1 << UNIT_SHIFT
MAX_QUERY_LENGTH = 64
CHUNK_ROWS = 5_000

# 多音字 that pypinyin reads wrongly in place and unit names (checked against 0.55: see
# tests/unit/test_pinyin.py). Single characters first: 长 in a name is 长城/长安/长治, never
# the 长 of 局长 (that one is always inside a phrase pypinyin knows); 都 is 成都/丰都, not
# 都是; 曾 in a village name is the surname.
_SINGLE_OVERRIDES = {"长": "cháng,zhǎng", "都": "dū,dōu", "曾": "zēng,céng"}
_PHRASE_OVERRIDES = {
    "长子县": "cháng zǐ xiàn",
    "单县": "shàn xiàn",
    "单家": "shàn jiā",
    "解家": "xiè jiā",
    "朝阳": "cháo yáng",
    "闵行": "mǐn háng",
    "泊头": "bó tóu",
    "冯河": "féng hé",
    "工商行政": "gōng shāng xíng zhèng",
    "行政": "xíng zhèng",
    "银行": "yín háng",
    "乐亭": "lào tíng",
    "蔚县": "yù xiàn",
}

# A name is converted piece by piece, cut after these characters: "张家口市长城区" is
# 张家口市 + 长城区, not 市长 + 城区. When a known phrase straddles a cut (市长热线), the
# uncut reading is indexed too.
_ADMIN_SUFFIXES = frozenset("省市县区州旗盟乡镇")
_LATIN = re.compile(r"[a-z0-9]+")
_ASCII_UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_DROPPED_CATEGORIES = frozenset({"Cs", "Cf", "Co", "Cn"})


def is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (
        0x3400 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F
        or code == 0x3007  # 〇
    )


def _fold(raw: str) -> str:
    if raw.isprintable():  # the common case: nothing to drop, only spaces to collapse
        folded = unicodedata.normalize("NFKC", raw).translate(_ASCII_UPPER)
        return " ".join(folded.split())
    kept = []
    for ch in raw:
        category = unicodedata.category(ch)
        if category in _DROPPED_CATEGORIES:
            continue
        kept.append(" " if category == "Cc" or ch.isspace() else ch)
    folded = unicodedata.normalize("NFKC", "".join(kept)).translate(_ASCII_UPPER)
    return " ".join(folded.split())


def normalize_query(raw: object) -> str:
    """NFKC (full-width → half-width), control, format and unpaired surrogate characters
    dropped, spaces collapsed and stripped, ASCII lower-cased, at most 64 characters."""
    if not isinstance(raw, str):
        return ""
    return _fold(raw[: MAX_QUERY_LENGTH * 4])[:MAX_QUERY_LENGTH]


def normalize_name(name: str) -> str:
    """The form names are matched in: as a query is normalised, without spaces or a cap."""
    return _fold(name).replace(" ", "")


@lru_cache(maxsize=1)
def _pypinyin() -> tuple[Callable[..., list[str]], dict]:
    """pypinyin with the overrides, loaded on first use: its dictionaries are some 200,000
    objects that every full garbage collection walks (~30 ms), and searching needs none."""
    from pypinyin import Style, lazy_pinyin, load_phrases_dict, load_single_dict
    from pypinyin.constants import PHRASES_DICT

    load_single_dict({ord(ch): readings for ch, readings in _SINGLE_OVERRIDES.items()})
    load_phrases_dict(
        {
            phrase: [[syllable] for syllable in reading.split()]
            for phrase, reading in _PHRASE_OVERRIDES.items()
        }
    )

    def convert(piece: str) -> list[str]:
        return lazy_pinyin(piece, style=Style.NORMAL, errors=lambda chunk: "\0" + chunk)

    return convert, PHRASES_DICT


@lru_cache(maxsize=65_536)
def _convert(piece: str) -> tuple[str, str]:
    """(pinyin, initials) of a piece; letters and digits in it are kept, the rest dropped."""
    pinyin, initials = [], []
    for item in _pypinyin()[0](piece):
        if item.startswith("\0"):
            latin = "".join(_LATIN.findall(item[1:].translate(_ASCII_UPPER)))
            pinyin.append(latin)
            initials.append(latin)
        elif item:
            pinyin.append(item)
            initials.append(item[0])
    return "".join(pinyin), "".join(initials)


def _pieces(name: str) -> tuple[list[str], bool]:
    """Cut after administrative suffixes; also say whether a known phrase spans a cut."""
    phrases = _pypinyin()[1]
    pieces, start, straddled = [], 0, False
    for i in range(len(name) - 1):
        if name[i] in _ADMIN_SUFFIXES and is_cjk(name[i + 1]):
            pieces.append(name[start : i + 1])
            start = i + 1
            cut = i + 1
            straddled = straddled or any(
                name[a : a + size] in phrases
                for size in (2, 3, 4)
                for a in range(max(cut - size + 1, 0), cut)
                if a + size <= len(name)
            )
    pieces.append(name[start:])
    return pieces, straddled


def pinyin_variants(name: str) -> list[tuple[str, str]]:
    """Every (pinyin, initials) reading indexed for ``name``, the preferred one first."""
    folded = normalize_name(name)
    pieces, straddled = _pieces(folded)
    converted = [_convert(piece) for piece in pieces]
    first = ("".join(p for p, _ in converted), "".join(i for _, i in converted))
    if not straddled:
        return [first]
    whole = _convert(folded)
    return [first] if whole == first else [first, whole]


def pinyin_forms(text: str) -> tuple[str, str]:
    """(full pinyin without tones or spaces, initials), lower-case: 张家口 → zhangjiakou, zjk."""
    return pinyin_variants(text)[0]


# --- tokens -------------------------------------------------------------------------------


_HEX: dict[str, str] = {}


def _hex(ch: str) -> str:
    code = _HEX.get(ch)
    if code is None:
        code = _HEX[ch] = f"{ord(ch):06x}"
    return code


def hex_gram(gram: str) -> str:
    return "".join(map(_hex, gram))


def text_tokens(norm: str, *, code: bool = False) -> set[str]:
    """Name tokens: prefixes, characters and pairs; for a credit code prefixes and triples."""
    codes = list(map(_hex, norm))
    tokens = {"p" + "".join(codes[:1]), "p" + "".join(codes[:2])} if codes else set()
    if code:
        tokens.update("c" + norm[i : i + 3] for i in range(len(norm) - 2))
    else:
        tokens.update("h" + c for c in codes)
        tokens.update("h" + a + b for a, b in zip(codes, codes[1:], strict=False))
    return tokens


def latin_tokens(pinyin: str, initials: str) -> set[str]:
    tokens = {"q" + pinyin[:1], "q" + pinyin[:2], "q" + initials[:2]}
    tokens.update(("e" + pinyin, "e" + initials))
    tokens.update("l" + ch for ch in initials)
    tokens.update("l" + initials[i : i + 2] for i in range(len(initials) - 1))
    tokens.update("y" + pinyin[i : i + 3] for i in range(len(pinyin) - 2))
    tokens.discard("q")
    tokens.discard("e")
    return tokens


def row_tokens(row: dict) -> str:
    """The FTS document of one ``unit_search_name`` row (a dict of its columns)."""
    tokens = text_tokens(row["norm"], code=row["match_kind"] == "code")
    if row["pinyin"]:
        tokens |= latin_tokens(row["pinyin"], row["initials"])
    tokens.update("g" + region for region in row["region_path"].split("/"))
    return " ".join(tokens)  # any order: detail=none keeps no positions


def rank_key(length: int, unit_id: int, seq: int) -> int:
    return (length << LENGTH_SHIFT) | (unit_id << UNIT_SHIFT) | seq


# --- rows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _UnitNames:
    unit_id: int
    region_id: int
    full_name: str
    short_name: str
    credit_code: str
    aliases: tuple[str, ...]


def _name_rows(unit: _UnitNames, region_path: str) -> Iterator[dict]:
    variants: list[tuple[str, str]] = [("short", unit.short_name), ("full", unit.full_name)]
    variants += [("alias", alias) for alias in unit.aliases]
    seen: set[str] = set()
    seq = 0
    for kind, name in variants:
        norm = normalize_name(name)[:256]  # the column's width: NFKC can lengthen a name
        if not norm or norm in seen or seq >= MAX_NAMES_PER_UNIT - 3:
            continue
        seen.add(norm)
        # A second reading (市长 in 张家口市长城区) is a second row: same name, same rank.
        for pinyin, initials in pinyin_variants(name):
            yield {
                "id": rank_key(len(norm), unit.unit_id, seq),
                "unit_id": unit.unit_id,
                "region_id": unit.region_id,
                "region_path": region_path,
                "match_kind": kind,
                "text": name,
                "norm": norm,
                "pinyin": pinyin[:768],
                "initials": initials[:256],
                "length": len(norm),
            }
            seq += 1
    code = normalize_name(unit.credit_code or "")
    if code:
        yield {
            "id": rank_key(len(code), unit.unit_id, MAX_NAMES_PER_UNIT - 1),
            "unit_id": unit.unit_id,
            "region_id": unit.region_id,
            "region_path": region_path,
            "match_kind": "code",
            "text": unit.credit_code,
            "norm": code,
            "pinyin": "",
            "initials": "",
            "length": len(code),
        }


def _region_paths(connection: Connection | Session) -> dict[int, str]:
    parents = dict(connection.execute(select(Region.id, Region.parent_id)).all())
    paths: dict[int, str] = {}
    for region_id in parents:
        chain, current, guard = [], region_id, 0
        while current is not None and guard < 64:
            chain.append(str(current))
            current, guard = parents.get(current), guard + 1
        paths[region_id] = "/".join(chain)
    return paths


def _live_units(connection: Connection | Session, unit_ids: Sequence[int] | None) -> list:
    units = select(
        Unit.id, Unit.region_id, Unit.full_name, Unit.short_name, Unit.credit_code
    ).where(Unit.abolished_on.is_(None))
    aliases = (
        select(UnitAlias.unit_id, UnitAlias.name)
        .join(Unit, Unit.id == UnitAlias.unit_id)
        .where(Unit.abolished_on.is_(None))
        .order_by(UnitAlias.unit_id, UnitAlias.id)
    )
    if unit_ids is not None:
        units = units.where(Unit.id.in_(unit_ids))
        aliases = aliases.where(UnitAlias.unit_id.in_(unit_ids))
    by_unit: dict[int, list[str]] = {}
    for unit_id, name in connection.execute(aliases):
        by_unit.setdefault(unit_id, []).append(name)
    return [
        _UnitNames(uid, rid, full, short, code, tuple(by_unit.get(uid, ())))
        for uid, rid, full, short, code in connection.execute(units.order_by(Unit.id))
    ]


def _chunks(rows: Iterable[dict], size: int = CHUNK_ROWS) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(connection: Connection, rows: Iterable[dict]) -> int:
    count = 0
    sqlite = connection.dialect.name == "sqlite"
    for chunk in _chunks(rows):
        connection.execute(UnitSearchName.__table__.insert(), chunk)
        if sqlite:
            connection.exec_driver_sql(_FTS_INSERT, [(row["id"], row_tokens(row)) for row in chunk])
        count += len(chunk)
    return count


def rebuild_search_index(connection: Connection) -> int:
    """Index every live unit from scratch (seeding, import); returns the rows written.

    Runs inside the caller's transaction and does not commit."""
    connection.execute(delete(UnitSearchName))
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql(_FTS_DELETE_ALL)
        connection.exec_driver_sql(_FTS_CONFIG, _BULK_SETTINGS)
    paths = _region_paths(connection)
    rows = [
        row
        for unit in _live_units(connection, None)
        for row in _name_rows(unit, paths[unit.region_id])
    ]
    # In rank order: PostgreSQL's heap then follows its primary key, so reading in rank order
    # (as every search does) reads pages in sequence; SQLite's table is ordered by it anyway.
    rows.sort(key=lambda row: row["id"])
    count = _insert(connection, rows)
    if sqlite:
        connection.exec_driver_sql(_FTS_OPTIMIZE)
        connection.exec_driver_sql(_FTS_CONFIG, _DEFAULT_SETTINGS)
    else:
        connection.exec_driver_sql("ANALYZE unit_search_name")
    return count


def reindex_units(session: Session, unit_ids: Sequence[int]) -> None:
    """Re-index these units after a change to a name, alias, code, region or abolition.

    Runs in the session's transaction; the caller commits with its own change."""
    ids = sorted({int(unit_id) for unit_id in unit_ids})
    if not ids:
        return
    table = UnitSearchName.__table__
    connection = session.connection()
    indexed = select(table).where(table.c.unit_id.in_(ids))
    old = [row._asdict() for row in connection.execute(indexed)]
    if old and connection.dialect.name == "sqlite":
        connection.exec_driver_sql(_FTS_DELETE, [(row["id"], row_tokens(row)) for row in old])
    connection.execute(delete(table).where(table.c.unit_id.in_(ids)))
    paths = _region_paths(connection)
    units = _live_units(connection, ids)
    _insert(connection, (row for unit in units for row in _name_rows(unit, paths[unit.region_id])))
