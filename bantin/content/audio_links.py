"""Signed recording URLs for push vendors: `/loa/am-thanh/<key>.<ext>?exp=…&sig=…`.

Why: a push vendor gets the recording's URL at send time and cannot send a feed token, so
the URL itself must be the credential. The file name alone (the publication's key) is
derived from campaign, channel, unit and due time and can be guessed by anyone who knows
the schedule; the signature cannot. It is HMAC-SHA256 over the file name and the expiry,
keyed by the audit key (`bantin.core.audit.key`: `BANTIN_AUDIT_KEY` or
`$BANTIN_HOME/audit.key`, which the runner and the web process share already), with its
own message prefix so it can never stand for an audit MAC. Rotating the audit key keeps
the old keys in the list, so URLs already handed out stay valid until they expire.

An installation without an audit key gets a key of its own in `$BANTIN_HOME/audio-url.key`
(0600, made on first use), so recordings are never served unsigned.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from bantin.core.audit import key as audit_key
from bantin.core.fileperms import key_file

#: How long a handed-out URL works: the vendor fetches at send time, or replays the
#: bulletin later the same day or the next; after that the link is dead.
LIFETIME = timedelta(days=2)
FALLBACK_KEY_FILE = "audio-url.key"
#: What reading a key can raise: a refused or malformed audit key, an unreadable file.
KEY_ERRORS = (audit_key.AuditKeyError, OSError, ValueError, UnicodeDecodeError)


def _message(filename: str, expires: int) -> str:
    return f"bantin-audio-url/1:{filename}:{expires}"


def _fallback_key(home: Path) -> bytes:
    """A key of its own when there is no audit key."""
    return key_file(home / FALLBACK_KEY_FILE)


def keys(home: Path) -> list[bytes]:
    """The signing keys, newest first: the audit keys, else the fallback key."""
    return audit_key.load_keys(home) or [_fallback_key(home)]


def signed_url(base_url: str, filename: str, home: Path, now: datetime) -> str:
    """`<base_url>/<filename>?exp=<epoch s>&sig=<hex>`, valid for LIFETIME from `now`."""
    expires = int((now + LIFETIME).timestamp())
    sig = audit_key.mac(keys(home)[0], _message(filename, expires))
    return f"{base_url.rstrip('/')}/{filename}?{urlencode({'exp': expires, 'sig': sig})}"


def valid(filename: str, exp: str | None, sig: str | None, home: Path, now: datetime) -> bool:
    """True for an unexpired signature of exactly this file name under any current key;
    False too when no key can be read (the recording is then refused, never served)."""
    if not exp or not exp.isdigit() or not sig or int(exp) < now.timestamp():
        return False
    message = _message(filename, int(exp))
    try:
        current = keys(home)
    except KEY_ERRORS:
        return False
    return any(hmac.compare_digest(audit_key.mac(k, message), sig) for k in current)
