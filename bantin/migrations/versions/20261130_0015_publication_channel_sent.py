"""publication channel/status/due index over sent rows

The channels page shows each channel's last success and last failure. Walking
ix_publication_status_due from the newest row stops at the channel's first match, but a
channel that never sent (or never failed) walked every published row of the others:
120 ms per channel at a million publications. This index answers each lookup with one
seek. It holds only published and failed rows, so planning (bulk inserts of planned rows)
never pays for it.

Revision ID: 0015
Revises: 0011
Create Date: 2026-11-30 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

SENT_SQL = "status = 'published' OR status = 'failed'"  # as bantin.core.models.SENT_SQL


def upgrade() -> None:
    op.create_index(
        "ix_publication_channel_sent",
        "publication",
        ["channel_name", "status", "due_at"],
        unique=False,
        sqlite_where=sa.text(SENT_SQL),
        postgresql_where=sa.text(SENT_SQL),
    )


def downgrade() -> None:
    op.drop_index("ix_publication_channel_sent", table_name="publication")
