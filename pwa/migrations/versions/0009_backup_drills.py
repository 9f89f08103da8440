"""backup drills: each create → verify → restore → compare run, kept for assessors

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 14:33:17.953952
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backup_drill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("operator", sa.String(length=255), nullable=False),
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("file", sa.String(length=1024), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_drill")),
    )
    with op.batch_alter_table("backup_drill", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_backup_drill_started_at"), ["started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("backup_drill", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_backup_drill_started_at"))

    op.drop_table("backup_drill")
