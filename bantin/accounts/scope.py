"""The one place that decides what a user or an API token may see and change.

- editors and approvers: their agency's data (publications, campaigns, channels, reports);
- culture staff: the publications and receipts of their units (unit groups expanded);
- the auditor: everything, read-only; the admin: everything;
- an API token: its agency, within its scopes (read, write, receipts, calendar).

Views and API handlers never filter by hand: they ask `publications()` for the SQL
condition, or `sees_agency` / `sees_unit` / `may_write` for a yes or no.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from bantin.core.account_models import ApiToken, UserAccount, UserScope
from bantin.core.models import Publication, UnitGroupMember

TOKEN_SCOPES = ("read", "write", "receipts", "calendar")
#: A calendar token sits in a URL (calendar apps cannot send a header), so it may do
#: nothing else: it reads the iCalendar feed of its agency and no API route.
ALONE_SCOPES = ("calendar",)
EVERYTHING = ("auditor", "admin")


@dataclass(frozen=True)
class Principal:
    """Who is asking: a logged-in user or an API token."""

    actor: str  # the audit actor: "user hoa.nguyen" or "api token #4 (label)"
    role: str  # editor | approver | culture | auditor | admin | token
    agency: str | None = None
    units: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    user_id: int | None = None
    username: str | None = None

    @property
    def sees_everything(self) -> bool:
        return self.role in EVERYTHING


def unit_codes(session: Session, user_id: int) -> frozenset[str]:
    """The units a culture-staff user works for, unit groups expanded."""
    rows = list(
        session.execute(select(UserScope.kind, UserScope.code).where(UserScope.user_id == user_id))
    )
    units = {code for kind, code in rows if kind == "unit"}
    groups = [code for kind, code in rows if kind == "group"]
    if groups:
        units |= set(
            session.scalars(
                select(UnitGroupMember.unit_code).where(UnitGroupMember.group_name.in_(groups))
            )
        )
    return frozenset(units)


def for_user(session: Session, user: UserAccount) -> Principal:
    units = unit_codes(session, user.id) if user.role == "culture" else frozenset()
    return Principal(
        actor=f"user {user.username}",
        role=user.role,
        agency=user.agency_code,
        units=units,
        user_id=user.id,
        username=user.username,
    )


def for_token(token: ApiToken) -> Principal:
    return Principal(
        actor=f"api token #{token.id} ({token.label})",
        role="token",
        agency=token.agency_code,
        scopes=frozenset(s for s in token.scopes.split(",") if s),
    )


def publications(p: Principal) -> ColumnElement[bool]:
    """The SQL condition on `Publication` for the rows `p` may see."""
    if p.sees_everything:
        return true()
    if p.role == "culture":
        return Publication.unit_code.in_(sorted(p.units)) if p.units else false()
    if p.agency:
        return Publication.agency_code == p.agency
    return false()


def sees_agency(p: Principal, agency: str | None) -> bool:
    """May `p` read data that belongs to `agency` as a whole (campaigns, reports, channels)?"""
    if p.sees_everything:
        return True
    return p.role != "culture" and p.agency is not None and agency == p.agency


def sees_unit(p: Principal, unit: str | None) -> bool:
    """May `p` read or confirm the bulletins of `unit`?"""
    if p.sees_everything:
        return True
    return p.role == "culture" and unit in p.units


def sees_publication(p: Principal, pub: Any) -> bool:
    if p.role == "culture":
        return sees_unit(p, pub.unit_code)
    return sees_agency(p, pub.agency_code)


def may_read(p: Principal) -> bool:
    return p.role != "token" or "read" in p.scopes


def may_write(p: Principal) -> bool:
    """May `p` change agency data (campaigns, approvals)? Never the auditor or culture staff."""
    if p.role == "token":
        return "write" in p.scopes
    return p.role in ("editor", "approver", "admin")


def may_post_receipts(p: Principal) -> bool:
    if p.role == "token":
        return "receipts" in p.scopes
    return p.role in ("culture", "admin")
