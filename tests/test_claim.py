"""The claim reads rows in claim order through its index and moves them by primary key,
so it stays fast with a year of publications stored (benchmarks measure the time; these
tests pin the plans that make it fast)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from bantin.claim import SQLITE_RETRY_CLAIM
from bantin.core.db import Database
from bantin.core.models import Publication
from bantin.dispatch import SQLITE_UNSENT_CLAIM

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def plan(db: Database, sql: str, params: dict[str, object]) -> str:
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
    return " | ".join(str(r[-1]) for r in rows)


def test_the_unsent_claim_walks_the_claim_index_without_sorting(db: Database) -> None:
    sql = SQLITE_UNSENT_CLAIM.element.text  # type: ignore[attr-defined]
    sql = sql.replace(":now", "'2026-12-01 00:00:00.000000'").replace(":batch", "64")
    detail = plan(db, sql, {})
    assert "ix_publication_claim" in detail
    assert "TEMP B-TREE" not in detail


def test_the_retry_claim_reads_the_retry_index(db: Database) -> None:
    sql = SQLITE_RETRY_CLAIM.element.text  # type: ignore[attr-defined]
    sql = sql.replace(":now", "'2026-12-01 00:00:00.000000'").replace(":batch", "64")
    assert "ix_publication_retry_due" in plan(db, sql, {})


def test_moving_claimed_rows_fetches_them_by_primary_key(db: Database) -> None:
    """With `+status` SQLite cannot pick the (status, due_at) index over the ids."""
    from bantin.core.statemachine import _STATUS_NOT_INDEXED

    stmt = (
        update(Publication)
        .where(Publication.id.in_(list(range(1, 65))), _STATUS_NOT_INDEXED.in_(["planned"]))
        .values(status="claimed")
    )
    compiled = stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    detail = plan(db, str(compiled), {})
    assert "PRIMARY KEY" in detail and "ix_publication_status_due" not in detail
