"""The migrations build exactly the schema the models describe, and keep data."""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bantin.core.db import Base, Database
from bantin.core.states import PublicationState
from bantin.migrate import alembic_config, upgrade
from bantin.plan.loader import load_plan
from tests.conftest import T0


def schema_differences(db: Database) -> list[object]:
    """Alembic's autogenerate comparison: what a new migration would have to change."""
    with db.engine.connect() as conn, warnings.catch_warnings():
        # SQLite cannot reflect expression indexes; the check below covers them by name.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection")
        warnings.filterwarnings("ignore", "autogenerate skipping")
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = list(compare_metadata(context, Base.metadata))

    # An expression index reflects as text PostgreSQL has reformatted ("CASE priority WHEN
    # 'emergency'::text ..."), so autogenerate reports it removed and added under the same
    # name; that pair is not a difference (the index exists: test_claim_index_is_used).
    def named(kind: str) -> set[str]:
        return {d[1].name for d in diffs if isinstance(d, tuple) and d[0] == kind}

    same = named("remove_index") & named("add_index")
    return [
        d
        for d in diffs
        if not (
            isinstance(d, tuple) and d[0] in ("remove_index", "add_index") and d[1].name in same
        )
    ]


def test_migrations_produce_the_models_schema_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(db)
    assert schema_differences(db) == []
    db.dispose()


def test_a_status_outside_the_vocabulary_is_refused(db: Database) -> None:
    with pytest.raises(IntegrityError), db.session() as s:
        s.execute(text("UPDATE publication SET status = 'publised'"))
        s.execute(
            text(
                "INSERT INTO publication (campaign_id, channel_name, agency_code, task_code,"
                " due_at, priority, status, idempotency_key, needs_approval, attempts)"
                " VALUES ('c', 'ch', 'BAOVL', '1.1', '2026-12-01', 'normal', 'publised', 'k',"
                " 0, 0)"
            )
        )


def test_every_state_is_a_string_the_database_accepts() -> None:
    assert [str(s) for s in PublicationState] == [s.value for s in PublicationState]
    assert PublicationState("retry_wait") == "retry_wait"


def test_the_status_check_keeps_attempts_and_expression_indexes(tmp_path: Path) -> None:
    """SQLite adds a CHECK by copying the table; the copy must not cascade-delete the
    attempts that refer to it, nor lose the indexes SQLite cannot reflect."""
    path = tmp_path / "old.db"
    db = Database(f"sqlite:///{path}")
    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")  # the revision before the status check
    with db.session() as s:
        load_plan(s, T0, actor="test")
    db.dispose()
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            INSERT INTO channel (name, agency_code, kind, url, status, created_at)
            VALUES ('ch', 'BAOVL', 'outbox', 'outbox://x', 'ok', '2026-11-01 00:00:00');
            INSERT INTO campaign (id, title, task_code, agency_code, status, approval, priority,
                kind, spec, templates, source_path, content_hash, created_at, updated_at)
            VALUES ('c', 't', '1.1', 'BAOVL', 'active', 'none', 'normal', 'post', '{}', '{}',
                'c.yaml', 'h', '2026-11-01 00:00:00', '2026-11-01 00:00:00');
            INSERT INTO publication (id, campaign_id, channel_name, agency_code, task_code,
                due_at, priority, status, idempotency_key, needs_approval, attempts)
            VALUES (1, 'c', 'ch', 'BAOVL', '1.1', '2026-12-01 00:00:00', 'normal',
                'published', 'k1', 0, 1);
            INSERT INTO delivery_attempt (publication_id, number, runner, started_at, outcome)
            VALUES (1, 1, 'r', '2026-12-01 00:00:00', 'published');
            """
        )
        before = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM delivery_attempt").fetchone() == (1,)
        after = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert conn.execute("PRAGMA foreign_keys").fetchone() == (0,)  # a fresh connection
    assert before <= after
