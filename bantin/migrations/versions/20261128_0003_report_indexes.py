"""report indexes

Indexes that let the reports aggregate a year of a million publications in SQL without a
temporary sort: each starts with what the report filters or groups by, and the local month
("YYYY-MM" in Asia/Ho_Chi_Minh, UTC+7) is indexed as an expression so GROUP BY month
walks the index in order. See `bantin.records.reports.periods.local_month`, whose SQL
must stay identical to these expressions for SQLite to use them.

SQLite only. PostgreSQL groups with a hash aggregate and does not need them (and cannot
index to_char(), which is not immutable).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DUE_MONTH = "strftime('%Y-%m', due_at, '+25200 seconds')"
AIRED_MONTH = "strftime('%Y-%m', aired_at, '+25200 seconds')"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # Agency output and annual reports: one agency (and its predecessors), a year of months,
    # grouped by task, channel and state. Covering, so no table row is read.
    op.create_index(
        "ix_publication_report",
        "publication",
        [
            "agency_code",
            sa.text(DUE_MONTH),
            "task_code",
            "channel_name",
            "status",
            "lateness_seconds",
            "approved_at",
            "attempts",
        ],
    )
    # Coverage: units reached by a published bulletin. Partial, so materialising a year of
    # planned rows never touches it; a row enters it once, when it is published.
    op.create_index(
        "ix_publication_reach",
        "publication",
        [sa.text(DUE_MONTH), "unit_code", "campaign_id"],
        sqlite_where=sa.text("status = 'published' AND unit_code IS NOT NULL"),
    )
    op.create_index(
        "ix_broadcast_receipt_month_unit",
        "broadcast_receipt",
        [sa.text(AIRED_MONTH), "unit_code", "agency_code"],
    )
    op.create_index(
        "ix_broadcast_receipt_agency_month",
        "broadcast_receipt",
        ["agency_code", sa.text(AIRED_MONTH)],
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index("ix_broadcast_receipt_agency_month", table_name="broadcast_receipt")
    op.drop_index("ix_broadcast_receipt_month_unit", table_name="broadcast_receipt")
    op.drop_index("ix_publication_reach", table_name="publication")
    op.drop_index("ix_publication_report", table_name="publication")
