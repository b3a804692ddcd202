"""Shared fixtures: a migrated database per test (copied from one built per session),
an injected clock, and a CLI runner bound to a temporary BANTIN_HOME."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bantin.cli import cli
from bantin.config import Settings, load_settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.migrate import upgrade
from bantin.plan.loader import load_plan

# 28/11/2026 08:00 in Vĩnh Long.
T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def outbound_loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests talk to servers on 127.0.0.1: allow loopback through the operator's own setting
    (bantin.outbound). Tests of the policy set it to "" to see the default refusals."""
    monkeypatch.setenv("BANTIN_OUTBOUND_ALLOW", "127.0.0.0/8,::1")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate and load the plan once; every test gets a copy of this file."""
    path = tmp_path_factory.mktemp("template") / "bantin.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    with db.session() as s:
        load_plan(s, T0, actor="test")
    db.dispose()
    with sqlite3.connect(path) as conn:  # fold the WAL into the file so a copy is complete
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, template_db: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(template_db, home / "bantin.db")
    monkeypatch.setenv("BANTIN_HOME", str(home))
    monkeypatch.delenv("BANTIN_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def settings(home: Path) -> Settings:
    return load_settings()


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.db_url)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@dataclass
class Cli:
    runner: CliRunner

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def run_cli(home: Path) -> Cli:
    return Cli(CliRunner())


EXAMPLES = Path(__file__).parent.parent / "bantin" / "data" / "campaigns"
