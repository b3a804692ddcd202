"""Rate limits in the database: two runners (two SharedRateLimits on one database) share
one bucket and one hold per channel. Time is injected; nothing sleeps."""

from __future__ import annotations

import threading

from sqlalchemy import event

from bantin.core.db import Database
from bantin.shared_limits import HOLD_REFRESH, SharedRateLimits


class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _no_sleep(seconds: float, stop: threading.Event | None) -> None:
    raise AssertionError("a test must never sleep")


def pair(db: Database, clock: Clock) -> tuple[SharedRateLimits, SharedRateLimits]:
    return SharedRateLimits(db, clock, _no_sleep), SharedRateLimits(db, clock, _no_sleep)


def test_two_runners_share_one_bucket(db: Database) -> None:
    clock = Clock()
    a, b = pair(db, clock)
    assert a.acquire("fb", 1.0) == 0.0  # the bucket holds one second's worth: 1 token
    assert b.acquire("fb", 1.0) == 1.0  # the other runner finds it spent
    clock.t += 1.0
    assert b.acquire("fb", 1.0) == 0.0
    assert a.acquire("fb", 1.0) > 0.0


def test_a_hold_heard_by_one_runner_closes_the_channel_for_the_other(db: Database) -> None:
    clock = Clock()
    a, b = pair(db, clock)
    b.acquire("zalo", 5.0)  # b has seen the channel open
    a.pause("zalo", 30)
    assert b.acquire("zalo", 5.0) == 30.0
    assert b.paused_for("zalo") == 30.0


def test_an_unlimited_channel_sees_another_runners_hold_within_the_refresh(
    db: Database,
) -> None:
    clock = Clock()
    a, b = pair(db, clock)
    assert b.acquire("hook", None) == 0.0  # cached: open
    a.pause("hook", 60)
    clock.t += HOLD_REFRESH
    assert b.acquire("hook", None) == 60.0 - HOLD_REFRESH


def test_a_hold_is_never_shortened(db: Database) -> None:
    clock = Clock()
    a, b = pair(db, clock)
    a.pause("fb", 60)
    b.pause("fb", 5)
    assert a.paused_for("fb") == 60.0


def test_the_check_before_each_send_reads_the_hold_at_most_once_a_refresh(
    db: Database,
) -> None:
    clock = Clock()
    a, b = pair(db, clock)
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert [a.paused_for("hook") for _ in range(10)] == [0.0] * 10
    assert len([s for s in statements if "channel_rate" in s]) == 1  # not one a send
    b.pause("hook", 60)
    clock.t += HOLD_REFRESH
    assert a.paused_for("hook") == 60.0 - HOLD_REFRESH  # another runner's hold, in time
