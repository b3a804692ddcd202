"""Singleton duties: work exactly one runner does at a time, however many run.

Materialising, alert notification, report deadlines, audio preparation, feed ingest,
backups and the nightly audit head must not run in two runners at once (two alert mails,
two backups, two drafts of one report). On SQLite the run lock already makes the runner
unique. On PostgreSQL each duty has a session-level advisory lock (`pg_try_advisory_lock`
with a key derived from the duty's name) taken on one connection the runner keeps open:
the first runner to try becomes that duty's holder and stays so while it lives; the
others skip the duty on every tick. When the holder dies its connection closes, the
server drops its locks, and another runner's next tick takes the duty over. So each duty
runs once per tick, in one runner.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable

from sqlalchemy import Connection, text

from bantin.core.db import Database

log = logging.getLogger(__name__)

DUTIES = (
    "materialise",
    "notify-alerts",
    "deadlines",
    "audio",
    "feeds",
    "backup",
    "audit-head",
)


def lock_key(duty: str) -> int:
    """A stable signed 64-bit advisory lock key for `duty` (namespaced to bantin)."""
    digest = hashlib.sha256(f"bantin-duty:{duty}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Duties:
    """This runner's view of which duties it holds; thread-safe."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: Connection | None = None
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def holds(self, duty: str) -> bool:
        """True when this runner may do `duty` now (always on SQLite)."""
        if self.db.is_sqlite:
            return True
        with self._lock:
            try:
                return self._try(duty)
            except Exception:  # a lost connection loses its locks: start again next tick
                log.exception("advisory lock for %s failed; skipping this tick", duty)
                self._drop()
                return False

    def _try(self, duty: str) -> bool:
        if self._conn is None:
            self._conn = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._held.clear()
        if duty in self._held:
            self._conn.execute(text("SELECT 1"))  # still connected, so still holding
            return True
        got = bool(
            self._conn.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(duty)}
            ).scalar()
        )
        if got:
            self._held.add(duty)
            log.info("this runner now does the %s duty", duty)
        return got

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:
                log.debug("closing the duty connection failed", exc_info=True)
        self._conn = None
        self._held.clear()

    def run(self, duty: str, job: Callable[[], object]) -> Callable[[], None]:
        """A scheduler job that does `job` only in the runner holding `duty`."""

        def guarded() -> None:
            if self.holds(duty):
                job()

        guarded.__name__ = f"duty_{duty.replace('-', '_')}"
        guarded.__wrapped__ = job  # type: ignore[attr-defined]  # what the duty runs
        return guarded

    def close(self) -> None:
        """Give every duty up (the connection's end releases its locks)."""
        with self._lock:
            if self._conn is not None:
                # The connection goes back to the pool, which would keep its session locks.
                try:
                    self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
                    self._conn.close()
                except Exception:
                    self._drop()
            self._conn = None
            self._held.clear()
