"""单位检索索引: one row per searchable name variant of a live unit.

The row id is a *rank key*, ``length << 40 | unit_id << 8 | seq``, so that reading matches
in id order reads them shortest name first, then by unit id — the order search ranks ties in.
On SQLite a contentless FTS5 table ``unit_search_fts`` holds n-gram tokens under the same
rowid; on PostgreSQL GIN indexes (``pg_trgm`` and 1–2-gram arrays, declared below for
PostgreSQL only) serve the predicates. ``pwa.domain.search_index`` fills both.

Migration 0004 creates all of it. The FTS table, the pg_trgm extension and the gram function
are not tables SQLAlchemy knows (TRUNCATE via ``Base.metadata`` must not reach them); DDL
events below create them too when a test builds a schema with ``metadata.create_all``.
"""

from __future__ import annotations

from sqlalchemy import DDL, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, event
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

# INTEGER PRIMARY KEY on SQLite makes the rank key the rowid itself (no second index).
RankKey = BigInteger().with_variant(Integer(), "sqlite")

FTS_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS unit_search_fts USING fts5("
    "tokens, tokenize='ascii', content='', detail='none', columnsize=0)"
)
# PostgreSQL answers 1- and 2-character substrings (which pg_trgm cannot) from GIN indexes on
# unit_search_grams(column), the array of its 1- and 2-grams. PL/pgSQL: the plain SQL form
# costs 4x more per row when evaluated as a filter; COST 500 tells the planner as much.
GRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION unit_search_grams(s text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 500 AS $$
DECLARE
  grams text[] := string_to_array(s, NULL);
BEGIN
  FOR i IN 1 .. length(s) - 1 LOOP
    grams := grams || substr(s, i, 2);
  END LOOP;
  RETURN grams;
END
$$
"""


def _postgresql_indexes() -> list[Index]:
    """GIN pg_trgm indexes for LIKE '%q%', gram indexes for 1–2 characters, B-trees for
    equality and LIKE 'q%', and region_id for scoped bitmap scans."""
    indexes = [
        Index(
            f"ix_unit_search_name_{name}_trgm",
            name,
            postgresql_using="gin",
            postgresql_ops={name: "gin_trgm_ops"},
        )
        for name in ("norm", "pinyin", "initials")
    ]
    indexes += [
        Index(
            f"ix_unit_search_name_{name}_grams",
            sql_text(f"unit_search_grams({name})"),
            postgresql_using="gin",
        )
        for name in ("norm", "initials")
    ]
    indexes += [
        Index(
            f"ix_unit_search_name_{name}_pattern",
            name,
            postgresql_ops={name: "varchar_pattern_ops"},
        )
        for name in ("norm", "pinyin", "initials")
    ]
    indexes.append(Index("ix_unit_search_name_region_id", "region_id"))
    return [index.ddl_if(dialect="postgresql") for index in indexes]


class UnitSearchName(Base):
    __tablename__ = "unit_search_name"
    __table_args__ = (
        CheckConstraint(
            "match_kind IN ('short', 'full', 'alias', 'code')", name="match_kind_known"
        ),
        *_postgresql_indexes(),
        # A search is a short ordered read: parallel workers only add their start-up time.
        {"postgresql_with": {"parallel_workers": 0}},
    )

    id: Mapped[int] = mapped_column(RankKey, primary_key=True, autoincrement=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    region_id: Mapped[int] = mapped_column(Integer)
    # The unit's region and its ancestors, "15/2/1": the scope tokens written to the FTS
    # table, kept so that a later delete can name exactly the tokens it inserted.
    region_path: Mapped[str] = mapped_column(String(64))
    match_kind: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(String(128))  # the name as shown
    norm: Mapped[str] = mapped_column(String(256))  # NFKC (which may lengthen), no spaces
    # One reading per row: a name pypinyin may read two ways gets a row for each.
    pinyin: Mapped[str] = mapped_column(String(768))  # "" for a credit code
    initials: Mapped[str] = mapped_column(String(256))
    length: Mapped[int] = mapped_column(Integer)


_table = UnitSearchName.__table__
event.listen(_table, "after_create", DDL(FTS_DDL).execute_if(dialect="sqlite"))
event.listen(
    _table, "after_drop", DDL("DROP TABLE IF EXISTS unit_search_fts").execute_if(dialect="sqlite")
)
event.listen(
    _table,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)
event.listen(_table, "before_create", DDL(GRAMS_FUNCTION).execute_if(dialect="postgresql"))
