"""A year and more of planned publications for the start-up benchmark.

The database is set up the way an operator would (bantin's library: migrate, plan, the demo
outbox channels, the bundled example campaigns applied to a 35-day horizon), then the
applied weeks are repeated forward with raw executemany until the table holds `total`
rows, as after a long `campaign apply --horizon` (an ORM insert of 1,000,000 rows would take
many minutes). Built once per size and day into benchmarks/.cache/ (git-ignored) and copied
for each measurement, since `bantin run` and a claim change rows.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from reports_data import STAMP

from bantin.campaigns.service import apply_files
from bantin.channels.service import add_channel
from bantin.cli.runtime import DEMO_CHANNELS
from bantin.core.db import Database
from bantin.migrate import upgrade
from bantin.plan.loader import DATA, load_plan

WEEK = timedelta(days=7)


def _apply_examples(path: Path, now: datetime) -> None:
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    with db.session() as s:
        load_plan(s, now, actor="bench")
        for name, url, agency in DEMO_CHANNELS:
            add_channel(s, name, url, agency, now, "bench", replace=True, home=path.parent)
    examples = sorted((DATA / "campaigns").glob("*.yaml"))
    apply_files(db, examples, now, timedelta(days=35), "bench", path.parent)
    db.engine.dispose()


def build(path: Path, total: int, first: date) -> None:
    """Create the database at `path` with about `total` planned publications from `first`."""
    now = datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(hours=12)
    _apply_examples(path, now)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    cur = conn.execute("SELECT * FROM publication ORDER BY due_at")
    cols = [d[0] for d in cur.description]
    applied = cur.fetchall()
    if not applied:
        raise RuntimeError("the bundled examples made no publications to repeat")
    at, key, pid = cols.index("due_at"), cols.index("idempotency_key"), cols.index("id")
    start = datetime.strptime(applied[0][at], STAMP)
    week = [r for r in applied if datetime.strptime(r[at], STAMP) < start + WEEK]
    last = datetime.strptime(applied[-1][at], STAMP)
    shift, made, batch = (last - start) // WEEK + 1, len(applied), []
    insert = f"INSERT INTO publication ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    while made < total:
        for row in week[: total - made]:
            new = list(row)
            new[pid] = None
            new[at] = (datetime.strptime(row[at], STAMP) + shift * WEEK).strftime(STAMP)
            new[key] = f"bench{made:059x}"
            batch.append(new)
            made += 1
        shift += 1
        if len(batch) >= 100_000:
            conn.executemany(insert, batch)
            batch = []
    conn.executemany(insert, batch)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def cached(cache: Path, total: int, first: date) -> Path:
    """The cached database for this size and first day, built when missing (older ones of
    the same size are removed: their rows would be due by now)."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"year-{total}-{first:%Y%m%d}.db"
    if not path.exists():
        for old in cache.glob(f"year-{total}-*.db"):
            old.unlink()
        tmp = path.with_suffix(".part")
        tmp.unlink(missing_ok=True)
        build(tmp, total, first)
        tmp.rename(path)
    return path


def copy_home(db: Path, home: Path) -> Path:
    """A BANTIN_HOME holding a copy of `db` as bantin.db; returns the home."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(db, home / "bantin.db")
    return home


def due_at(db: Path, index: int) -> datetime:
    """The due time of the `index`-th row in due order (to make half of them due)."""
    conn = sqlite3.connect(db)
    try:
        row = conn.execute(
            "SELECT due_at FROM publication ORDER BY due_at LIMIT 1 OFFSET ?", (index,)
        ).fetchone()
    finally:
        conn.close()
    return datetime.strptime(row[0], STAMP).replace(tzinfo=UTC)
