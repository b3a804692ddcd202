"""audit mac

A keyed MAC on each audit event (HMAC-SHA256 of its hash under a key kept outside the
database), so a chain recomputed by someone who can write the database no longer
verifies. Existing events keep NULL: they verify as "unanchored", and the first event
written with the key covers them through its previous-hash link.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("mac", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("mac")
