"""Bearer tokens for `/api/v1`: one agency each, with scopes (read, write, receipts), and
calendar tokens for the iCalendar feed `/lich/<token>.ics` (that scope alone).

Shown once at creation; only the SHA-256 is stored (32 random bytes need no slow hash).
Each use records `last_used_at`, so an operator sees which tokens are alive.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.accounts.scope import ALONE_SCOPES, TOKEN_SCOPES
from bantin.core import audit
from bantin.core.account_models import ApiToken
from bantin.core.bearer import new_token, token_hash
from bantin.core.errors import BantinError
from bantin.core.models import Agency

PREFIX = "bantin_"
MAX_TOKEN_LENGTH = 128


class ApiTokenError(BantinError, ValueError):
    """A token command that cannot be done; the message is for the operator."""


def create(
    session: Session, agency: str, label: str, scopes: list[str], actor: str, now: datetime
) -> tuple[ApiToken, str]:
    """A new token of `agency`; returns the row and the token text (show it once)."""
    if session.get(Agency, agency) is None:
        raise ApiTokenError(f"no agency {agency!r} (see `bantin agency list`)")
    bad = [s for s in scopes if s not in TOKEN_SCOPES]
    if bad or not scopes:
        raise ApiTokenError(f"scopes must be some of {', '.join(TOKEN_SCOPES)}, not {bad}")
    alone = [s for s in scopes if s in ALONE_SCOPES]
    if alone and len(set(scopes)) > 1:
        raise ApiTokenError(f"a {alone[0]} token goes in a URL: give it no other scope")
    if not label.strip() or len(label) > 64:
        raise ApiTokenError("the label must have 1-64 characters")
    text = new_token(PREFIX)
    row = ApiToken(
        agency_code=agency,
        label=label.strip(),
        scopes=",".join(s for s in TOKEN_SCOPES if s in scopes),
        token_hash=token_hash(text),
        created_at=now,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        now,
        actor,
        "api_token.create",
        "api_token",
        row.id,
        {"agency": agency, "label": row.label, "scopes": row.scopes},
    )
    return row, text


def authenticate(session: Session, text: str | None, now: datetime) -> ApiToken | None:
    """The live token this text is, with its last use recorded; None otherwise."""
    if not text or len(text) > MAX_TOKEN_LENGTH or not text.startswith(PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(text)))
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = now
    return row


def list_tokens(session: Session, agency: str | None = None) -> list[dict[str, Any]]:
    q = select(ApiToken).order_by(ApiToken.id)
    if agency:
        q = q.where(ApiToken.agency_code == agency)
    return [
        {
            "id": t.id,
            "agency": t.agency_code,
            "label": t.label,
            "scopes": t.scopes,
            "created_at": t.created_at.isoformat(),
            "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
            "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
        }
        for t in session.scalars(q)
    ]


def revoke(session: Session, token_id: int, actor: str, now: datetime) -> None:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise ApiTokenError(f"no API token #{token_id} (see `bantin token list`)")
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by = now, actor
        audit.append(session, now, actor, "api_token.revoke", "api_token", row.id, {})
