"""`bantin run` as a process would use it: the scheduler wakes dispatch, stops cleanly, and a
second runner on the same SQLite file refuses to start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bantin.config import Settings
from bantin.core.db import Database
from bantin.runlock import AlreadyRunning, RunLock
from bantin.scheduler import JOB_DEFAULTS, Runner
from tests.conftest import Cli
from tests.helpers import OUTBOX_CHANNELS, add_channels, write_campaign


def test_jobs_never_drop_a_misfire() -> None:
    assert JOB_DEFAULTS == {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


def test_run_publishes_what_is_due_and_stops(
    db: Database, settings: Settings, home: Path, tmp_path: Path, run_cli: Cli
) -> None:
    now = datetime.now(UTC)
    add_channels(db, now, OUTBOX_CHANNELS, home)
    due = (now + timedelta(seconds=1)).astimezone()
    path = write_campaign(
        tmp_path / "c",
        "n.yaml",
        f"""
        id: ngay-mai
        title: Tin
        task: "1.1"
        agency: BAOVL
        period: {{start: {due.date()}, end: {due.date() + timedelta(days=1)}}}
        schedule:
          - at: {due.isoformat(timespec="seconds")}
        channels: [baovl-fanpage]
        template: t.j2
    """,
    )
    write_campaign(tmp_path / "c", "t.j2", "Xin chào {{ due_date }}\n")
    assert run_cli("campaign", "apply", str(path)).exit_code == 0
    Runner(db, settings).run(for_seconds=4)
    files = list((home / "outbox" / "baovl-fanpage").rglob("*.txt"))
    assert len(files) == 1
    # Each pass leaves a heartbeat row, so /healthz in another process sees the runner.
    from bantin import health

    assert health.check(db, datetime.now(UTC)).checks["runner_heartbeat_age_seconds"] < 60


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
