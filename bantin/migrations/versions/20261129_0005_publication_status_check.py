"""publication status check

Only the states of `bantin.core.states.PublicationState` may be stored in
`publication.status`: a CHECK constraint, so a typo in code or a hand-made UPDATE fails at
once instead of leaving a row no query ever finds again.

SQLite cannot add a constraint to a table; Alembic's batch mode copies the table, and the
copy would lose the expression-based indexes (the natural key's unique index, the report
indexes) because SQLite cannot reflect them. So their DDL is read from sqlite_master
before and run again after.

On PostgreSQL this revision also adds `agency.successor_code`'s foreign key: 0001 declared
it with `use_alter`, which `create_table` leaves to a later ALTER that never ran there
(SQLite made it inline). Found by comparing the migrated schema with the models.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: The vocabulary as of this revision (a migration must not change when the code does).
STATES = (
    "planned",
    "pending_approval",
    "approved",
    "claimed",
    "sending",
    "published",
    "retry_wait",
    "failed",
    "unknown",
    "missed",
    "cancelled",
)
CONDITION = f"status IN ({', '.join(repr(s) for s in STATES)})"
NAME = "status_valid"


def _sqlite_index_ddl(bind: sa.engine.Connection) -> list[tuple[str, str]]:
    rows = bind.execute(
        sa.text(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = 'publication' AND sql IS NOT NULL"
        )
    ).all()
    return [(name, sql) for name, sql in rows]


def _restore_indexes(bind: sa.engine.Connection, ddl: list[tuple[str, str]]) -> None:
    present = {name for (name,) in bind.execute(sa.text("SELECT name FROM sqlite_master"))}
    for name, sql in ddl:
        if name not in present:
            bind.execute(sa.text(sql))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.create_check_constraint(NAME, "publication", CONDITION)
        foreign_keys = sa.inspect(bind).get_foreign_keys("agency")
        if not any(fk["constrained_columns"] == ["successor_code"] for fk in foreign_keys):
            op.create_foreign_key(
                op.f("fk_agency_successor_code_agency"),
                "agency",
                "agency",
                ["successor_code"],
                ["code"],
                ondelete="SET NULL",
            )
        return
    ddl = _sqlite_index_ddl(bind)
    with op.batch_alter_table("publication", recreate="always") as batch:
        batch.create_check_constraint(NAME, CONDITION)
    _restore_indexes(bind, ddl)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(f"ck_publication_{NAME}", "publication", type_="check")
        return
    ddl = _sqlite_index_ddl(bind)
    with op.batch_alter_table("publication", recreate="always") as batch:
        batch.drop_constraint(f"ck_publication_{NAME}", type_="check")
    _restore_indexes(bind, ddl)
