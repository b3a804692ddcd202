"""The read tokens of the loudspeaker feeds and day sheets (issue 10, item 3).

Kept apart from `models.py` like the desk's account tables; `models.py` imports it so
Alembic and the tests see one schema. Only the SHA-256 of a token is stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bantin.core.db import Base, UTCDateTime


class FeedToken(Base):
    """A secret in a loudspeaker feed URL: reads the feed, sheets and recordings of one
    unit (`don-vi`) or one unit group (`nhom`), nothing else. Loudspeaker software
    cannot send headers, so the token travels in the URL; revoking it closes the URL."""

    __tablename__ = "feed_token"
    __table_args__ = (
        CheckConstraint("audience_kind IN ('don-vi', 'nhom')", name="audience_kind_valid"),
        Index("ix_feed_token_audience", "audience_kind", "audience_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audience_kind: Mapped[str] = mapped_column(String(8))
    audience_key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(128))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(128))
