"""Zalo's renewed tokens: encrypted in the database, renewed under a cross-process lock."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bantin.channels import zalo
from bantin.core.db import Database
from bantin.core.models import Secret
from bantin.secrets import store as secretstore
from bantin.secrets.dbtokens import DatabaseTokenStore


@pytest.fixture
def store(db: Database, home: Path, monkeypatch: pytest.MonkeyPatch) -> DatabaseTokenStore:
    secretstore.ensure_key_file(home)
    monkeypatch.setenv("ZALO_ACCESS", "access-from-env")
    monkeypatch.setenv("ZALO_REFRESH", "refresh-from-env")
    return DatabaseTokenStore(db, "4321", "env:ZALO_ACCESS", "env:ZALO_REFRESH", home)


def test_starts_from_the_url_references(store: DatabaseTokenStore) -> None:
    assert store.get() == ("access-from-env", "refresh-from-env")


def test_renewed_pair_is_stored_encrypted_and_survives_a_restart(
    store: DatabaseTokenStore, db: Database, home: Path
) -> None:
    store.put("access-moi-2", "refresh-moi-2")
    with db.session() as s:
        stored = {r.name: r.ciphertext for r in s.execute(select(Secret)).scalars()}
    assert set(stored) == {"zalo.4321.access", "zalo.4321.refresh"}
    assert all("moi-2" not in c for c in stored.values())
    again = DatabaseTokenStore(db, "4321", "env:ZALO_ACCESS", "env:ZALO_REFRESH", home)
    assert again.get() == ("access-moi-2", "refresh-moi-2")


def test_lock_lets_one_thread_renew_at_a_time(store: DatabaseTokenStore) -> None:
    inside: list[int] = []
    overlap: list[bool] = []

    def renew(n: int) -> None:
        with store.lock():
            overlap.append(bool(inside))
            inside.append(n)
            time.sleep(0.05)
            inside.remove(n)

    threads = [threading.Thread(target=renew, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlap == [False] * 4


def test_lock_is_held_across_processes(store: DatabaseTokenStore, db: Database) -> None:
    lock_file = f"{db.url.split('///', 1)[-1]}.zalo-token-4321.lock"
    with store.lock():
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR);"
                "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)",
                lock_file,
            ],
            capture_output=True,
            text=True,
        )
    assert probe.returncode != 0 and "BlockingIOError" in probe.stderr


def test_install_makes_zalo_channels_use_the_database(db: Database, home: Path) -> None:
    secretstore.install(db, home)
    try:
        assert isinstance(zalo.shared_store("99", "env:A", "env:B"), DatabaseTokenStore)
    finally:
        zalo.install_store_factory(None)
