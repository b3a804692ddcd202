"""Backups a running bantin can take of itself, and what a restore needs to trust one.

A backup is a folder `bantin-YYYYMMDDTHHMMSSZ/` holding the data (`bantin.db`, copied with
SQLite's online backup API, or `bantin.pgdump` from `pg_dump --format=custom`) and a
`manifest.json`: schema revision, counts, the audit chain's head, the data file's SHA-256,
and the keys the data needs. Why a manifest: a restore must be able to say "this copy is
whole and its chain ends where it ended" before anyone relies on it, and an operator must
learn *from the backup itself* which keys to bring.

Keys (the secret store's Fernet key, any other `*.key` in BANTIN_HOME) are not copied
beside the data unless asked (`include_keys`): a stolen backup without its key leaks no
credentials. The manifest names each key by a fingerprint, never by its value.

The copy is consistent while `bantin run` writes: the backup API reads one snapshot under
a WAL read lock, and writers carry on. It is written to `*.partial` and renamed when
complete, so a crash never leaves something that looks like a backup.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bantin import __version__
from bantin.core.errors import ConfigError
from bantin.secrets import store as secretstore

MANIFEST = "manifest.json"
SQLITE_FILE = "bantin.db"
PG_FILE = "bantin.pgdump"
KEYS_DIR = "keys"
PREFIX = "bantin-"
PARTIAL = ".partial"
FORMAT = 1


class BackupError(ConfigError):
    """A backup or restore cannot go on; the message says why in one sentence."""


@dataclass(frozen=True)
class Backup:
    folder: Path
    manifest: dict[str, Any]


def sqlite_path(url: str) -> Path:
    return Path(url.split("///", 1)[-1])


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fingerprint(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:16]


def copy_sqlite(src: Path, dest: Path) -> None:
    """One consistent snapshot of a live SQLite file, as a self-contained file (no WAL)."""
    source = sqlite3.connect(src, timeout=30)
    target = sqlite3.connect(dest)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        source.backup(target)  # all pages in one step: one read transaction, one snapshot
        target.execute("PRAGMA journal_mode=DELETE")
        ok = target.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise BackupError(f"the copy of {src} fails SQLite's integrity check: {ok}")
    finally:
        target.close()
        source.close()


def sqlite_facts(path: Path) -> dict[str, Any]:
    """Schema revision, row counts and the audit head of a SQLite copy (raw, read-only)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return _facts(lambda sql: conn.execute(sql).fetchall())
    finally:
        conn.close()


def _facts(query: Any) -> dict[str, Any]:
    head = query("SELECT seq, hash FROM audit_head")
    return {
        "schema_revision": query("SELECT version_num FROM alembic_version")[0][0],
        "publications": query("SELECT count(*) FROM publication")[0][0],
        "audit_events": query("SELECT count(*) FROM audit_event")[0][0],
        "audit_head": {"seq": head[0][0], "hash": head[0][1]} if head else None,
    }


def key_facts(home: Path) -> list[dict[str, Any]]:
    """Which keys this instance uses and where a restored instance must find them."""
    keys: list[dict[str, Any]] = []
    if secretstore.key_from_env():
        loaded = secretstore.load_keys(home)
        keys.append(
            {
                "name": secretstore.KEY_FILE,
                "source": f"environment {secretstore.KEY_ENV}",
                "restore_to": f"the same {secretstore.KEY_ENV} for every bantin process",
                "fingerprints": [_fingerprint(k) for k in loaded],
            }
        )
    for path in sorted(home.glob("*.key")):
        if path.name == secretstore.KEY_FILE and secretstore.key_from_env():
            continue
        lines = [ln.strip() for ln in path.read_text().splitlines()]
        keys.append(
            {
                "name": path.name,
                "source": str(path),
                "restore_to": f"$BANTIN_HOME/{path.name} (mode 0600, owned by the bantin user)",
                "fingerprints": [
                    _fingerprint(ln.encode()) for ln in lines if ln and not ln.startswith("#")
                ],
            }
        )
    return keys


def _key_text(home: Path, entry: dict[str, Any]) -> str:
    if entry["source"].startswith("environment"):
        return "\n".join(k.decode() for k in secretstore.load_keys(home)) + "\n"
    return Path(entry["source"]).read_text()


def _new_folder(dest: Path, now: datetime) -> Path:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder, n = dest / f"{PREFIX}{stamp}", 1
    while folder.exists() or folder.with_name(folder.name + PARTIAL).exists():
        folder, n = dest / f"{PREFIX}{stamp}-{n}", n + 1
    return folder


def pg_conninfo(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI for pg_dump/pg_restore, and the environment holding the password
    (a password on a command line is visible to every user in `ps`)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _pg_dump(url: str, dest: Path) -> None:
    conninfo, env = pg_conninfo(url)
    cmd = ["pg_dump", "--format=custom", "--no-owner", f"--file={dest}", f"--dbname={conninfo}"]
    run_tool(cmd, env)


def run_tool(cmd: list[str], env: dict[str, str]) -> None:
    if shutil.which(cmd[0]) is None:
        raise BackupError(f"{cmd[0]} is not installed (Debian: apt-get install postgresql-client)")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{cmd[0]} failed (exit {proc.returncode}): {last}")


def take_backup(
    db_url: str, home: Path, dest: Path, now: datetime, *, include_keys: bool = False
) -> Backup:
    """Copy the database (live) into a new folder under `dest`; returns it and its manifest."""
    dest.mkdir(parents=True, exist_ok=True)
    final = _new_folder(dest, now)
    work = final.with_name(final.name + PARTIAL)
    work.mkdir()
    try:
        if db_url.startswith("sqlite"):
            data = work / SQLITE_FILE
            copy_sqlite(sqlite_path(db_url), data)
            facts = sqlite_facts(data)
        else:
            data = work / PG_FILE
            _pg_dump(db_url, data)
            facts = {}
        keys = key_facts(home)
        if include_keys:
            (work / KEYS_DIR).mkdir(mode=0o700)
            for entry in keys:
                target = work / KEYS_DIR / entry["name"]
                target.write_text(_key_text(home, entry))
                target.chmod(0o600)
        manifest = {
            "format": FORMAT,
            "bantin_version": __version__,
            "created_at": now.astimezone(UTC).isoformat(),
            "database": "sqlite" if db_url.startswith("sqlite") else "postgresql",
            "data_file": data.name,
            "sha256": sha256(data),
            **facts,
            "keys": keys,
            "keys_included": include_keys,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Backup(final, manifest)


def backups_in(dest: Path) -> list[Path]:
    """Complete backups in `dest`, oldest first (partial ones are not backups)."""
    if not dest.is_dir():
        return []
    found = [
        p
        for p in dest.iterdir()
        if p.is_dir() and p.name.startswith(PREFIX) and not p.name.endswith(PARTIAL)
    ]
    return sorted(found, key=lambda p: p.name)


def last_backup_time(dest: Path) -> float | None:
    """When the newest complete backup in `dest` was finished (Unix time), if any."""
    found = backups_in(dest)
    return (found[-1] / MANIFEST).stat().st_mtime if found else None


def prune(dest: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups; returns what was deleted."""
    old = backups_in(dest)[:-keep] if keep > 0 else []
    for folder in old:
        shutil.rmtree(folder)
    return old
