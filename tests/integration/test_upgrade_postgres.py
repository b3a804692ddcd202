"""The first release's data on PostgreSQL: a database migrated to v0.1.0's revision,
loaded with the rows v0.1.0's own commands wrote (tests/fixtures/v0.1.0), then upgraded
to head: rows, audit chain and secrets survive. A backup of it (pg_dump through
`bantin backup`) restores into an empty database with the chain verified."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bantin.backup import BackupError, take_backup
from bantin.core.clock import SystemClock
from bantin.core.db import Database
from bantin.migrate import upgrade
from bantin.restore import restore
from tests.integration.pg import PgCluster, PgUnavailable
from tests.ops.upgrade_data import (
    FIRST_RELEASE_REVISION,
    assert_survived,
    copy_rows,
    fixture_home,
    migrate_to,
    row_counts,
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    try:
        pg = PgCluster().start()
    except PgUnavailable as exc:
        pytest.fail(
            f"cannot start PostgreSQL: {exc}\nCI installs the server with "
            "scripts/system-deps.sh, so this is an error, not a skip.",
            pytrace=False,
        )
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture
def old_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "v010"
    fixture_home(home)
    monkeypatch.delenv("BANTIN_SECRET_KEY", raising=False)
    return home


def _first_release_on_pg(cluster: PgCluster, name: str, home: Path) -> Database:
    db = Database(cluster.create_database(name))
    migrate_to(db, FIRST_RELEASE_REVISION)
    copy_rows(home / "bantin.db", db)
    return db


def test_the_first_release_upgrades_to_head_on_postgresql(
    cluster: PgCluster, old_home: Path
) -> None:
    before = row_counts(old_home / "bantin.db")
    db = _first_release_on_pg(cluster, "upgrade_v010", old_home)
    try:
        upgrade(db)
        assert_survived(db, before, old_home)
    finally:
        db.dispose()


def test_a_pg_dump_backup_restores_into_an_empty_database(
    cluster: PgCluster, old_home: Path, tmp_path: Path
) -> None:
    before = row_counts(old_home / "bantin.db")
    db = _first_release_on_pg(cluster, "backup_src", old_home)
    upgrade(db)
    db.dispose()
    made = take_backup(db.url, old_home, tmp_path / "b", SystemClock().now())
    assert made.manifest["database"] == "postgresql"
    target_url = cluster.create_database("backup_dst")
    result = restore(made.folder, target_url, old_home)
    assert result.audit_events == before["audit_event"]
    assert result.secrets_ok == 2 and not result.warnings
    restored = Database(target_url)
    try:
        assert_survived(restored, before, old_home)
    finally:
        restored.dispose()


def test_a_pg_restore_refuses_a_live_or_non_empty_database(
    cluster: PgCluster, old_home: Path, tmp_path: Path
) -> None:
    db = _first_release_on_pg(cluster, "refuse_src", old_home)
    db.dispose()
    made = take_backup(db.url, old_home, tmp_path / "b", SystemClock().now())
    live = Database(cluster.create_database("refuse_live"))
    try:
        with live.engine.connect(), pytest.raises(BackupError, match="live database"):
            restore(made.folder, live.url, old_home)
    finally:
        live.dispose()
    with pytest.raises(BackupError, match="--force"):
        restore(made.folder, db.url, old_home)  # the source itself has tables
    assert restore(made.folder, db.url, old_home, force=True).audit_events > 300
