"""Restore a backup (bantin.backup) into this instance's database, and prove it whole.

Refuses to overwrite a live database: on SQLite it takes the runner's lock (bantin.runlock)
for the whole restore, so neither a running `bantin run` nor one started meanwhile can
write under it; on PostgreSQL it refuses while other sessions are connected. A target
with tables is refused unless `force`. After the copy it runs the migrations, walks the
audit chain, checks that the chain still holds the head recorded at backup time, and tries
every secret with the key this instance has: "done" means all of that passed.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import select, text

from bantin.backup import (
    KEYS_DIR,
    MANIFEST,
    BackupError,
    pg_conninfo,
    run_tool,
    sha256,
    sqlite_path,
)
from bantin.core import audit
from bantin.core.db import Database
from bantin.core.models import AuditEvent, Secret
from bantin.migrate import upgrade
from bantin.runlock import AlreadyRunning, RunLock
from bantin.secrets import store as secretstore


@dataclass
class Restored:
    revision: str | None
    audit_events: int
    secrets_ok: int = 0
    warnings: list[str] = field(default_factory=list)
    keys_installed: list[str] = field(default_factory=list)


def read_manifest(src: Path) -> tuple[Path, dict[str, Any]]:
    """The backup folder (given it or any file in it) and its checked manifest."""
    folder = src if src.is_dir() else src.parent
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} is not a bantin backup: it has no {MANIFEST}")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise BackupError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    data = folder / str(manifest.get("data_file", ""))
    if not data.is_file():
        raise BackupError(f"{path}: data_file {manifest.get('data_file')!r} is missing")
    if sha256(data) != manifest.get("sha256"):
        raise BackupError(f"{data} does not match the sha256 in {path}: the copy is damaged")
    return folder, manifest


def _sqlite_has_tables(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(path)
    try:
        query = "SELECT count(*) FROM sqlite_master WHERE type='table'"
        return bool(conn.execute(query).fetchone()[0])
    finally:
        conn.close()


def _copy_into_sqlite(data: Path, target: Path) -> None:
    """Page-for-page copy into the target file through SQLite (its WAL stays coherent)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{data}?mode=ro", uri=True)
    dest = sqlite3.connect(target, timeout=30)
    try:
        source.backup(dest)
    finally:
        dest.close()
        source.close()


def _lock_sqlite(db_url: str) -> RunLock:
    """The runner's lock, held until the restore is verified: no runner writes meanwhile."""
    lock = RunLock(db_url)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        raise BackupError(f"refusing to restore over a live database: {exc}") from None
    return lock


def _restore_sqlite(data: Path, db_url: str, force: bool) -> None:
    target = sqlite_path(db_url)
    if _sqlite_has_tables(target) and not force:
        raise BackupError(
            f"{target} already holds a database; restore into an empty BANTIN_HOME, "
            "or add --force to replace it"
        )
    _copy_into_sqlite(data, target)


def _restore_pg(data: Path, db: Database, force: bool) -> None:
    with db.engine.connect() as conn:
        others = conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        tables = conn.scalar(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
        )
    if others:
        raise BackupError(
            f"refusing to restore over a live database: {others} other sessions are "
            "connected (stop bantin run and bantin serve first)"
        )
    if tables and not force:
        raise BackupError(
            "the target database already has tables; restore into an empty database, "
            "or add --force to replace them"
        )
    db.dispose()
    conninfo, env = pg_conninfo(db.url)
    cmd = ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={conninfo}"]
    if force:
        cmd += ["--clean", "--if-exists"]
    run_tool([*cmd, str(data)], env)


def _check_secrets(db: Database, home: Path, result: Restored) -> None:
    with db.session() as s:
        rows = list(s.execute(select(Secret)).scalars())
    if not rows:
        return
    try:
        ring = secretstore.keyring(home)
    except secretstore.SecretStoreError as exc:
        result.warnings.append(f"{len(rows)} secrets cannot be read yet: {exc}")
        return
    bad = []
    for row in rows:
        try:
            ring.decrypt(row.ciphertext.encode("ascii"))
            result.secrets_ok += 1
        except InvalidToken:
            bad.append(row.name)
    if bad:
        result.warnings.append(
            f"{len(bad)} secrets do not decrypt with this instance's key ({', '.join(bad)}): "
            "bring the key listed in the backup's manifest"
        )


def _install_keys(folder: Path, home: Path, result: Restored) -> None:
    """Keys copied into the backup (--include-keys) go home, never over a different key."""
    keys = folder / KEYS_DIR
    if not keys.is_dir():
        return
    home.mkdir(parents=True, exist_ok=True)
    for key in sorted(keys.iterdir()):
        target = home / key.name
        if target.exists():
            if target.read_bytes() != key.read_bytes():
                result.warnings.append(f"kept the existing {target}; the backup's differs")
            continue
        target.write_bytes(key.read_bytes())
        target.chmod(0o600)
        result.keys_installed.append(str(target))


def restore(src: Path, db_url: str, home: Path, *, force: bool = False) -> Restored:
    """Copy the backup in, migrate, verify; raises BackupError unless all of it passed."""
    folder, manifest = read_manifest(src)
    data = folder / manifest["data_file"]
    is_sqlite = db_url.startswith("sqlite")
    if (manifest.get("database") == "sqlite") != is_sqlite:
        raise BackupError(
            f"{folder} is a {manifest.get('database')} backup; this instance uses "
            f"{'sqlite' if is_sqlite else 'postgresql'} (restore into the same kind)"
        )
    lock = _lock_sqlite(db_url) if is_sqlite else None
    try:
        if is_sqlite:
            _restore_sqlite(data, db_url, force)
        db = Database(db_url)
        try:
            if not is_sqlite:
                _restore_pg(data, db, force)
            upgrade(db)
            result = _verify(db, manifest)
            _install_keys(folder, home, result)
            _check_secrets(db, home, result)
            return result
        finally:
            db.dispose()
    finally:
        if lock is not None:
            lock.release()


def _verify(db: Database, manifest: dict[str, Any]) -> Restored:
    with db.session() as s:
        checked = audit.verify(s)
        if not checked.ok:
            raise BackupError(
                f"restored, but the audit chain is broken at event {checked.first_bad_seq}: "
                f"{checked.reason}; do not use this copy"
            )
        head = manifest.get("audit_head")
        if head:
            found = s.scalar(select(AuditEvent.hash).where(AuditEvent.seq == head["seq"]))
            if found != head["hash"]:
                raise BackupError(
                    f"restored, but audit event {head['seq']} is not the one the backup "
                    "recorded; do not use this copy"
                )
        revision = s.scalar(text("SELECT version_num FROM alembic_version"))
    return Restored(revision=revision, audit_events=checked.checked)
