"""Password hashing (argon2id) and the one-time passwords bantin hands out.

A login for an unknown user still verifies against a fixed dummy hash, so it costs the
same time as a wrong password and the answer cannot tell the two apart.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bantin.core.errors import BantinError

#: argon2id, RFC 9106's second recommended set (64 MiB, 3 passes) made lighter for a
#: 2-core server: 19 MiB, 2 passes, the OWASP minimum.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_LENGTH = 10
MAX_LENGTH = 256
_DUMMY = HASHER.hash("bantin-dummy-password-for-timing")


class PasswordError(BantinError, ValueError):
    """A password that cannot be used; the message says why."""


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordError(f"the password must have at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    check_strength(password)
    return HASHER.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """True when `password` matches `stored`; with no stored hash, the same work is done."""
    try:
        return HASHER.verify(stored or _DUMMY, password[:MAX_LENGTH]) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def one_time_password() -> str:
    """A password to print once (16 URL-safe characters, about 96 bits)."""
    return secrets.token_urlsafe(12)
