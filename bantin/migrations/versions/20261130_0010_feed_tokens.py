"""feed tokens for the loudspeaker feeds and day sheets

`feed_token`: hashed, revocable read tokens per unit (or unit group) that the Atom
feed, the day sheet and the recordings under /loa require (issue 10, item 3).

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-30 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bantin.core.db

revision = "0010"
down_revision = "0013"
branch_labels = None
depends_on = None

UTC = bantin.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "feed_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audience_kind", sa.String(length=8), nullable=False),
        sa.Column("audience_key", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("last_used_at", UTC, nullable=True),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.Column("revoked_by", sa.String(length=128), nullable=True),
        sa.CheckConstraint(
            "audience_kind IN ('don-vi', 'nhom')", name=op.f("ck_feed_token_audience_kind_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_feed_token_token_hash")),
    )
    with op.batch_alter_table("feed_token", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feed_token_audience", ["audience_kind", "audience_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("feed_token", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_token_audience")
    op.drop_table("feed_token")
