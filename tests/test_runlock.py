"""The run lock: one `bantin run` per SQLite file, however the file is named.

The lock is keyed on the file's real path, so a URL with query parameters, a relative
path or a symlink to the same file cannot start a second runner beside the first."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bantin.runlock import AlreadyRunning, RunLock, runner_lock


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "home" / "bantin.db"
    path.parent.mkdir()
    path.write_bytes(b"")
    return path


def test_query_parameters_do_not_make_a_second_lock(db_file: Path) -> None:
    with RunLock(f"sqlite:///{db_file}"), pytest.raises(AlreadyRunning):
        RunLock(f"sqlite:///{db_file}?timeout=30").acquire()


def test_a_symlink_to_the_same_file_does_not_make_a_second_lock(
    db_file: Path, tmp_path: Path
) -> None:
    link = tmp_path / "elsewhere.db"
    link.symlink_to(db_file)
    with RunLock(f"sqlite:///{db_file}"), pytest.raises(AlreadyRunning):
        RunLock(f"sqlite:///{link}").acquire()


def test_a_symlinked_folder_does_not_make_a_second_lock(db_file: Path, tmp_path: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(db_file.parent, target_is_directory=True)
    with RunLock(f"sqlite:///{alias / 'bantin.db'}"), pytest.raises(AlreadyRunning):
        RunLock(f"sqlite:///{db_file}").acquire()


def test_a_relative_path_and_dot_segments_name_the_same_file(
    db_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(db_file.parent)
    dotted = db_file.parent / ".." / db_file.parent.name / "bantin.db"
    with RunLock("sqlite:///bantin.db"), pytest.raises(AlreadyRunning):
        RunLock(f"sqlite:///{dotted}").acquire()


def test_the_message_names_the_real_file(db_file: Path, tmp_path: Path) -> None:
    link = tmp_path / "elsewhere.db"
    link.symlink_to(db_file)
    with RunLock(f"sqlite:///{db_file}"), pytest.raises(AlreadyRunning) as caught:
        RunLock(f"sqlite:///{link}?timeout=30").acquire()
    assert str(db_file) in str(caught.value) and "?" not in str(caught.value)


def test_different_files_lock_independently(db_file: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with RunLock(f"sqlite:///{db_file}"), RunLock(f"sqlite:///{other}"):
        pass


def test_the_lock_file_is_private(db_file: Path) -> None:
    with RunLock(f"sqlite:///{db_file}") as lock:
        mode = stat.S_IMODE(os.stat(lock.path).st_mode)
    assert mode == 0o600


def test_runner_lock_keeps_a_second_runner_out_while_held(db_file: Path) -> None:
    url = f"sqlite:///{db_file}"
    with runner_lock(url), pytest.raises(AlreadyRunning):
        RunLock(url).acquire()


def test_runner_lock_is_released_after_its_block(db_file: Path) -> None:
    url = f"sqlite:///{db_file}"
    with runner_lock(url):
        pass
    with RunLock(url):  # would raise if the first were still held
        pass


def test_runner_lock_needs_no_file_for_postgresql(tmp_path: Path) -> None:
    with runner_lock("postgresql://bantin@127.0.0.1/bantin"):
        pass
    assert list(tmp_path.iterdir()) == []
