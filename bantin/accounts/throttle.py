"""Login throttling: too many failures lock an account name and a client address.

Failures are rows keyed `user:<name>` and `addr:<ip>`, counted over a sliding window,
so the lock lifts by itself and survives restarts. Unknown names are counted exactly
like real ones: the lock answer never reveals whether an account exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bantin.core.account_models import LoginFailure

WINDOW = timedelta(minutes=15)
#: Failures within WINDOW before an account name is refused (even with the right password).
PER_ACCOUNT = 5
#: Failures within WINDOW before a client address is refused (a spray over many names).
PER_ADDRESS = 20


def keys(username: str, address: str | None) -> tuple[str, str]:
    return f"user:{username.strip().lower()[:64]}", f"addr:{(address or '-')[:64]}"


def _count(session: Session, key: str, now: datetime) -> int:
    return (
        session.scalar(
            select(func.count()).where(LoginFailure.key == key, LoginFailure.at > now - WINDOW)
        )
        or 0
    )


def locked(session: Session, username: str, address: str | None, now: datetime) -> bool:
    """True when the account name or the address has failed too often lately."""
    user_key, addr_key = keys(username, address)
    return (
        _count(session, user_key, now) >= PER_ACCOUNT
        or _count(session, addr_key, now) >= PER_ADDRESS
    )


def record_failure(session: Session, username: str, address: str | None, now: datetime) -> None:
    for key in keys(username, address):
        session.add(LoginFailure(key=key, at=now))
    # Old rows only slow the count down; drop them as we go.
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - WINDOW))


def clear_account(session: Session, username: str) -> None:
    """A successful login (or a password reset) forgets the account's failures."""
    user_key, _ = keys(username, None)
    session.execute(delete(LoginFailure).where(LoginFailure.key == user_key))
