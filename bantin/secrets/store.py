"""The encrypted secret store behind `secret:NAME` references (Fernet, in the `secret` table).

Why: channel URLs must name their credentials, never hold them, and not every
deployment can put a Page token in the environment of every process. The store keeps
them in the database, encrypted with a key the database never sees:

- `BANTIN_SECRET_KEY`: one or more comma-separated Fernet keys, newest first (for
  hosts that inject secrets through the environment); otherwise
- `$BANTIN_HOME/secret.key`: one key per line, newest first, created with mode 0600 by
  `bantin init`; refused when group or others can read it.

Values never go into an exception, a log line or the audit trail: errors name the
secret, audit events say who set or deleted which name. Every read loads the key again
(a small file), so a rotation by another process applies at once.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.config import load_settings
from bantin.core import audit
from bantin.core.db import Database
from bantin.core.errors import ConfigError
from bantin.core.models import AgencySetting, Channel, Secret
from bantin.secrets import resolve as refs
from bantin.secrets import tokens

KEY_ENV = "BANTIN_SECRET_KEY"
KEY_FILE = "secret.key"
OLD_SUFFIX = ".old"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


class SecretStoreError(ConfigError):
    """The store cannot do what was asked; the message names secrets, never values."""


class SecretNotFound(SecretStoreError):
    def __init__(self, name: str) -> None:
        super().__init__(f"secret {name!r} is not in the store (bantin secret set {name})")


def _home(home: Path | None) -> Path:
    return home if home is not None else load_settings().home


def key_path(home: Path | None = None) -> Path:
    return _home(home) / KEY_FILE


def check_name(name: str) -> str:
    if not NAME_RE.fullmatch(name):
        raise SecretStoreError(
            f"invalid secret name {name!r}: use letters, digits, '.', '_' and '-' (at most 128)"
        )
    return name


def _parse_keys(raw: list[str], where: str) -> list[bytes]:
    keys = [k.strip().encode() for k in raw if k.strip() and not k.strip().startswith("#")]
    if not keys:
        raise SecretStoreError(f"{where} holds no key")
    for i, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError:
            # The key itself is a secret: say which one, never what it is.
            raise SecretStoreError(
                f"key #{i} in {where} is not a Fernet key (32 url-safe base64 bytes)"
            ) from None
    return keys


def read_key_file(path: Path) -> list[bytes]:
    """The keys in a key file, refusing one that group or others may read."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SecretStoreError(
            f"{path} can be read by other users (mode {mode:04o}); "
            f"bantin will not use it: run chmod 600 {path}"
        )
    return _parse_keys(path.read_text(encoding="ascii").splitlines(), str(path))


def load_keys(home: Path | None = None) -> list[bytes]:
    """The current keys, newest first: the environment wins over the key file."""
    env = os.environ.get(KEY_ENV)
    if env:
        return _parse_keys(env.split(","), KEY_ENV)
    path = key_path(home)
    if not path.is_file():
        raise SecretStoreError(
            f"no secret key: set {KEY_ENV} or run `bantin init`, which creates {path}"
        )
    return read_key_file(path)


def keyring(home: Path | None = None) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in load_keys(home)])


def key_from_env() -> bool:
    return bool(os.environ.get(KEY_ENV))


def _write_key_file(path: Path, keys: list[bytes]) -> None:
    """Write keys atomically, readable by the owner only from the first byte."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write("".join(k.decode() + "\n" for k in keys))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def ensure_key_file(home: Path | None = None) -> Path | None:
    """Create the key file (0600) unless a key exists already; returns it when created."""
    if key_from_env():
        return None
    path = key_path(home)
    if path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_key_file(path, [Fernet.generate_key()])
    return path


# -- the store ---------------------------------------------------------------------------


def set_secret(
    session: Session,
    name: str,
    value: str,
    now: datetime,
    *,
    actor: str | None = None,
    home: Path | None = None,
) -> str:
    """Store `value` under `name` (encrypted); returns "added" or "updated"."""
    check_name(name)
    if not value:
        raise SecretStoreError(f"secret {name!r}: the value is empty; nothing was stored")
    token = keyring(home).encrypt(value.encode("utf-8")).decode("ascii")
    row = session.get(Secret, name)
    what = "updated" if row is not None else "added"
    if row is None:
        session.add(Secret(name=name, ciphertext=token, created_at=now, updated_at=now))
    else:
        row.ciphertext, row.updated_at = token, now
    who = actor or audit.current_actor()
    audit.append(session, now, who, f"secret.{what}", "secret", name, {"name": name})
    return what


def get_secret(session: Session, name: str, *, home: Path | None = None) -> str:
    """The value of `name`; SecretNotFound or SecretStoreError otherwise (without it)."""
    row = session.get(Secret, name)
    if row is None:
        raise SecretNotFound(name)
    try:
        return keyring(home).decrypt(row.ciphertext.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise SecretStoreError(
            f"secret {name!r} cannot be decrypted with the current key(s): was the key "
            f"rotated elsewhere? Put the key it was stored with in {KEY_ENV} or the key file"
        ) from None


def delete_secret(session: Session, name: str, now: datetime, *, actor: str | None = None) -> None:
    row = session.get(Secret, name)
    if row is None:
        raise SecretNotFound(name)
    session.delete(row)
    who = actor or audit.current_actor()
    audit.append(session, now, who, "secret.deleted", "secret", name, {"name": name})


def list_names(session: Session) -> list[Secret]:
    """Rows in name order; callers show names and dates only (the ciphertext is no use)."""
    return list(session.execute(select(Secret).order_by(Secret.name)).scalars())


def rotate(
    session: Session,
    new_key: bytes,
    *,
    home: Path | None = None,
    now: datetime | None = None,
    actor: str | None = None,
) -> int:
    """Re-encrypt every secret under `new_key` (MultiFernet.rotate); returns how many.

    Reads with the current keys plus `new_key`, so a rotation interrupted half-way and
    run again still works. The caller commits, then puts `new_key` where the next
    process finds it (see `key_file_rotation`).
    """
    ring = MultiFernet([Fernet(new_key), *(Fernet(k) for k in load_keys(home))])
    rows = list_names(session)
    for row in rows:
        try:
            row.ciphertext = ring.rotate(row.ciphertext.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise SecretStoreError(
                f"secret {row.name!r} cannot be decrypted with the current key(s); "
                "nothing was rotated"
            ) from None
    if now is not None:
        who = actor or audit.current_actor()
        audit.append(session, now, who, "secret.rotated", "secret", "*", {"count": len(rows)})
    session.flush()
    return len(rows)


@contextmanager
def key_file_rotation(home: Path | None = None) -> Iterator[bytes]:
    """A new key for the key file, installed so no reader is ever left without a key.

    Before the caller's transaction: the current file is copied to `secret.key.old` and
    the file holds new + old keys, so a process reading during the rotation decrypts both
    old and new rows. On success the file keeps only the new key and the copy goes; on
    failure the old file is put back.
    """
    path = key_path(home)
    old_path = path.with_name(path.name + OLD_SUFFIX)
    if key_from_env() or not path.is_file():
        raise SecretStoreError(f"no key file to rotate at {path}")
    old_keys = read_key_file(path)
    new_key = Fernet.generate_key()
    shutil.copy2(path, old_path)
    os.chmod(old_path, 0o600)
    try:
        _write_key_file(path, [new_key, *old_keys])
        yield new_key
    except BaseException:
        os.replace(old_path, path)
        raise
    _write_key_file(path, [new_key])
    old_path.unlink()


# -- the process-wide lookup ----------------------------------------------------------


class StoreLookup:
    """`secret:NAME` for `resolve`, read from a database in a short session of its own."""

    def __init__(self, db: Database, home: Path | None = None) -> None:
        self.db = db
        self.home = home

    def __call__(self, name: str) -> str:
        with self.db.session() as s:
            return get_secret(s, name, home=self.home)


def install(db: Database, home: Path | None = None) -> None:
    """Make `secret:NAME` resolvable in this process (`bantin.secrets.resolve`), and keep
    renewed channel tokens encrypted in the database (`bantin.secrets.tokens`)."""
    refs.install_store(StoreLookup(db, home))
    from bantin.secrets.dbtokens import DatabaseTokenStore  # it builds on this module

    tokens.install_store_factory(
        lambda oa, access, refresh: DatabaseTokenStore(db, oa, access, refresh, home)
    )


def broken_channels_using(session: Session, name: str) -> list[str]:
    """Broken channels whose URL refers to `secret:NAME`: setting it may repair them."""
    users = used_by(session, name)
    broken = session.execute(select(Channel).where(Channel.status == "broken")).scalars()
    return [c.name for c in broken if f"channel {c.name}" in users]


def used_by(session: Session, name: str) -> list[str]:
    """Where `secret:NAME` is referred to: channels and agencies' notify URLs."""
    ref = f"secret:{name}"

    def refers(url: str | None) -> bool:
        query = urlsplit(url or "").query
        return any(v == ref for _, v in parse_qsl(query, keep_blank_values=True))

    found = [
        f"channel {c.name}" for c in session.execute(select(Channel)).scalars() if refers(c.url)
    ]
    found += [
        f"agency {a.agency_code} notify"
        for a in session.execute(select(AgencySetting)).scalars()
        if refers(a.notify_url)
    ]
    return sorted(found)
