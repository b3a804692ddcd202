"""unit tokens for web receipts

`receipt_token`: the hashed per-unit tokens that authenticate `POST /loa/receipts`
(issue 8, item 7). The token itself is never stored.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bantin.core.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "receipt_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", bantin.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("revoked_at", bantin.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_code"], ["unit.code"], name=op.f("fk_receipt_token_unit_code_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_receipt_token_token_hash")),
    )
    with op.batch_alter_table("receipt_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipt_token_unit_code"), ["unit_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("receipt_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipt_token_unit_code"))
    op.drop_table("receipt_token")
