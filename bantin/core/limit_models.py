"""The rate-limit state every runner shares (bantin.channels.ratelimit.SharedRateLimits):
one token bucket and one hold per channel, so N runners on PostgreSQL together keep a
provider's limit and all respect its Retry-After."""

from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from bantin.core.db import Base


class ChannelRate(Base):
    """A channel's bucket: tokens left at `updated`, and closed until `paused_until`.

    Times are Unix seconds (wall clock; runners keep NTP time), not datetimes: the bucket
    is arithmetic on them.
    """

    __tablename__ = "channel_rate"
    channel: Mapped[str] = mapped_column(String(128), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated: Mapped[float] = mapped_column(Float)
    paused_until: Mapped[float] = mapped_column(Float)
