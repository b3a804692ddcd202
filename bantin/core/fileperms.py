"""Private files: what bantin creates in its home is for its own user only.

The database holds the audit trail, encrypted secrets and the receipt-token hashes; the
lock and key files are no business of other local users either. New folders are made
0700 and new files 0600 regardless of the umask. Something that already exists and that
others can reach (an older bantin made the home 0755 and the database 0644) loses the
access for others, but keeps any group access an operator chose (0750 / 0640 for a
backup group), and only if this user owns it: bantin never chmods a shared folder.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

OTHERS = stat.S_IRWXO


def _narrow(path: Path) -> None:
    """Drop others' access to `path` if this user owns it (never follows a symlink's
    target into someone else's folder: the owner check is on the target we would chmod)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    if st.st_uid != os.geteuid() or st.st_mode & stat.S_ISVTX:
        return  # not ours, or a shared sticky folder such as /tmp
    if st.st_mode & OTHERS:
        path.chmod(stat.S_IMODE(st.st_mode) & ~OTHERS)


def secure_dir(path: Path, *, narrow_existing: bool = True) -> Path:
    """Create `path` (and missing parents, as mkdir -p does) with the last one 0700."""
    if path.is_dir():
        if narrow_existing:
            _narrow(path)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        _narrow(path)  # another process made it first: treat it as an existing one
        return path
    path.chmod(0o700)  # mkdir's mode is masked by the umask; make it exact
    return path


def secure_home(home: Path) -> Path:
    """bantin's home folder: created 0700, an existing one loses others' access."""
    return secure_dir(home)


def secure_file(path: Path) -> Path:
    """Create an empty `path` 0600 if missing (SQLite then gives its -wal and -shm files
    the same mode); an existing one loses others' access."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _narrow(path)
        for companion in (Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
            _narrow(companion)
        return path
    os.fchmod(fd, 0o600)
    os.close(fd)
    return path


def key_file(path: Path) -> bytes:
    """A random 32-byte key kept hex-encoded in `path`, created 0600 in a 0700 folder on
    first use; two processes racing read the winner's."""
    secure_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text(encoding="ascii").strip()[:64])
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    return key
