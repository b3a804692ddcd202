"""Synthetic records for the report benchmark: 1,000,000 publications on SQLite, with their
delivery attempts and broadcast receipts, written with raw executemany (an ORM insert of
this many rows would take minutes and measure nothing the reports do).

Two years (2025–2026) of a province that looks like Vĩnh Long after its reorganisation:
the DIC's page passes from STTTT to SKHCN on 1/3/2025, the loudspeaker bulletins from the
district committees (DISTRICTS) to the commune committees (COMMUNES) on 1/7/2025, so the
roll-up to successors is exercised on real volumes.
"""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bantin.core.db import Database
from bantin.migrate import upgrade
from bantin.plan.loader import load_plan

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST_DAY = date(2025, 1, 1)
LAST_DAY = date(2026, 12, 31)
NOW = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)  # 07:00 on 20/11/2026 in Vĩnh Long
RADIO_SLOTS = [(5, 0), (5, 30), (6, 0), (6, 30), (11, 0), (11, 30), (16, 30), (17, 0)]
RADIO_SLOTS += [(17, 30), (18, 0), (18, 30)]
STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a DateTime in SQLite


@dataclass(frozen=True)
class Page:
    campaign: str
    channel: str
    task: str
    kind: str
    hours: tuple[int, ...]


PAGES = [
    Page("trang-so", "trang-so", "1.1", "post", tuple(range(6, 22))),
    Page("bao-portal", "baovl-portal", "1.2", "article", (7, 10, 14, 19)),
    Page("bao-fanpage", "baovl-fanpage", "1.1", "post", tuple(range(8, 20))),
    Page("thvl-fanpage", "thvl-fanpage", "1.4", "post", (6, 9, 12, 15)),
]
PAGE_OWNER = {
    "trang-so": None,
    "bao-portal": "BAOVL",
    "bao-fanpage": "BAOVL",
    "thvl-fanpage": "THVL",
}


def _dic(day: date) -> str:
    return "STTTT" if day < date(2025, 3, 1) else "SKHCN"


def _radio_owner(day: date) -> str:
    return "DISTRICTS" if day < date(2025, 7, 1) else "COMMUNES"


def _stamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime(STAMP)


def _setup(db_path: Path) -> list[str]:
    db = Database(f"sqlite:///{db_path}")
    upgrade(db)
    with db.session() as s:
        load_plan(s, NOW, actor="bench")
    db.dispose()
    conn = sqlite3.connect(db_path)
    units = [r[0] for r in conn.execute("SELECT code FROM unit ORDER BY code")]
    created = _stamp(NOW)
    channels = [
        ("trang-so-sttt", "STTTT"),
        ("trang-so", "SKHCN"),
        ("baovl-portal", "BAOVL"),
        ("baovl-fanpage", "BAOVL"),
        ("thvl-fanpage", "THVL"),
        ("loa-huyen", "DISTRICTS"),
        ("loa-xa", "COMMUNES"),
    ]
    conn.executemany(
        "INSERT INTO channel (name, agency_code, kind, url, status, created_at) "
        "VALUES (?, ?, 'outbox', ?, 'ok', ?)",
        [(n, a, f"outbox://outbox/{n}", created) for n, a in channels],
    )
    campaigns = [
        ("trang-so-sttt", "1.1", "STTTT", "post"),
        ("trang-so", "1.1", "SKHCN", "post"),
        ("bao-portal", "1.2", "BAOVL", "article"),
        ("bao-fanpage", "1.1", "BAOVL", "post"),
        ("thvl-fanpage", "1.4", "THVL", "post"),
        ("loa-huyen", "1.3", "DISTRICTS", "radio_script"),
        ("loa-xa", "1.3", "COMMUNES", "radio_script"),
    ]
    conn.executemany(
        "INSERT INTO campaign (id, title, task_code, agency_code, status, approval, priority, "
        "kind, spec, templates, source_path, content_hash, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'active', 'none', 'normal', ?, ?, '{}', 'bench', 'x', ?, ?)",
        [
            (cid, cid, task, agency, kind, json.dumps({"period": {}}), created, created)
            for cid, task, agency, kind in campaigns
        ],
    )
    conn.commit()
    conn.close()
    return units


def _outcome(rng: random.Random, due: datetime) -> tuple[str, float | None]:
    if due >= NOW:
        return "planned", None
    x = rng.random()
    if x < 0.93:
        late = rng.uniform(60, 3600) if rng.random() < 0.05 else rng.uniform(0, 30)
        return "published", late
    if x < 0.96:
        return "missed", None
    if x < 0.98:
        return "failed", None
    if x < 0.985:
        return "unknown", None
    return "cancelled", None


def build(db_path: Path, total: int = 1_000_000, seed: int = 618) -> dict[str, int]:
    """Create the database at `db_path` and fill it; returns the row counts."""
    units = _setup(db_path)
    rng = random.Random(seed)
    pubs: list[tuple[object, ...]] = []
    attempts: list[tuple[object, ...]] = []
    receipts: list[tuple[object, ...]] = []
    day = FIRST_DAY
    while len(pubs) < total and day <= LAST_DAY:
        slots: list[tuple[str, str, str | None, str, str, datetime]] = []
        for page in PAGES:
            owner = PAGE_OWNER[page.campaign] or _dic(day)
            campaign = "trang-so-sttt" if owner == "STTTT" else page.campaign
            channel = "trang-so-sttt" if owner == "STTTT" else page.channel
            for h in page.hours:
                due = datetime(day.year, day.month, day.day, h, tzinfo=TZ)
                slots.append((campaign, channel, None, owner, page.task, due))
        radio = _radio_owner(day)
        radio_id = "loa-huyen" if radio == "DISTRICTS" else "loa-xa"
        for h, m in RADIO_SLOTS:
            due = datetime(day.year, day.month, day.day, h, m, tzinfo=TZ)
            for unit in units:
                slots.append((radio_id, radio_id, unit, radio, "1.3", due))
        for campaign, channel, unit, agency, task, due in slots:
            if len(pubs) >= total:
                break
            pid = len(pubs) + 1
            status, late = _outcome(rng, due)
            published = due + timedelta(seconds=late) if late is not None else None
            approved = _stamp(due - timedelta(hours=20)) if campaign == "bao-portal" else None
            n_attempts = {"published": 1, "failed": 3, "unknown": 1}.get(status, 0)
            pubs.append(
                (
                    pid,
                    campaign,
                    channel,
                    unit,
                    agency,
                    task,
                    _stamp(due),
                    status,
                    f"{pid:064x}",
                    n_attempts,
                    approved,
                    _stamp(published) if published else None,
                    late,
                )
            )
            for number in range(1, n_attempts + 1):
                outcome = status if number == n_attempts else "retry_wait"
                started = _stamp(due + timedelta(seconds=number))
                attempts.append((pid, number, "bench", started, started, outcome))
            if status == "published" and unit is not None and rng.random() < 0.6:
                aired = _stamp(published + timedelta(minutes=1))  # type: ignore[operator]
                receipts.append((pid, unit, agency, aired, "van-hoa", "web", aired))
        day += timedelta(days=1)

    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.executemany(
        "INSERT INTO publication (id, campaign_id, channel_name, unit_code, agency_code, "
        "task_code, due_at, priority, status, idempotency_key, needs_approval, attempts, "
        "approved_at, published_at, lateness_seconds) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'normal', ?, ?, 0, ?, ?, ?, ?)",
        pubs,
    )
    conn.executemany(
        "INSERT INTO delivery_attempt (publication_id, number, runner, started_at, ended_at, "
        "outcome) VALUES (?, ?, ?, ?, ?, ?)",
        attempts,
    )
    conn.executemany(
        "INSERT INTO broadcast_receipt (publication_id, unit_code, agency_code, aired_at, "
        "reported_by, source, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        receipts,
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return {"publications": len(pubs), "attempts": len(attempts), "receipts": len(receipts)}
