"""audit chain: seq, prev_hash and hash on audit_event; signed checkpoints

Existing audit rows are chained in id order. account_id loses its foreign key (see
pwa/models/audit.py: an audit insert must not lock other tables). Both audit tables are
append-only (triggers; on PostgreSQL production also grants INSERT and SELECT only).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 15:02:11.118204
"""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from alembic import op

from pwa.domain.audit_chain import GENESIS, Content, link_hash
from pwa.schema import create_append_only_guard, drop_append_only_guard

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_FIELDS = (
    "occurred_at",
    "account_id",
    "role",
    "ip",
    "event",
    "object_type",
    "object_id",
    "outcome",
    "request_id",
    "detail",
)


def _chain_existing_rows() -> None:
    events = sa.table(
        "audit_event",
        sa.column("id", sa.Integer()),
        sa.column("occurred_at", sa.DateTime(timezone=True)),
        sa.column("account_id", sa.Integer()),
        *(sa.column(name, sa.Text()) for name in _FIELDS[2:]),
        sa.column("seq", sa.BigInteger()),
        sa.column("prev_hash", sa.String(64)),
        sa.column("hash", sa.String(64)),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(events.c.id, *(events.c[name] for name in _FIELDS)).order_by(events.c.id)
    ).all()
    prev, updates = GENESIS, []
    for seq, row in enumerate(rows, start=1):
        values = dict(row._mapping)
        row_id = values.pop("id")
        moment = values["occurred_at"]
        values["occurred_at"] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        digest = link_hash(prev, Content.fitted(seq=seq, **values))
        updates.append({"row_id": row_id, "seq": seq, "prev_hash": prev, "hash": digest})
        prev = digest
    if updates:
        bind.execute(
            events.update()
            .where(events.c.id == sa.bindparam("row_id"))
            .values(
                seq=sa.bindparam("seq"),
                prev_hash=sa.bindparam("prev_hash"),
                hash=sa.bindparam("hash"),
            ),
            updates,
        )


def upgrade() -> None:
    drop_append_only_guard("audit_event")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_rows()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint("fk_audit_event_account_id_account", type_="foreignkey")
        batch_op.create_index("ix_audit_event_seq", ["seq"], unique=True)
        batch_op.create_index("ix_audit_event_time", ["occurred_at"], unique=False)
    create_append_only_guard("audit_event")

    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    with op.batch_alter_table("audit_checkpoint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_checkpoint_seq"), ["seq"], unique=False)
    create_append_only_guard("audit_checkpoint")


def downgrade() -> None:
    drop_append_only_guard("audit_checkpoint")
    with op.batch_alter_table("audit_checkpoint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_checkpoint_seq"))
    op.drop_table("audit_checkpoint")

    drop_append_only_guard("audit_event")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_time")
        batch_op.drop_index("ix_audit_event_seq")
        batch_op.create_foreign_key(
            "fk_audit_event_account_id_account", "account", ["account_id"], ["id"]
        )
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    create_append_only_guard("audit_event")
