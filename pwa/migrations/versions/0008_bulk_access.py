"""bulk access: personnel access records per account and person, and the per-account
guard row that serialises counting and holds a block

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 14:34:00.394086
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "personnel_access",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("direct_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_personnel_access_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "person_id", name=op.f("pk_personnel_access")),
    )
    with op.batch_alter_table("personnel_access", schema=None) as batch_op:
        batch_op.create_index(
            "ix_personnel_access_account_time", ["account_id", "read_at"], unique=False
        )

    op.create_table(
        "personnel_guard",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("window_count", sa.Integer(), nullable=False),
        sa.Column("day_count", sa.Integer(), nullable=False),
        sa.Column("run_length", sa.Integer(), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_personnel_guard_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lifted_by_id"],
            ["account.id"],
            name=op.f("fk_personnel_guard_lifted_by_id_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_personnel_guard")),
    )


def downgrade() -> None:
    op.drop_table("personnel_guard")
    with op.batch_alter_table("personnel_access", schema=None) as batch_op:
        batch_op.drop_index("ix_personnel_access_account_time")

    op.drop_table("personnel_access")
