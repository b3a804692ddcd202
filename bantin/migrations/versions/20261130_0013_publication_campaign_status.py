"""publication campaign/status index

The desk's campaign list and page count each campaign's publications by state; over a
million rows that walked the natural-key index and read every row for its status. This
index answers the count from the index alone.

Revision ID: 0013
Revises: 0008
Create Date: 2026-11-30 00:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_publication_campaign_status", "publication", ["campaign_id", "status"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_publication_campaign_status", table_name="publication")
