"""One `bantin run` per SQLite file.

SQLite has no row locks to share claims safely between machines, and two schedulers on
one file would both fire the singleton jobs. A second runner therefore refuses to start,
and says which process holds the lock. (PostgreSQL runners share a database freely.)

The lock is keyed on the database file's real path — the URL's query string dropped,
relative parts and symlinks resolved — so `…/bantin.db?timeout=30`, `./bantin.db` or a
symlink to the file all find the lock the first runner holds. (A hard link is a second
name the path cannot reveal; bantin never makes one.)
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from sqlalchemy.engine import make_url

from bantin.core.errors import BantinError


class AlreadyRunning(BantinError, RuntimeError):
    pass


def sqlite_file(db_url: str) -> Path | None:
    """The real path of a SQLite URL's file; None for an in-memory database."""
    database = make_url(db_url).database
    if not database or database == ":memory:":
        return None
    return Path(database).expanduser().resolve()


class RunLock:
    """An exclusive `flock` on `<real database path>.run.lock` (mode 0600)."""

    def __init__(self, db_url: str) -> None:
        real = sqlite_file(db_url)
        if real is None:
            raise ValueError(f"{db_url} names no database file to lock")
        self.db_path = real
        self.path = Path(f"{real}.run.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise AlreadyRunning(
                f"another bantin runner (pid {holder}) is using {self.db_path}; "
                "SQLite supports one runner per database file: stop it, or use PostgreSQL "
                "(BANTIN_DB=postgresql://…) to run several"
            ) from None
        os.fchmod(fd, 0o600)  # a lock file left by an older bantin was 0644
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.release()


@contextmanager
def runner_lock(db_url: str) -> Iterator[None]:
    """Hold the runner's lock for the block when the database is a SQLite file: `bantin
    run` and `bantin dispatch` both take it, so a cron pass never races a running
    scheduler. PostgreSQL (and an in-memory SQLite) needs none."""
    if make_url(db_url).get_backend_name() != "sqlite" or sqlite_file(db_url) is None:
        yield
        return
    with RunLock(db_url):
        yield
