"""Files bantin creates are private: the home folder 0700, the database (and its WAL and
shared-memory files), the run lock and the key files 0600, whatever the umask.

An existing home or database made world-readable by an older bantin loses its access for
others the next time bantin opens it (group access an operator chose is kept)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bantin.core.db import Database
from bantin.core.fileperms import secure_home
from tests.conftest import Cli


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_database_folder_and_file_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "bantin.db"
    db = Database(f"sqlite:///{path}")
    with db.session() as s:
        s.execute(text("CREATE TABLE t (x INTEGER)"))
        s.execute(text("INSERT INTO t VALUES (1)"))
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert (mode(wal), mode(shm)) == (0o600, 0o600)
    db.dispose()
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)


def test_an_existing_world_readable_database_loses_access_for_others(tmp_path: Path) -> None:
    path = tmp_path / "bantin.db"
    path.write_bytes(b"")
    path.chmod(0o644)
    Database(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o640


def test_secure_home_creates_0700_and_narrows_an_existing_0755(tmp_path: Path) -> None:
    fresh, old = tmp_path / "fresh", tmp_path / "old"
    old.mkdir(mode=0o755)
    old.chmod(0o755)
    secure_home(fresh)
    secure_home(old)
    assert (mode(fresh), mode(old)) == (0o700, 0o750)


def test_init_makes_a_private_home_database_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Cli
) -> None:
    home = tmp_path / "var-fresh"
    monkeypatch.setenv("BANTIN_HOME", str(home))
    result = run_cli("init")
    assert result.exit_code == 0, result.output
    assert mode(home) == 0o700
    assert mode(home / "bantin.db") == 0o600
    keys = [p for p in home.iterdir() if p.name.endswith(".key") or "key" in p.name]
    assert keys and all(mode(k) == 0o600 for k in keys)
