"""The first release's database, made by v0.1.0's own commands, upgrades to head on SQLite
(PostgreSQL: tests/integration/test_upgrade_postgres.py) with rows, audit chain and
secrets intact, and the new code carries on writing to it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from bantin.config import load_settings
from bantin.core.db import Database
from bantin.migrate import upgrade
from tests.conftest import Cli
from tests.ops.upgrade_data import (
    FIRST_RELEASE_REVISION,
    assert_survived,
    fixture_home,
    row_counts,
)


@pytest.fixture
def old_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "v010"
    fixture_home(home)
    monkeypatch.setenv("BANTIN_HOME", str(home))
    monkeypatch.delenv("BANTIN_DB", raising=False)
    monkeypatch.delenv("BANTIN_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    return home


def test_the_fixture_is_at_the_first_releases_schema(old_home: Path) -> None:
    conn = sqlite3.connect(old_home / "bantin.db")
    revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    statuses = dict(conn.execute("SELECT status, count(*) FROM publication GROUP BY status"))
    conn.close()
    assert revision == FIRST_RELEASE_REVISION
    assert statuses["published"] == 125 and statuses["planned"] > 0


def test_the_first_release_upgrades_to_head_with_rows_chain_and_secrets(old_home: Path) -> None:
    before = row_counts(old_home / "bantin.db")
    db = Database(load_settings().db_url)
    try:
        upgrade(db)
        assert_survived(db, before, old_home)
    finally:
        db.dispose()


def test_the_upgraded_database_keeps_working(old_home: Path) -> None:
    cli = Cli(CliRunner())
    assert cli("init").exit_code == 0
    dispatched = cli("dispatch", "--once", "--now", "2026-12-01T17:00")
    assert dispatched.exit_code == 0, dispatched.output
    assert "124 published" in dispatched.output
    verified = cli("audit", "verify")
    assert verified.exit_code == 0 and "intact" in verified.output
