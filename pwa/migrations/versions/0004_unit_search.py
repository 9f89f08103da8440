"""unit search: name rows, FTS5 n-gram tokens (SQLite), pg_trgm GIN indexes (PostgreSQL)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 10:00:00.000000

The index is derived data: after upgrading a database that already holds units, run
``rebuild_search_index`` (the demo seed does) to fill it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TRGM_COLUMNS = ("norm", "pinyin", "initials")
GRAM_COLUMNS = ("norm", "initials")
# The 1- and 2-grams of a string (duplicates are harmless to @>). PL/pgSQL, because the
# plain SQL form (generate_series + array_agg) costs 4x more per row when PostgreSQL
# evaluates it as a filter instead of reading the index; COST 500 (5x the default) tells
# the planner so, which keeps it from walking the primary key through sparse matches.
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


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "unit_search_name",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("region_path", sa.String(length=64), nullable=False),
        sa.Column("match_kind", sa.String(length=8), nullable=False),
        sa.Column("text", sa.String(length=128), nullable=False),
        sa.Column("norm", sa.String(length=256), nullable=False),
        sa.Column("pinyin", sa.String(length=768), nullable=False),
        sa.Column("initials", sa.String(length=256), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "match_kind IN ('short', 'full', 'alias', 'code')",
            name=op.f("ck_unit_search_name_match_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_unit_search_name_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_search_name")),
    )
    with op.batch_alter_table("unit_search_name", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_search_name_unit_id"), ["unit_id"], unique=False)

    if dialect == "sqlite":
        # Contentless, rowids only: one ASCII token per n-gram (see pwa/domain/search_index).
        op.execute(
            "CREATE VIRTUAL TABLE unit_search_fts USING fts5("
            "tokens, tokenize='ascii', content='', detail='none', columnsize=0)"
        )
    elif dialect == "postgresql":
        # pg_trgm serves LIKE '%q%' from 3 characters; the gram arrays 1- and 2-character
        # substrings; B-trees equality and LIKE 'q%'; region_id lets scoped scans AND bitmaps.
        for name in TRGM_COLUMNS:
            op.execute(
                f"CREATE INDEX ix_unit_search_name_{name}_trgm ON unit_search_name "
                f"USING gin ({name} gin_trgm_ops)"
            )
        op.execute(GRAMS_FUNCTION)
        for name in GRAM_COLUMNS:
            op.execute(
                f"CREATE INDEX ix_unit_search_name_{name}_grams ON unit_search_name "
                f"USING gin (unit_search_grams({name}))"
            )
        for name in TRGM_COLUMNS:
            op.create_index(
                f"ix_unit_search_name_{name}_pattern",
                "unit_search_name",
                [name],
                postgresql_ops={name: "varchar_pattern_ops"},
            )
        op.create_index("ix_unit_search_name_region_id", "unit_search_name", ["region_id"])
        # A search is a short ordered read: parallel workers only add their start-up time.
        op.execute("ALTER TABLE unit_search_name SET (parallel_workers = 0)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE IF EXISTS unit_search_fts")
    elif dialect == "postgresql":
        op.drop_index("ix_unit_search_name_region_id", table_name="unit_search_name")
        for name in TRGM_COLUMNS:
            op.drop_index(f"ix_unit_search_name_{name}_pattern", table_name="unit_search_name")
        for name in GRAM_COLUMNS:
            op.execute(f"DROP INDEX IF EXISTS ix_unit_search_name_{name}_grams")
        op.execute("DROP FUNCTION IF EXISTS unit_search_grams(text)")
        for name in TRGM_COLUMNS:
            op.execute(f"DROP INDEX IF EXISTS ix_unit_search_name_{name}_trgm")
    with op.batch_alter_table("unit_search_name", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unit_search_name_unit_id"))

    op.drop_table("unit_search_name")
    # pg_trgm stays: other objects may have come to depend on it.
