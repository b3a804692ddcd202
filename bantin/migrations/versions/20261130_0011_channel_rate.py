"""channel_rate: rate limits and holds shared by every runner

Revision ID: 0011
Revises: 0008
Create Date: 2026-11-30 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_rate",
        sa.Column("channel", sa.String(length=128), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated", sa.Float(), nullable=False),
        sa.Column("paused_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_channel_rate")),
    )


def downgrade() -> None:
    op.drop_table("channel_rate")
