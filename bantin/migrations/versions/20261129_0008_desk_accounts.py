"""desk accounts, API tokens, login failures, runner heartbeat

The web desk (issue 10): `user_account` and `user_scope` (who logs in, with what role and
units), `login_failure` (throttling), `api_token` (hashed bearer tokens per agency) and
`runner_heartbeat` (so `/healthz` sees the runner from another process).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bantin.core.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC = bantin.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("agency_code", sa.String(length=32), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("disabled_at", UTC, nullable=True),
        sa.Column("last_login_at", UTC, nullable=True),
        sa.CheckConstraint(
            "role IN ('editor', 'approver', 'culture', 'auditor', 'admin')",
            name=op.f("ck_user_account_role_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agency.code"], name=op.f("fk_user_account_agency_code_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
    )
    op.create_table(
        "user_scope",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_user_scope_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", "code", name=op.f("pk_user_scope")),
    )
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_failure_key"), ["key"], unique=False)
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("last_used_at", UTC, nullable=True),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.Column("revoked_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_code"], ["agency.code"], name=op.f("fk_api_token_agency_code_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_agency_code"), ["agency_code"], unique=False)
    op.create_table(
        "runner_heartbeat",
        sa.Column("runner", sa.String(length=128), nullable=False),
        sa.Column("beat_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("runner", name=op.f("pk_runner_heartbeat")),
    )


def downgrade() -> None:
    op.drop_table("runner_heartbeat")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_agency_code"))
    op.drop_table("api_token")
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failure_key"))
    op.drop_table("login_failure")
    op.drop_table("user_scope")
    op.drop_table("user_account")
