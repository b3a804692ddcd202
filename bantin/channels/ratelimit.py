"""Rate limits per channel: a token bucket each, shared by every dispatch thread.

Why here and not in each channel: the dispatcher runs several threads over the same
channel, and a provider counts requests per page or per receiver, not per thread. A
channel's rate comes from its URL (`?rate=30/min`, `?rate=1/s`, `?rate=500/h`) or, when
the URL says nothing, from the channel class's `request_rate_per_sec` (None: no limit).

A provider that says "slow down" (429, Retry-After) pauses the whole channel, not only
the publication that heard it: `pause(name, seconds)` stops every thread's turn on that
channel until then.

Time is monotonic and injected (`monotonic`, `sleep`), so tests never sleep for real, and
a change of the wall clock (NTP, daylight saving elsewhere) cannot open or close a gate.

On SQLite the buckets live in the one runner's process (`RateLimits`). Several `bantin
run` processes on one PostgreSQL database share theirs in the `channel_rate` table
(`SharedRateLimits`, bantin.shared_limits): one bucket and one hold per channel,
so N runners together keep the provider's limit and all of them honour a Retry-After.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

PER = {"s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, "hour": 3600.0}

#: `sleep(seconds, stop)`: wait, returning early when `stop` is set.
Sleep = Callable[[float, threading.Event | None], None]


def parse_rate(text: str) -> float:
    """'30/min' -> 0.5 requests per second; raises ValueError with the accepted forms."""
    count, sep, per = text.strip().partition("/")
    try:
        n = float(count)
    except ValueError:
        n = -1.0
    if not sep or per not in PER or not n > 0:
        raise ValueError(f"invalid rate {text!r}: use e.g. 30/min, 1/s or 500/h")
    return n / PER[per]


def _real_sleep(seconds: float, stop: threading.Event | None) -> None:
    if stop is not None:
        stop.wait(seconds)
    else:
        time.sleep(seconds)


@dataclass
class TokenBucket:
    """`rate` tokens a second up to `capacity`; `paused_until` closes it whatever it holds.

    Not thread-safe by itself: `RateLimits` holds the lock.
    """

    rate: float | None
    capacity: float
    tokens: float
    updated: float
    paused_until: float = 0.0

    def take(self, now: float) -> float:
        """Take a token and return 0.0, or take nothing and return the seconds to wait."""
        if now < self.paused_until:
            return self.paused_until - now
        if self.rate is None:
            return 0.0
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


def capacity_for(rate: float | None) -> float:
    """A second's worth of requests, at least one: short bursts pass, minutes do not."""
    return max(1.0, rate or 1.0)


class RateLimits:
    """The buckets of one process, by channel name. Thread-safe."""

    def __init__(
        self, monotonic: Callable[[], float] = time.monotonic, sleep: Sleep = _real_sleep
    ) -> None:
        self.monotonic = monotonic
        self.sleep = sleep
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def _bucket(self, name: str, rate: float | None, now: float) -> TokenBucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            cap = capacity_for(rate)
            bucket = self._buckets[name] = TokenBucket(rate, cap, cap, now)
        elif bucket.rate != rate:  # the channel's URL changed (`channel add --replace`)
            bucket.rate, bucket.capacity = rate, capacity_for(rate)
            bucket.tokens = min(bucket.tokens, bucket.capacity)
        return bucket

    def acquire(
        self,
        name: str,
        rate: float | None,
        *,
        max_wait: float = 0.0,
        stop: threading.Event | None = None,
    ) -> float:
        """Take a turn on channel `name`, waiting up to `max_wait` seconds for it.

        Returns 0.0 when the turn is taken. Otherwise nothing is taken and the result is how
        long the channel stays closed: the caller should put its work aside until then
        rather than hold a thread (and a claim) for minutes. Also returns early, with the
        remaining wait, when `stop` is set.
        """
        deadline = self.monotonic() + max_wait
        while True:
            wait = self.take(name, rate)
            if wait <= 0.0:
                return 0.0
            if self.monotonic() + wait > deadline or (stop is not None and stop.is_set()):
                return wait
            self.sleep(wait, stop)

    def take(self, name: str, rate: float | None) -> float:
        """One turn: 0.0 when taken, else seconds to wait (see `TokenBucket.take`)."""
        with self._lock:
            now = self.monotonic()
            return self._bucket(name, rate, now).take(now)

    def pause(self, name: str, seconds: float) -> None:
        """Close channel `name` for `seconds` (a provider's Retry-After); never shortens."""
        with self._lock:
            now = self.monotonic()
            bucket = self._buckets.get(name)
            if bucket is None:
                bucket = self._buckets[name] = TokenBucket(None, 1.0, 1.0, now)
            bucket.paused_until = max(bucket.paused_until, now + max(0.0, seconds))

    def paused_for(self, name: str) -> float:
        """Seconds until channel `name` opens again (0.0 when open)."""
        with self._lock:
            bucket = self._buckets.get(name)
            return max(0.0, bucket.paused_until - self.monotonic()) if bucket else 0.0


#: For channels opened outside a dispatcher (`bantin channel test`); each dispatcher
#: brings its own, so tests and processes do not share pauses by accident.
default_limits = RateLimits()
