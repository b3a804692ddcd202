"""Zalo's access/refresh token pair kept encrypted in the database, renewed by one process
at a time.

Zalo's refresh token works once: two processes renewing at the same moment would leave one
of them holding a spent token and the channel broken. So renewal happens under a lock that
spans processes — a PostgreSQL advisory lock, or on SQLite (one machine, one runner) a
file lock beside the database — and the new pair is written through the encrypted secret
store (`zalo.<oa>.access`, `zalo.<oa>.refresh`) before the lock is released. The pair in
the channel URL (`token=`, `refresh_token=`) is only the starting point.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bantin.core.db import Database
from bantin.secrets.resolve import resolve
from bantin.secrets.store import SecretNotFound, get_secret, set_secret

_PROCESS_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


def _process_lock(key: str) -> threading.Lock:
    with _GUARD:
        return _PROCESS_LOCKS.setdefault(key, threading.Lock())


class DatabaseTokenStore:
    """A `bantin.channels.zalo.TokenStore` backed by the secret table."""

    def __init__(
        self, db: Database, oa_id: str, access_ref: str, refresh_ref: str, home: Path | None = None
    ) -> None:
        self.db = db
        self.home = home
        self.access_name = f"zalo.{oa_id}.access"
        self.refresh_name = f"zalo.{oa_id}.refresh"
        self.access_ref, self.refresh_ref = access_ref, refresh_ref
        self.lock_key = f"zalo-token-{oa_id}"

    def get(self) -> tuple[str, str]:
        with self.db.session() as s:
            try:
                return (
                    get_secret(s, self.access_name, home=self.home),
                    get_secret(s, self.refresh_name, home=self.home),
                )
            except SecretNotFound:
                return resolve(self.access_ref), resolve(self.refresh_ref)

    def put(self, access: str, refresh: str) -> None:
        now = datetime.now(UTC)
        with self.db.session() as s:
            set_secret(s, self.access_name, access, now, actor="bantin", home=self.home)
            set_secret(s, self.refresh_name, refresh, now, actor="bantin", home=self.home)

    @contextmanager
    def lock(self) -> Iterator[None]:
        with _process_lock(self.lock_key), self._database_lock():
            yield

    @contextmanager
    def _database_lock(self) -> Iterator[None]:
        if self.db.is_sqlite:
            path = Path(f"{self.db.url.split('///', 1)[-1]}.{self.lock_key}.lock")
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            return
        key = int.from_bytes(
            hashlib.sha256(self.lock_key.encode()).digest()[:8], "big", signed=True
        )
        with self.db.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
