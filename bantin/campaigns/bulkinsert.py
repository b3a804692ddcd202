"""Insert many publication rows at once, skipping those that exist.

Split from `materialise` so each stays small; the natural key is unique, so an insert
that meets an existing row skips it and counts nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bantin.campaigns.materialise_plan import Key
from bantin.campaigns.spec import CampaignSpec
from bantin.core.models import Publication

CHUNK = 5000  # rows per executemany


def idempotency_key(
    campaign_id: str, channel: str, unit_code: str | None, due_at: datetime, due_iso: str = ""
) -> str:
    """Stable across re-applies and restarts: the same output always has the same key.
    (`due_iso` lets the bulk insert format each of a few hundred due times once.)"""
    raw = f"{campaign_id}|{channel}|{unit_code or ''}|{due_iso or due_at.isoformat()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Plan:
    """What one materialisation needs of its campaign, read once, used outside sessions."""

    id: str
    spec: CampaignSpec
    source: str
    agency: str
    task: str
    priority: str
    content_hash: str
    needs_approval: bool
    units: list[str | None]


INSERT_COLUMNS = (
    "campaign_id",
    "channel_name",
    "unit_code",
    "agency_code",
    "task_code",
    "due_at",
    "priority",
    "status",
    "idempotency_key",
    "needs_approval",
    "attempts",
    "updated_at",
)


def bulk_insert(
    session: Session,
    campaign: Plan,
    keys: list[Key],
    needs_approval: bool,
    now: datetime,
) -> int:
    """Insert new rows, skipping any that already exist (the natural key is unique);
    returns how many were inserted.

    On SQLite the rows go straight to the driver's executemany: a year of examples is
    ~10^5 rows, and SQLAlchemy's per-row parameter processing would cost more than the
    insert itself. Values still pass through the column types' own bind processors,
    once per distinct value (there are only a few hundred distinct due times).
    """
    if not keys:
        return 0
    if session.connection().dialect.name != "sqlite":
        return _insert_portable(session, campaign, keys, needs_approval, now)
    return _insert_sqlite(session, campaign, keys, needs_approval, now)


def _values(
    campaign: Plan, keys: list[Key], due: dict[datetime, Any], approval: Any, updated: Any
) -> list[tuple[Any, ...]]:
    """One tuple per row in INSERT_COLUMNS order; `due` maps each due time to its bound
    value and its ISO text is formatted once per distinct time."""
    iso = {t: t.isoformat() for t in due}
    c = campaign
    return [
        (
            c.id,
            ch,
            u,
            c.agency,
            c.task,
            due[t],
            c.priority,
            "planned",
            idempotency_key(c.id, ch, u, t, iso[t]),
            approval,
            0,
            updated,
        )
        for (ch, u, t) in keys
    ]


def _insert_portable(
    session: Session, campaign: Plan, keys: list[Key], needs_approval: bool, now: datetime
) -> int:
    """PostgreSQL and others: SQLAlchemy's insert, skipping conflicts, counted by RETURNING."""
    due = {t: t for t in {k[2] for k in keys}}
    values = _values(campaign, keys, due, needs_approval, now)
    rows = [dict(zip(INSERT_COLUMNS, v, strict=True)) for v in values]
    stmt = _insert(session).returning(Publication.id)
    return sum(
        len(session.execute(stmt, rows[i : i + CHUNK]).all()) for i in range(0, len(rows), CHUNK)
    )


def _insert_sqlite(
    session: Session, campaign: Plan, keys: list[Key], needs_approval: bool, now: datetime
) -> int:
    """SQLite: the driver's executemany with INSERT OR IGNORE, values bound once each."""
    bind = session.connection()
    table = cast(Table, Publication.__table__)
    dialect = bind.dialect

    def bound(col: str, value: Any) -> Any:
        proc = table.c[col].type.dialect_impl(dialect).bind_processor(dialect)
        return proc(value) if proc is not None and value is not None else value

    due = {t: bound("due_at", t) for t in {k[2] for k in keys}}
    updated, approval = bound("updated_at", now), bound("needs_approval", needs_approval)
    tuples = _values(campaign, keys, due, approval, updated)
    sql = (
        f"INSERT OR IGNORE INTO publication ({', '.join(INSERT_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(INSERT_COLUMNS))})"
    )
    return sum(
        bind.exec_driver_sql(sql, tuples[i : i + CHUNK]).rowcount
        for i in range(0, len(tuples), CHUNK)
    )


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    table = cast(Table, Publication.__table__)
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return insert(table)
