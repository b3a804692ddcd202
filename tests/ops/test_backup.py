"""Backups taken while dispatch writes, and restores that prove what they restored."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bantin.backup import MANIFEST, backups_in, take_backup
from bantin.config import Settings, load_settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import AuditEvent, Publication
from bantin.dispatch import Dispatcher
from bantin.runlock import RunLock
from bantin.scheduler import Runner
from tests.conftest import Cli
from tests.ops.conftest import EARLY, LATE, GatedChannel, burst_campaign


def _events(db: Database) -> list[tuple[int, str, str, str]]:
    with db.session() as s:
        rows = s.execute(
            select(AuditEvent.seq, AuditEvent.hash, AuditEvent.action, AuditEvent.entity_id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _statuses(db: Database) -> dict[int, str]:
    with db.session() as s:
        return dict(s.execute(select(Publication.id, Publication.status)).all())  # type: ignore[arg-type]


def _backup_mid_burst(
    db: Database, settings: Settings, gated: type[GatedChannel], dest: Path
) -> Path:
    """Dispatch the 09:00 and 09:30 bulletins of every unit on eight threads; back up
    while the 09:30 sends are in flight and the other threads keep writing."""
    clock = FixedClock(LATE + timedelta(minutes=5))
    gated.hold_from = LATE
    dispatcher = Dispatcher(db, settings, clock, "burst-runner")
    burst = threading.Thread(target=dispatcher.run_pass)
    burst.start()
    try:
        assert gated.held.acquire(timeout=30), "no 09:30 send started"
        made = take_backup(settings.db_url, settings.home, dest, clock.now())
    finally:
        gated.gate.set()
        burst.join(timeout=60)
        dispatcher.close()
    return made.folder


def test_a_backup_taken_during_a_dispatch_burst_restores_whole(
    db: Database,
    settings: Settings,
    home: Path,
    tmp_path: Path,
    gated: type[GatedChannel],
    run_cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    total = burst_campaign(db, home, tmp_path / "c")
    folder = _backup_mid_burst(db, settings, gated, tmp_path / "backups")
    manifest = json.loads((folder / MANIFEST).read_text())
    source_events, source_states = _events(db), _statuses(db)
    assert set(source_states.values()) == {"published"} and len(source_states) == total

    new_home = tmp_path / "restored"
    new_home.mkdir()
    monkeypatch.setenv("BANTIN_HOME", str(new_home))
    result = run_cli("restore", str(folder))
    assert result.exit_code == 0, result.output
    assert "done" in result.output
    assert run_cli("audit", "verify").exit_code == 0

    restored = Database(load_settings().db_url)
    try:
        events, states = _events(restored), _statuses(restored)
    finally:
        restored.dispose()
    head = manifest["audit_head"]["seq"]
    # Every event up to the backup point, identical; nothing after it.
    assert events == [e for e in source_events if e[0] <= head]
    assert len(states) == manifest["publications"] == total
    # The copy caught the burst in the middle: some sent, some not yet.
    published = [p for p, st in states.items() if st == "published"]
    assert 0 < len(published) < total
    # One snapshot: each row is in the state its last audit event in the copy says.
    last_move = {
        int(e[3]): e[2].removeprefix("publication.")
        for e in events
        if e[2].startswith("publication.")
    }
    assert all(states[p] == st for p, st in last_move.items())


def test_restore_refuses_while_a_runner_holds_the_database(
    settings: Settings, home: Path, tmp_path: Path, run_cli: Cli
) -> None:
    folder = take_backup(settings.db_url, home, tmp_path / "b", EARLY).folder
    with RunLock(settings.db_url):
        result = run_cli("restore", str(folder), "--force")
    assert result.exit_code == 1
    assert "refusing to restore over a live database" in result.output


def test_restore_refuses_a_database_with_data_unless_forced(
    settings: Settings, home: Path, tmp_path: Path, run_cli: Cli
) -> None:
    folder = take_backup(settings.db_url, home, tmp_path / "b", EARLY).folder
    refused = run_cli("restore", str(folder))
    assert refused.exit_code == 1 and "--force" in refused.output
    forced = run_cli("restore", str(folder), "--force")
    assert forced.exit_code == 0, forced.output


def test_restore_refuses_a_damaged_copy(
    settings: Settings, home: Path, tmp_path: Path, run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = take_backup(settings.db_url, home, tmp_path / "b", EARLY).folder
    with (folder / "bantin.db").open("r+b") as fh:
        fh.seek(5000)
        fh.write(b"\xff" * 16)
    monkeypatch.setenv("BANTIN_HOME", str(tmp_path / "new"))
    result = run_cli("restore", str(folder))
    assert result.exit_code == 1
    assert "does not match the sha256" in result.output


def test_keys_stay_out_of_a_backup_unless_asked(
    settings: Settings, home: Path, tmp_path: Path, run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cli("init")
    plain = run_cli("backup", str(tmp_path / "plain"))
    assert "NOT copied" in plain.output
    assert not list((tmp_path / "plain").glob("*/keys"))
    assert run_cli("backup", str(tmp_path / "keys"), "--include-keys").exit_code == 0
    (folder,) = backups_in(tmp_path / "keys")
    key = (home / "secret.key").read_bytes()
    assert (folder / "keys" / "secret.key").read_bytes() == key
    manifest = json.loads((folder / MANIFEST).read_text())
    assert key.decode().strip() not in json.dumps(manifest)  # fingerprints, never keys

    monkeypatch.setenv("BANTIN_HOME", str(tmp_path / "new"))
    result = run_cli("restore", str(folder))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / "secret.key").read_bytes() == key
    assert (tmp_path / "new" / "secret.key").stat().st_mode & 0o077 == 0


def test_the_daily_backup_keeps_the_newest_few(
    db: Database, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANTIN_BACKUP_DIR", str(tmp_path / "daily"))
    monkeypatch.setenv("BANTIN_BACKUP_KEEP", "3")
    settings = load_settings()
    clock = FixedClock(EARLY)
    runner = Runner(db, settings, clock)
    for _ in range(5):
        runner.backup()
        clock.advance(days=1)
    kept = [p.name for p in backups_in(tmp_path / "daily")]
    assert kept == [
        "bantin-20261130T020000Z",
        "bantin-20261201T020000Z",
        "bantin-20261202T020000Z",
    ]


def test_the_runner_schedules_the_daily_backup_only_when_a_folder_is_set(
    db: Database, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = Runner(db, load_settings(), FixedClock(EARLY))
    runner.start()
    try:
        assert runner.scheduler.get_job("backup") is None
    finally:
        runner.shutdown()
    monkeypatch.setenv("BANTIN_BACKUP_DIR", str(tmp_path / "daily"))
    runner = Runner(db, load_settings(), FixedClock(EARLY))
    runner.start()
    try:
        job = runner.scheduler.get_job("backup")
        assert job is not None and "hour='2'" in str(job.trigger)
    finally:
        runner.shutdown()
