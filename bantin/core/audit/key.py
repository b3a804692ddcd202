"""The key that anchors the audit chain: an HMAC key the database never sees.

Why: the hash chain alone proves only that the rows agree with each other; anyone who can
write the database can recompute every hash. Each event therefore also carries
HMAC-SHA256(key, its hash), and the daily signed head is MACed the same way. The key
follows the secret store's conventions (`bantin.secrets.store`), in a file of its own so
that rotating one key never touches the other:

- `BANTIN_AUDIT_KEY`: one or more comma-separated keys, newest first; otherwise
- `$BANTIN_HOME/audit.key`: one key per line, newest first, created with mode 0600 by
  `bantin init`; refused when group or others can read it.

New MACs use the first key; checks accept any key in the list, so a rotation keeps old
keys below the new one for as long as events signed with them should verify. A key is
32 random bytes in url-safe base64. Keys never appear in a message: errors name the file
and the key's position.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import stat
import threading
from pathlib import Path

from bantin.core.errors import RecordsError

log = logging.getLogger(__name__)

KEY_ENV = "BANTIN_AUDIT_KEY"
KEY_FILE = "audit.key"
MIN_KEY_BYTES = 32


class AuditKeyError(RecordsError):
    """The audit key cannot be read; the message names the file, never the key."""


def home_dir(home: Path | None = None) -> Path:
    """$BANTIN_HOME as `bantin.config.load_settings` resolves it, without reading config."""
    return home if home is not None else Path(os.environ.get("BANTIN_HOME") or "var").resolve()


def key_path(home: Path | None = None) -> Path:
    return home_dir(home) / KEY_FILE


def new_key() -> bytes:
    return base64.urlsafe_b64encode(os.urandom(MIN_KEY_BYTES))


def parse_keys(raw: list[str], where: str) -> list[bytes]:
    """Decoded keys, newest first; a bad one is named by its position only."""
    keys: list[bytes] = []
    for text in (k.strip() for k in raw):
        if not text or text.startswith("#"):
            continue
        try:
            key = base64.urlsafe_b64decode(text.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            key = b""
        if len(key) < MIN_KEY_BYTES:
            raise AuditKeyError(
                f"key #{len(keys) + 1} in {where} is not an audit key "
                f"(at least {MIN_KEY_BYTES} bytes in url-safe base64)"
            )
        keys.append(key)
    if not keys:
        raise AuditKeyError(f"{where} holds no key")
    return keys


def read_key_file(path: Path) -> list[bytes]:
    """The keys in a key file, refusing one that group or others may read."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise AuditKeyError(
                f"{path} can be read by other users (mode {mode:04o}); "
                f"bantin will not use it: run chmod 600 {path}"
            )
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not ASCII text"
        raise AuditKeyError(f"cannot read the audit key {path}: {why}") from None
    return parse_keys(text.splitlines(), str(path))


def load_keys(home: Path | None = None) -> list[bytes] | None:
    """The configured keys, newest first, or None when there is no key at all."""
    env = os.environ.get(KEY_ENV)
    if env:
        return parse_keys(env.split(","), KEY_ENV)
    path = key_path(home)
    if not path.is_file():
        return None
    return read_key_file(path)


def ensure_key_file(home: Path | None = None) -> Path | None:
    """Create `audit.key` (0600) unless a key exists already; returns it when created."""
    if os.environ.get(KEY_ENV):
        return None
    path = key_path(home)
    if path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(new_key().decode("ascii") + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return path


# -- signing ------------------------------------------------------------------------------


def mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def event_message(event_hash: str) -> str:
    """What an event's MAC covers: its hash, which covers its fields and every earlier event."""
    return f"bantin-audit-event/1:{event_hash}"


def matches(keys: list[bytes], message: str, tag: str) -> bool:
    return any(hmac.compare_digest(mac(k, message), tag) for k in keys)


# -- the appenders' key, re-read only when the file changes -----------------------------

_lock = threading.Lock()
_cache: dict[tuple[object, ...], bytes | None] = {}
_warned: set[str] = set()


def signing_key(home: Path | None = None) -> bytes | None:
    """The newest key for new events, or None (the event is then written unanchored).

    Appends must not fail because of the key: a missing or unreadable key is logged once
    per process and the event goes in without a MAC, which `audit verify` then reports.
    A stat per call is all it costs while the file is unchanged.
    """
    env = os.environ.get(KEY_ENV)
    path = key_path(home)
    try:
        st = path.stat() if not env else None
    except OSError:
        st = None
    ident: tuple[object, ...] = (
        ("env", hashlib.sha256(env.encode()).hexdigest())
        if env
        else ("file", str(path), st.st_mtime_ns, st.st_size, st.st_mode)
        if st
        else ("none", str(path))
    )
    with _lock:
        if ident in _cache:
            return _cache[ident]
    try:
        keys = load_keys(home)
    except (AuditKeyError, OSError, UnicodeDecodeError) as exc:
        _warn_once(f"audit events are written without a MAC: {exc}")
        keys = None
    if keys is None:
        log.debug("audit events are written without a MAC: no %s and no %s", KEY_ENV, path)
    key = keys[0] if keys else None
    with _lock:
        _cache.clear()
        _cache[ident] = key
    return key


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning(message)
