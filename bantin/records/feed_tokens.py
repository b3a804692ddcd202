"""Read tokens for the loudspeaker feeds, day sheets and recordings (issue 10, item 3).

Each unit (or unit group) gets tokens from the DIC (`bantin feeds token create 29641`)
or from its culture staff on the desk. A token is shown once; only its SHA-256 is kept
(it is 32 random bytes, so a plain hash is enough). It opens the feed of its own unit or
group and nothing else: another unit's URL with it is a 404, as is a revoked token.
Loudspeaker software cannot send headers, so the token travels in the URL (`?token=`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.core import audit
from bantin.core.bearer import clean_label, new_token, token_hash
from bantin.core.errors import BantinError
from bantin.core.feed_token_models import FeedToken
from bantin.core.models import Unit, UnitGroup

PREFIX = "doc_"
MAX_TOKEN_LENGTH = 128
MAX_LABEL_LENGTH = 64
KINDS = ("don-vi", "nhom")
#: `last_used_at` is written at most this often: a feed polled every minute by 124
#: communes must not turn every read into a write.
TOUCH_EVERY = timedelta(minutes=10)


class FeedTokenError(BantinError, ValueError):
    """A token command that cannot be done; the message is for the operator."""


@dataclass(frozen=True)
class FeedReader:
    """What a live token may read."""

    id: int
    kind: str
    key: str

    def opens(self, kind: str, key: str) -> bool:
        return (self.kind, self.key) == (kind, key)


def _check_audience(session: Session, kind: str, key: str) -> None:
    if kind not in KINDS:
        raise FeedTokenError(f"audience kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind == "don-vi" and session.get(Unit, key) is None:
        raise FeedTokenError(f"no unit with code {key} (see `bantin units list`)")
    if kind == "nhom" and session.get(UnitGroup, key) is None:
        raise FeedTokenError(f"no unit group named {key}")


def create_token(
    session: Session, kind: str, key: str, label: str, actor: str, now: datetime
) -> tuple[FeedToken, str]:
    """A new token for the unit or group; returns the row and the token (show it once)."""
    _check_audience(session, kind, key)
    cleaned = clean_label(label, MAX_LABEL_LENGTH)
    if cleaned is None:
        raise FeedTokenError(f"the label must be 1 to {MAX_LABEL_LENGTH} characters")
    label, token = cleaned, new_token(PREFIX)
    row = FeedToken(
        audience_kind=kind,
        audience_key=key,
        label=label,
        token_hash=token_hash(token),
        created_at=now,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    audit.append(
        session, now, actor, "feed_token.created", "feed_token", row.id,
        {"audience": f"{kind}/{key}", "label": label},
    )  # fmt: skip
    return row, token


def revoke_token(
    session: Session,
    token_id: int,
    actor: str,
    now: datetime,
    *,
    units: frozenset[str] | None = None,
) -> FeedToken:
    """Revoke at once; `units` limits it to tokens of those units (culture staff)."""
    row = session.get(FeedToken, token_id)
    if row is None or (
        units is not None and (row.audience_kind != "don-vi" or row.audience_key not in units)
    ):
        raise FeedTokenError(f"no feed token #{token_id} (see `bantin feeds token list`)")
    if row.revoked_at is not None:
        raise FeedTokenError(f"feed token #{token_id} was already revoked at {row.revoked_at}")
    row.revoked_at, row.revoked_by = now, actor
    audit.append(
        session, now, actor, "feed_token.revoked", "feed_token", row.id,
        {"audience": f"{row.audience_kind}/{row.audience_key}", "label": row.label},
    )  # fmt: skip
    return row


def authenticate(session: Session, token: str | None, now: datetime) -> FeedReader | None:
    """The reader of a live token, or None; notes the use (at most every TOUCH_EVERY)."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.startswith(PREFIX):
        return None
    row = session.execute(
        select(FeedToken).where(FeedToken.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
    return FeedReader(row.id, row.audience_kind, row.audience_key)


def _local(when: datetime | None, tz: ZoneInfo) -> str | None:
    return when.astimezone(tz).isoformat() if when else None


def list_tokens(
    session: Session,
    tz: ZoneInfo,
    *,
    kind: str | None = None,
    keys: list[str] | None = None,
    revoked: bool = False,
) -> list[dict[str, Any]]:
    """Tokens (never their text), live ones only unless `revoked`; optionally of some
    units or groups."""
    q = select(FeedToken).order_by(FeedToken.audience_kind, FeedToken.audience_key, FeedToken.id)
    if kind is not None:
        q = q.where(FeedToken.audience_kind == kind)
    if keys is not None:
        q = q.where(FeedToken.audience_key.in_(sorted(keys)))
    if not revoked:
        q = q.where(FeedToken.revoked_at.is_(None))
    return [
        {
            "id": row.id,
            "audience": f"{row.audience_kind}/{row.audience_key}",
            "kind": row.audience_kind,
            "key": row.audience_key,
            "label": row.label,
            "created_local": _local(row.created_at, tz),
            "created_by": row.created_by,
            "last_used_local": _local(row.last_used_at, tz),
            "revoked_local": _local(row.revoked_at, tz),
            "revoked_by": row.revoked_by,
        }
        for row in session.execute(q).scalars()
    ]
