"""`bantin schedule` on SQLite through the standard library's sqlite3, without SQLAlchemy.

Why: importing SQLAlchemy and the models costs 0.3-0.5 s of CPU before the first query,
while the listing itself takes 2 ms even with a million publications stored; issue 11
asks `schedule --limit 20` to answer in 0.3 s. This module reads what
`bantin.records.query.list_publications` reads, with the same SQL shape (the due-time
bound first, then only the rows up to it), and returns the same rows;
tests/records/test_sqlite_listing.py holds the two to the same output.

It reads in one deferred transaction (a snapshot that never takes the write lock, so a
running dispatcher is neither blocked nor blocking), and answers None for anything it
does not handle plainly — another dialect, a URL with options, a file not yet made by
`bantin init` — so the caller takes the SQLAlchemy path, which also says what is wrong.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bantin.core.fileperms import secure_dir, secure_file
from bantin.core.states import ALL as STATES
from bantin.records.filters import Filters, unknown

#: How SQLAlchemy stores a DateTime in SQLite; bound values must compare as text alike.
STAMP = "%Y-%m-%d %H:%M:%S.%f"
_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")

_COLUMNS = (
    "p.id, p.due_at, p.campaign_id, p.agency_code, p.task_code, p.channel_name, p.unit_code, "
    "unit.name, p.priority, p.status, p.status_reason, p.attempts, p.published_at, "
    "p.lateness_seconds, p.external_id, p.external_url, p.title, "
    "(SELECT count(*) FROM broadcast_receipt r WHERE r.publication_id = p.id)"
)
_LISTING = (
    f"SELECT {_COLUMNS} FROM publication p LEFT OUTER JOIN unit ON unit.code = p.unit_code "
    "WHERE {where} ORDER BY p.due_at, unit.sort_key, p.id{limit}"
)


def sqlite_file(url: str) -> Path | None:
    """The database file of a plain SQLite URL, or None for anything else (another
    dialect, memory, a `file:` URI, query options or escapes SQLAlchemy would decode)."""
    prefix = next((p for p in _PREFIXES if url.startswith(p)), None)
    if prefix is None:
        return None
    path = url[len(prefix) :]
    if not path or path == ":memory:" or path.startswith("file:") or any(c in path for c in "?%"):
        return None
    return Path(path)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime(STAMP)


def _utc(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _where(filters: Filters, alias: str = "") -> tuple[list[str], list[Any]]:
    """SQL conditions and their parameters, as `Filters.apply` narrows an ORM query."""
    terms: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("agency_code", filters.agency),
        ("task_code", filters.task),
        ("channel_name", filters.channel),
        ("unit_code", filters.unit),
        ("campaign_id", filters.campaign),
    ):
        if value:
            terms.append(f"{alias}{column} = ?")
            params.append(value)
    if filters.status:
        terms.append(f"{alias}status IN ({', '.join('?' * len(filters.status))})")
        params.extend(filters.status)
    if filters.start:
        terms.append(f"{alias}due_at >= ?")
        params.append(_stamp(filters.start))
    if filters.end:
        terms.append(f"{alias}due_at < ?")
        params.append(_stamp(filters.end))
    return terms, params


def _check(conn: sqlite3.Connection, filters: Filters) -> Filters:
    """`Filters.checked` over sqlite3: the same normalising and the same errors."""
    out = filters.normalised()
    for what, value, table, column in (
        ("agency", out.agency, "agency", "code"),
        ("channel", out.channel, "channel", "name"),
    ):
        if value is None:
            continue
        known = [r[0] for r in conn.execute(f"SELECT {column} FROM {table} ORDER BY {column}")]
        if value not in known:
            raise unknown(what, value, known)
    return out


def _due_bound(conn: sqlite3.Connection, filters: Filters, limit: int) -> str | None:
    """The stored due time of the `limit`-th matching row in due order (see
    `bantin.records.query._due_bound`: one index range per state, each stopping early)."""
    parts, params = [], []
    for state in filters.status or sorted(s.value for s in STATES):
        terms, args = _where(replace(filters, status=(state,)))
        parts.append(
            f"SELECT * FROM (SELECT due_at FROM publication WHERE {' AND '.join(terms)} "
            "ORDER BY due_at LIMIT ?)"
        )
        params.extend([*args, limit])
    sql = f"SELECT due_at FROM ({' UNION ALL '.join(parts)}) ORDER BY due_at LIMIT ?"
    firsts = conn.execute(sql, [*params, limit]).fetchall()
    return firsts[-1][0] if firsts else None


def _row(r: Sequence[Any]) -> dict[str, Any]:
    """One listed row, keyed exactly as `list_publications` keys it."""
    published = _utc(r[12])
    return {
        "id": r[0],
        "due_at": datetime.fromisoformat(r[1]).replace(tzinfo=UTC).isoformat(),
        "campaign": r[2],
        "agency": r[3],
        "task": r[4],
        "channel": r[5],
        "unit": r[6],
        "unit_name": r[7],
        "priority": r[8],
        "status": r[9],
        "reason": r[10],
        "attempts": r[11],
        "published_at": published.isoformat() if published else None,
        "lateness_seconds": r[13],
        "external_id": r[14],
        "external_url": r[15],
        "title": r[16],
        "receipts": r[17],
        "confirmed": r[17] > 0,
    }


def _list(conn: sqlite3.Connection, filters: Filters, limit: int | None) -> list[dict[str, Any]]:
    if limit:
        bound = _due_bound(conn, filters, limit)
        if bound is None:
            return []
        terms, params = _where(filters)
        inner = " AND ".join([*terms, "due_at <= ?"])
        where, tail = f"p.id IN (SELECT id FROM publication WHERE {inner})", " LIMIT ?"
        params += [bound, limit]
    else:
        terms, params = _where(filters, "p.")
        where, tail = " AND ".join(terms) or "1 = 1", ""
    rows = conn.execute(_LISTING.format(where=where, limit=tail), params)
    return [_row(r) for r in rows]


def list_publications(url: str, filters: Filters, limit: int | None) -> list[dict[str, Any]] | None:
    """The rows `query.list_publications` lists for `filters` (checked as
    `Filters.checked` checks them), or None when this is not a plain, initialised SQLite
    file: the caller then goes through SQLAlchemy."""
    path = sqlite_file(url)
    if path is None or not path.is_file():
        return None
    secure_dir(path.parent)  # as opening it through bantin.core.db does
    secure_file(path)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN")  # deferred: one snapshot, never the write lock
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if found is None:
            return None
        return _list(conn, _check(conn, filters), limit)
    finally:
        conn.close()
