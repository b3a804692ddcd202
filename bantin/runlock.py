"""One `bantin run` per SQLite file.

SQLite has no row locks to share claims safely between machines, and two schedulers on
one file would both fire the singleton jobs. A second runner therefore refuses to start,
and says which process holds the lock. (PostgreSQL runners share a database freely.)
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType


class AlreadyRunning(RuntimeError):
    pass


class RunLock:
    def __init__(self, db_url: str) -> None:
        self.db_path = Path(db_url.split("///", 1)[-1])
        self.path = Path(f"{self.db_path}.run.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
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
