"""`bantin run` as a process would use it: the scheduler wakes dispatch, stops cleanly, and a
second runner on the same SQLite file refuses to start."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from bantin.config import Settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.dispatch import PassStats
from bantin.runlock import AlreadyRunning, RunLock
from bantin.scheduler import Runner
from tests.conftest import T0, Cli
from tests.helpers import OUTBOX_CHANNELS, add_channels, write_campaign


def test_every_runner_job_runs_late_rather_than_never(db: Database, settings: Settings) -> None:
    """A job that missed its time (the machine slept, a pass ran long) still runs once."""
    runner = Runner(db, settings, FixedClock(T0))
    runner.start()
    try:
        jobs = runner.scheduler.get_jobs()
        assert {j.id for j in jobs} >= {"dispatch-safety", "materialise", "deadlines"}
        assert all(j.misfire_grace_time is None for j in jobs)
        assert all(j.coalesce and j.max_instances == 1 for j in jobs)
    finally:
        runner.shutdown()


def test_run_publishes_what_is_due_and_stops(
    db: Database,
    settings: Settings,
    home: Path,
    tmp_path: Path,
    run_cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    due = T0 + timedelta(minutes=1)
    add_channels(db, T0, OUTBOX_CHANNELS, home)
    local = due.astimezone(settings.timezone)
    path = write_campaign(
        tmp_path / "c",
        "n.yaml",
        f"""
        id: ngay-mai
        title: Tin
        task: "1.1"
        agency: BAOVL
        period: {{start: {local.date()}, end: {local.date() + timedelta(days=1)}}}
        schedule:
          - at: {local.isoformat(timespec="seconds")}
        channels: [baovl-fanpage]
        template: t.j2
    """,
    )
    write_campaign(tmp_path / "c", "t.j2", "Xin chào {{ due_date }}\n")
    assert run_cli("campaign", "apply", str(path), "--now", T0.isoformat()).exit_code == 0
    runner = Runner(db, settings, FixedClock(due))  # the due minute has come
    published = threading.Event()
    run_pass = runner.dispatcher.run_pass

    def watched() -> PassStats:
        stats = run_pass()
        if stats.published:
            published.set()
        return stats

    monkeypatch.setattr(runner.dispatcher, "run_pass", watched)
    runner.start()
    try:
        assert published.wait(timeout=30), "the runner never published the due row"
    finally:
        runner.shutdown()
    assert not runner._thread.is_alive()  # stopped, not left running
    files = list((home / "outbox" / "baovl-fanpage").rglob("*.txt"))
    assert len(files) == 1
    # Each pass leaves a heartbeat row, so /healthz in another process sees the runner.
    from bantin import health

    assert health.check(db, due).checks["runner_heartbeat_age_seconds"] < 60


def test_second_runner_on_the_same_sqlite_file_refuses(settings: Settings) -> None:
    with RunLock(settings.db_url), pytest.raises(AlreadyRunning, match="one runner per database"):
        RunLock(settings.db_url).acquire()


def test_cli_run_refuses_when_another_runner_holds_the_lock(
    settings: Settings, run_cli: Cli
) -> None:
    with RunLock(settings.db_url):
        result = run_cli("run", "--for", "1")
    assert result.exit_code == 1
    assert "another bantin runner" in result.stderr
