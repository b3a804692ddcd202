"""Materialisation judges only its own window and never holds the write lock for long
(issue 8 item 3, issue 11's correctness bug)."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bantin.campaigns.materialise import materialise_all
from bantin.core.db import Database
from bantin.core.models import Publication
from tests.campaigns.test_materialise import CAMPAIGN, counts
from tests.conftest import T0
from tests.helpers import OUTBOX_CHANNELS, add_channels, apply, write_campaign


@pytest.fixture
def folder(tmp_path: Path, db: Database, home: Path) -> Path:
    add_channels(db, T0, OUTBOX_CHANNELS, home)
    folder = tmp_path / "c"
    write_campaign(folder, "t.j2", "Kính thưa bà con {{ unit.name }}, {{ due_date }}.\n")
    return folder


def test_default_run_leaves_rows_beyond_its_window_alone(
    db: Database, folder: Path, home: Path
) -> None:
    text = (CAMPAIGN % "none").replace("end: 2026-12-31", "end: 2027-06-30")
    path = write_campaign(folder, "b.yaml", text)
    apply(db, [path], T0, home, days=150)
    before = counts(db)
    assert before == {"planned": 2 * 150}
    results = materialise_all(db, T0 + timedelta(days=1), timedelta(days=35))
    assert [(r.added, r.cancelled) for r in results] == [(0, 0)]
    assert counts(db) == before


def test_a_changed_schedule_only_cancels_inside_the_window(
    db: Database, folder: Path, home: Path
) -> None:
    text = (CAMPAIGN % "none").replace("end: 2026-12-31", "end: 2027-06-30")
    path = write_campaign(folder, "b.yaml", text)
    apply(db, [path], T0, home, days=150)
    write_campaign(folder, "b.yaml", text.replace("30 5 * * *", "0 17 * * *"))
    apply(db, [path], T0, home, days=10)
    assert counts(db) == {"cancelled": 20, "planned": 2 * 150}


BIG = """
id: dense
title: Dày
task: "1.3"
agency: COMMUNES
kind: radio_script
period: {start: 2026-11-01, end: 2026-12-31}
schedule:
  - cron: "*/5 * * * *"
targets: all
channels: [loa-xa]
template: t.j2
"""


def test_a_large_apply_never_locks_out_another_writer(
    db: Database, folder: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANTIN_MAX_PUBLICATIONS_PER_CAMPAIGN", "2000000")
    path = write_campaign(folder, "big.yaml", BIG)
    db_file = home / "bantin.db"
    done, errors, writes = threading.Event(), [], [0]

    def other_writer() -> None:
        conn = sqlite3.connect(db_file, timeout=2, isolation_level=None)
        conn.execute("CREATE TABLE IF NOT EXISTS side_note (n INTEGER)")
        while not done.is_set():
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO side_note VALUES (1)")
                conn.execute("COMMIT")
                writes[0] += 1
            except sqlite3.OperationalError as exc:
                errors.append(str(exc))
                conn.execute("ROLLBACK") if conn.in_transaction else None
            time.sleep(0.02)
        conn.close()

    thread = threading.Thread(target=other_writer)
    thread.start()
    try:
        started = time.monotonic()
        apply(db, [path], T0, home, days=3)
        elapsed = time.monotonic() - started
    finally:
        done.set()
        thread.join()
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(Publication))
    assert total == 124 * 288 * 3
    assert elapsed > 2, "the apply must outlast the other writer's busy timeout to prove it"
    assert errors == []
    assert writes[0] > 10


def test_cancelling_a_large_campaign_commits_in_chunks(
    db: Database, folder: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import event

    from bantin.campaigns import service

    path = write_campaign(folder, "b.yaml", CAMPAIGN % "none")
    apply(db, [path], T0, home, days=10)
    monkeypatch.setattr(service, "CANCEL_CHUNK", 3)
    commits: list[int] = []
    event.listen(db.engine, "commit", lambda _c: commits.append(1))
    assert service.cancel_campaign(db, "bulletin", T0, "test", "hết kinh phí") == 20
    assert counts(db) == {"cancelled": 20}
    assert len(commits) >= 20 // 3


def test_a_schedule_made_sparser_is_judged_a_chunk_of_rows_at_a_time(
    db: Database, folder: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import event

    from bantin.campaigns import materialise, materialise_plan

    hourly = (CAMPAIGN % "none").replace("30 5 * * *", "0 * * * *")
    path = write_campaign(folder, "b.yaml", hourly)
    apply(db, [path], T0, home, days=10)
    assert counts(db) == {"planned": 2 * 24 * 10}
    monkeypatch.setattr(materialise_plan, "CHUNK", 50)
    monkeypatch.setattr(materialise, "CHUNK", 50)
    judged: list[int] = []
    real = materialise._existing

    def spy(*args: object, **kwargs: object) -> list[object]:
        rows = real(*args, **kwargs)  # type: ignore[arg-type]
        judged.append(len(rows))
        return rows  # type: ignore[return-value]

    monkeypatch.setattr(materialise, "_existing", spy)
    commits: list[int] = []
    event.listen(db.engine, "commit", lambda _c: commits.append(1))
    write_campaign(folder, "b.yaml", CAMPAIGN % "none")  # once a day at 05:30
    apply(db, [path], T0, home, days=10)
    assert counts(db) == {"cancelled": 2 * 24 * 10, "planned": 2 * 10}
    assert max(judged) == 51  # a chunk and the one that shows there are more
    assert len(commits) >= 480 // 50


def test_a_year_is_materialised_in_few_transactions(db: Database, folder: Path, home: Path) -> None:
    from sqlalchemy import event

    text = (CAMPAIGN % "none").replace("end: 2026-12-31", "end: 2027-12-31")
    path = write_campaign(folder, "b.yaml", text)
    commits: list[int] = []
    event.listen(db.engine, "commit", lambda _c: commits.append(1))
    apply(db, [path], T0, home, days=365)
    assert counts(db) == {"planned": 2 * 365}
    assert len(commits) < 40  # a slice a month, not a day (365 transactions and pauses)
