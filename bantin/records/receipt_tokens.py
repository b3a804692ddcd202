"""Per-unit tokens for web receipts: who may say "we aired it" for a commune.

Until the web desk brings logins (issue 8, item 7), each unit's culture staff get a
token from the DIC: `bantin receipts token create --unit 29641 --label "Cán bộ VH"`. The
token is shown once and only its SHA-256 is stored (it is 32 random bytes, so a plain
hash is enough: there is nothing to guess). A web receipt is accepted only with a live
token of the unit it confirms for, and its audit actor is the token, never a name typed
into the form: "unit 29641 token #3 (Cán bộ VH)".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.core import audit
from bantin.core.bearer import clean_label, new_token, token_hash
from bantin.core.errors import BantinError
from bantin.core.models import ReceiptToken, Unit

PREFIX = "loa_"
#: Longest token text looked up: anything longer is not one of ours (no hashing of MBs).
MAX_TOKEN_LENGTH = 128
MAX_LABEL_LENGTH = 64


class TokenError(BantinError, ValueError):
    """A token command that cannot be done; the message is for the operator."""


@dataclass(frozen=True)
class TokenIdentity:
    """Who a valid token speaks for."""

    id: int
    unit_code: str
    label: str

    @property
    def actor(self) -> str:
        """The audit actor of what this token does."""
        return f"unit {self.unit_code} token #{self.id} ({self.label})"


def create_token(
    session: Session, unit_code: str, label: str, actor: str, now: datetime
) -> tuple[ReceiptToken, str]:
    """A new token for `unit_code`; returns the row and the token text (show it once)."""
    unit = session.get(Unit, unit_code)
    if unit is None:
        raise TokenError(f"no unit with code {unit_code} (see `bantin units list`)")
    cleaned = clean_label(label, MAX_LABEL_LENGTH)
    if cleaned is None:
        raise TokenError(f"the label must be 1 to {MAX_LABEL_LENGTH} characters")
    label, token = cleaned, new_token(PREFIX)
    row = ReceiptToken(
        unit_code=unit.code,
        label=label,
        token_hash=token_hash(token),
        created_at=now,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    audit.append(
        session, now, actor, "receipt_token.created", "receipt_token", row.id,
        {"unit": unit.code, "label": label},
    )  # fmt: skip
    return row, token


def revoke_token(session: Session, token_id: int, actor: str, now: datetime) -> ReceiptToken:
    """Revoke a token at once; revoking twice is an error (it says when it was)."""
    row = session.get(ReceiptToken, token_id)
    if row is None:
        raise TokenError(f"no receipt token #{token_id} (see `bantin receipts token list`)")
    if row.revoked_at is not None:
        raise TokenError(f"receipt token #{token_id} was already revoked at {row.revoked_at}")
    row.revoked_at, row.revoked_by = now, actor
    audit.append(
        session, now, actor, "receipt_token.revoked", "receipt_token", row.id,
        {"unit": row.unit_code, "label": row.label},
    )  # fmt: skip
    return row


def authenticate(session: Session, token: str | None) -> TokenIdentity | None:
    """The identity of a live token, or None (unknown, revoked, or not token-shaped)."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.startswith(PREFIX):
        return None
    row = session.execute(
        select(ReceiptToken).where(ReceiptToken.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    return TokenIdentity(row.id, row.unit_code, row.label)


def list_tokens(
    session: Session, tz: ZoneInfo, *, unit: str | None = None, revoked: bool = False
) -> list[dict[str, Any]]:
    """Tokens (never their text), live ones only unless `revoked`."""
    q = select(ReceiptToken).order_by(ReceiptToken.unit_code, ReceiptToken.id)
    if unit:
        q = q.where(ReceiptToken.unit_code == unit)
    if not revoked:
        q = q.where(ReceiptToken.revoked_at.is_(None))
    return [
        {
            "id": row.id,
            "unit": row.unit_code,
            "label": row.label,
            "created_local": row.created_at.astimezone(tz).isoformat(),
            "created_by": row.created_by,
            "revoked_local": row.revoked_at.astimezone(tz).isoformat() if row.revoked_at else None,
            "revoked_by": row.revoked_by,
        }
        for row in session.execute(q).scalars()
    ]
