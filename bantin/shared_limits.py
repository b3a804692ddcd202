"""Rate limits shared by every runner on one PostgreSQL database (docs/scaling.md).

The same token bucket as `RateLimits`, kept in the `channel_rate` row of each channel and
updated under a row lock (`SELECT ... FOR UPDATE`, one short transaction a turn), so two
runners never both spend the last token. A provider's hold (429, Retry-After) is written
to the row too: every runner sees it on its next turn.

A channel without a rate only needs the hold. Its turns read the row at most once every
`HOLD_REFRESH` seconds (cached in the process), so unlimited channels cost no database
round trip per send; a hold another runner heard reaches this one within that time.

Time is wall-clock Unix seconds (`now`, injectable): runners on several machines share it
through NTP, which a per-process monotonic clock cannot give.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bantin.channels.ratelimit import RateLimits, Sleep, TokenBucket, _real_sleep, capacity_for
from bantin.core.db import Database
from bantin.core.limit_models import ChannelRate

#: Seconds a channel's hold is cached for channels without a rate.
HOLD_REFRESH = 1.0


def limits_for(db: Database) -> RateLimits | None:
    """The limits a runner on `db` shares: None on SQLite (the dispatcher keeps its own
    in-process buckets, one runner per file), the database-backed ones on PostgreSQL."""
    return None if db.is_sqlite else SharedRateLimits(db)


class SharedRateLimits(RateLimits):
    """`RateLimits` whose buckets and holds live in the database."""

    def __init__(
        self,
        db: Database,
        now: Callable[[], float] = time.time,
        sleep: Sleep = _real_sleep,
    ) -> None:
        super().__init__(monotonic=now, sleep=sleep)
        self.db = db
        self._holds: dict[str, tuple[float, float]] = {}  # name -> (read at, paused until)
        self._holds_lock = threading.Lock()

    def _row(self, s: Session, name: str, rate: float | None, now: float) -> ChannelRate:
        """The channel's row, locked; created (full bucket, open) when missing."""
        cap = capacity_for(rate)
        ins = pg_insert if self.db.engine.dialect.name == "postgresql" else sqlite_insert
        s.execute(
            ins(ChannelRate)
            .values(channel=name, tokens=cap, updated=now, paused_until=0.0)
            .on_conflict_do_nothing(index_elements=["channel"])
        )
        return s.execute(
            select(ChannelRate).where(ChannelRate.channel == name).with_for_update()
        ).scalar_one()

    def take(self, name: str, rate: float | None) -> float:
        """One turn: 0.0 when taken, else seconds to wait (see `TokenBucket.take`)."""
        now = self.monotonic()
        if rate is None:
            return max(0.0, self._hold(name, now) - now)
        with self.db.session() as s:
            row = self._row(s, name, rate, now)
            bucket = TokenBucket(
                rate, capacity_for(rate), row.tokens, row.updated, row.paused_until
            )
            wait = bucket.take(now)
            row.tokens, row.updated = bucket.tokens, bucket.updated
        self._remember(name, now, row.paused_until)
        return wait

    def pause(self, name: str, seconds: float) -> None:
        """Close channel `name` for every runner for `seconds`; never shortens a hold."""
        now = self.monotonic()
        with self.db.session() as s:
            row = self._row(s, name, None, now)
            row.paused_until = max(row.paused_until, now + max(0.0, seconds))
            until = row.paused_until
        self._remember(name, now, until)

    def paused_for(self, name: str) -> float:
        """Seconds `name` stays closed, as of at most HOLD_REFRESH ago: the dispatcher asks
        before every send, and a read per send cost a pool connection and a round trip
        each (a quarter of a runner's time with three runners)."""
        now = self.monotonic()
        return max(0.0, self._hold(name, now) - now)

    def _hold(self, name: str, now: float) -> float:
        """Until when `name` is held, from the cache when it is fresh enough."""
        with self._holds_lock:
            cached = self._holds.get(name)
        if cached is not None and now - cached[0] < HOLD_REFRESH:
            return cached[1]
        with self.db.read() as s:
            until = s.scalar(select(ChannelRate.paused_until).where(ChannelRate.channel == name))
        self._remember(name, now, until or 0.0)
        return until or 0.0

    def _remember(self, name: str, now: float, until: float) -> None:
        with self._holds_lock:
            self._holds[name] = (now, until)
