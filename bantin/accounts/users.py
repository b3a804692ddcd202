"""User accounts: add, list, disable, reset a password, and log in.

The CLI (`bantin user …`) and the web desk call these; every change is an audit event
carrying the actor (the operator's name in the CLI, `user <name>` in the web).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.accounts import passwords, throttle
from bantin.core import audit
from bantin.core.account_models import ROLES, UserAccount, UserScope
from bantin.core.errors import BantinError
from bantin.core.models import Agency, Unit, UnitGroup

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
#: Roles that act for one agency; the auditor and the admin see every agency.
AGENCY_ROLES = ("editor", "approver")


class UserError(BantinError, ValueError):
    """A user command that cannot be done; the message is for the operator."""


@dataclass(frozen=True)
class NewUser:
    username: str
    display_name: str
    role: str
    agency: str | None = None
    units: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    demo: bool = False


def _check(session: Session, new: NewUser) -> None:
    if not USERNAME.match(new.username):
        raise UserError(
            f"user name {new.username!r}: use 2-64 lower-case letters, digits, '.', '_' or '-'"
        )
    if new.role not in ROLES:
        raise UserError(f"role {new.role!r} is not one of {', '.join(ROLES)}")
    if new.role in AGENCY_ROLES and not new.agency:
        raise UserError(f"an {new.role} belongs to an agency: give --agency")
    if new.agency and session.get(Agency, new.agency) is None:
        raise UserError(f"no agency {new.agency!r} (see `bantin agency list`)")
    if new.role == "culture" and not (new.units or new.groups):
        raise UserError("culture staff work for units: give --unit or --group")
    for code in new.units:
        if session.get(Unit, code) is None:
            raise UserError(f"no unit {code!r}")
    for name in new.groups:
        if session.get(UnitGroup, name) is None:
            raise UserError(f"no unit group {name!r}")
    if session.scalar(select(UserAccount.id).where(UserAccount.username == new.username)):
        raise UserError(f"user {new.username!r} already exists")


def add_user(
    session: Session, new: NewUser, password: str | None, actor: str, now: datetime
) -> tuple[UserAccount, str]:
    """Create the account; returns it and its password (generated when none is given)."""
    _check(session, new)
    secret = password or passwords.one_time_password()
    user = UserAccount(
        username=new.username,
        display_name=new.display_name,
        role=new.role,
        agency_code=new.agency,
        password_hash=passwords.hash_password(secret),
        active=True,
        demo=new.demo,
        created_at=now,
    )
    session.add(user)
    session.flush()
    for kind, codes in (("unit", new.units), ("group", new.groups)):
        for code in codes:
            session.add(UserScope(user_id=user.id, kind=kind, code=code))
    audit.append(session, now, actor, "user.add", "user", user.id, describe(session, user))
    return user, secret


def get_user(session: Session, username: str) -> UserAccount:
    user = session.scalar(select(UserAccount).where(UserAccount.username == username))
    if user is None:
        raise UserError(f"no user {username!r} (see `bantin user list`)")
    return user


def scopes_of(session: Session, user_id: int) -> list[tuple[str, str]]:
    rows = session.execute(
        select(UserScope.kind, UserScope.code)
        .where(UserScope.user_id == user_id)
        .order_by(UserScope.kind, UserScope.code)
    )
    return [(k, c) for k, c in rows]


def describe(session: Session, user: UserAccount) -> dict[str, Any]:
    """The account as the CLI and the audit log show it (never the hash)."""
    return {
        "username": user.username,
        "name": user.display_name,
        "role": user.role,
        "agency": user.agency_code,
        "units": [c for k, c in scopes_of(session, user.id) if k == "unit"],
        "groups": [c for k, c in scopes_of(session, user.id) if k == "group"],
        "active": user.active,
        "demo": user.demo,
    }


def list_users(session: Session) -> list[dict[str, Any]]:
    users = session.scalars(select(UserAccount).order_by(UserAccount.username))
    return [describe(session, u) for u in users]


def disable_user(session: Session, username: str, actor: str, now: datetime) -> None:
    user = get_user(session, username)
    user.active, user.disabled_at = False, now
    audit.append(session, now, actor, "user.disable", "user", user.id, {"username": username})


def reset_password(
    session: Session, username: str, password: str | None, actor: str, now: datetime
) -> str:
    """A new password (generated unless given); failures are forgotten, the account active."""
    user = get_user(session, username)
    secret = password or passwords.one_time_password()
    user.password_hash = passwords.hash_password(secret)
    throttle.clear_account(session, username)
    audit.append(
        session, now, actor, "user.reset_password", "user", user.id, {"username": username}
    )
    return secret


def login(
    session: Session, username: str, password: str, address: str | None, now: datetime
) -> UserAccount | None:
    """The active account these credentials open, or None — the same None for an unknown
    name, a wrong password, a disabled account and a throttled name or address; the
    password is verified in every case so the time does not tell them apart either."""
    is_locked = throttle.locked(session, username, address, now)
    user = session.scalar(
        select(UserAccount).where(UserAccount.username == username.strip().lower()[:64])
    )
    ok = passwords.verify(user.password_hash if user else None, password)
    if is_locked or user is None or not ok or not user.active:
        throttle.record_failure(session, username, address, now)
        return None
    throttle.clear_account(session, username)
    user.last_login_at = now
    audit.append(session, now, f"user {user.username}", "user.login", "user", user.id, {})
    return user
