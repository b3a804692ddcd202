"""claim index

The dispatcher's claim takes the next batch of due rows, emergencies first, then by due
time. Over a million rows the old query sorted every due row (461 ms for 64 rows, issue
11); this partial expression index lets it walk rows in claim order and stop after the
batch (about 0.03 ms). The expression and the condition must be spelled exactly as the
query spells them (`bantin.core.models.CLAIM_RANK_SQL`, `UNSENT_SQL`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: As of this revision (a migration must not change when the code does).
RANK = "(CASE priority WHEN 'emergency' THEN 0 WHEN 'priority' THEN 1 ELSE 2 END)"
UNSENT = "status IN ('planned', 'pending_approval', 'approved')"


def upgrade() -> None:
    op.create_index(
        "ix_publication_claim",
        "publication",
        [sa.text(RANK), "due_at", "id"],
        sqlite_where=sa.text(UNSENT),
        postgresql_where=sa.text(UNSENT),
    )


def downgrade() -> None:
    op.drop_index("ix_publication_claim", table_name="publication")
