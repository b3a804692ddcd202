"""CSRF tokens for the receipt form page, and the Origin check for browser posts.

The form page is shown only for a live unit token; it carries a CSRF token bound to that
receipt token's id and to an expiry: `<token id>.<expires, epoch s>.<HMAC-SHA256>`, keyed
by a random key in `$BANTIN_HOME/web-csrf.key` (0600, made on first use, never in the
database). A browser post must carry it and come from this site: its `Origin` (or, when a
browser sends none, its `Referer`) must be the public URL's origin — or, without a
configured public URL, the origin the request was sent to.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from bantin.core.fileperms import secure_dir

KEY_FILE = "web-csrf.key"
LIFETIME = timedelta(hours=12)  # a form left open over a morning still posts
DEFAULT_PORTS = {"http": 80, "https": 443}


def load_key(home: Path) -> bytes:
    """The HMAC key, created 0600 on first use (two processes racing read the winner's)."""
    path = home / KEY_FILE
    secure_dir(home)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        key = secrets.token_bytes(32)
        fh.write(key.hex() + "\n")
    return key


def _read_key(path: Path) -> bytes:
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip()[:64])
    except (ValueError, UnicodeDecodeError):
        raise RuntimeError(
            f"{path} is not a bantin CSRF key: delete it to make a new one"
        ) from None


def _mac(key: bytes, token_id: int, expires: int) -> str:
    return hmac.new(key, f"{token_id}.{expires}".encode(), hashlib.sha256).hexdigest()


def issue(key: bytes, token_id: int, now: datetime) -> str:
    expires = int((now + LIFETIME).timestamp())
    return f"{token_id}.{expires}.{_mac(key, token_id, expires)}"


def valid(key: bytes, value: str | None, token_id: int, now: datetime) -> bool:
    """True for an unexpired CSRF token issued for this receipt token."""
    parts = (value or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return False
    if int(parts[0]) != token_id or int(parts[1]) < now.timestamp():
        return False
    return hmac.compare_digest(parts[2], _mac(key, token_id, int(parts[1])))


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]`, lower case, default port dropped; None if not http(s)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def same_origin(origin: str | None, referer: str | None, allowed: str | None) -> bool:
    """Did a browser send this from `allowed`? `Origin` decides when present ("null" is
    never allowed); otherwise the `Referer`; a post with neither is refused."""
    if allowed is None:
        return False
    if origin:
        return origin_of(origin) == allowed
    if referer:
        return origin_of(referer) == allowed
    return False
