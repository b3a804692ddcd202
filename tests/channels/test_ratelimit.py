"""Token buckets per channel: parsing, waiting, pauses, threads, and the dispatcher's use."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import select

from bantin import channels as channel_registry
from bantin.channels import open_channel
from bantin.channels.base import Channel, ConfigError, RateLimited, Receipt
from bantin.channels.ratelimit import RateLimits, default_limits, parse_rate
from bantin.config import Settings
from bantin.content.render import Rendered
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import Publication
from bantin.dispatch import Dispatcher
from tests.conftest import T0
from tests.helpers import add_channels, apply, write_campaign


class FakeTime:
    """A monotonic clock that moves only when someone sleeps on it (thread-safe)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float, stop: threading.Event | None) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def limits(self) -> RateLimits:
        return RateLimits(monotonic=self.monotonic, sleep=self.sleep)


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


# -- parsing and configuration ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "per_sec"),
    [("30/min", 0.5), ("1/s", 1.0), ("2/sec", 2.0), ("360/h", 0.1), ("0.5/s", 0.5)],
)
def test_rates_are_read_per_second(text: str, per_sec: float) -> None:
    assert parse_rate(text) == per_sec


@pytest.mark.parametrize("text", ["30", "x/min", "0/s", "-1/s", "5/day", "/s"])
def test_bad_rates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"use e\.g\. 30/min"):
        parse_rate(text)


def test_the_url_sets_the_rate_and_is_not_sent_to_the_receiver() -> None:
    ch = open_channel("w", "webhook+https://loa.example.vn/api?secret=env:X&rate=30/min&v=2")
    assert ch.rate_per_sec == 0.5
    assert ch.target == "https://loa.example.vn/api?v=2"  # type: ignore[attr-defined]


def test_a_bad_rate_in_the_url_is_refused_when_the_channel_is_added() -> None:
    with pytest.raises(ConfigError, match="w: invalid rate 'fast'"):
        open_channel("w", "outbox://o?rate=fast")


class SlowKind(Channel):
    schemes = ("slow",)
    kind = "slow"
    request_rate_per_sec = 0.2

    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        return Receipt()


def test_the_class_default_applies_unless_the_url_says_otherwise() -> None:
    assert SlowKind("s", "slow://x").rate_per_sec == 0.2
    assert SlowKind("s", "slow://x?rate=1/s").rate_per_sec == 1.0
    assert open_channel("o", "outbox://o").rate_per_sec is None


# -- the bucket ---------------------------------------------------------------------------


def test_without_a_rate_nobody_waits(fake: FakeTime) -> None:
    limits = fake.limits()
    assert all(limits.acquire("w", None) == 0.0 for _ in range(100))
    assert fake.sleeps == []


def test_turns_are_spaced_by_the_rate(fake: FakeTime) -> None:
    limits = fake.limits()
    assert limits.acquire("fb", 1.0, max_wait=5) == 0.0
    assert limits.acquire("fb", 1.0, max_wait=5) == 0.0
    assert fake.sleeps == [pytest.approx(1.0)]


def test_a_wait_longer_than_allowed_takes_nothing_and_says_how_long(fake: FakeTime) -> None:
    limits = fake.limits()
    limits.acquire("fb", 0.5)
    assert limits.acquire("fb", 0.5, max_wait=1.0) == pytest.approx(2.0)
    assert fake.sleeps == []
    fake.now += 2.0
    assert limits.acquire("fb", 0.5) == 0.0


def test_idle_time_refills_up_to_one_second_of_burst(fake: FakeTime) -> None:
    limits = fake.limits()
    for _ in range(3):
        assert limits.acquire("w", 3.0) == 0.0
    assert limits.acquire("w", 3.0) > 0
    fake.now += 3600  # a long idle period still allows only capacity (3) at once
    assert [limits.acquire("w", 3.0) == 0.0 for _ in range(4)] == [True, True, True, False]


def test_a_pause_closes_the_channel_for_everyone_and_only_that_channel(fake: FakeTime) -> None:
    limits = fake.limits()
    limits.pause("fb", 120)
    assert limits.acquire("fb", None, max_wait=10) == pytest.approx(120)
    assert limits.acquire("zalo", None) == 0.0
    assert limits.paused_for("fb") == pytest.approx(120)
    fake.now += 120
    assert limits.acquire("fb", None) == 0.0


def test_a_shorter_pause_never_shortens_a_longer_one(fake: FakeTime) -> None:
    limits = fake.limits()
    limits.pause("fb", 300)
    limits.pause("fb", 10)
    assert limits.paused_for("fb") == pytest.approx(300)


def test_a_short_pause_is_waited_out(fake: FakeTime) -> None:
    limits = fake.limits()
    limits.pause("fb", 3)
    assert limits.acquire("fb", None, max_wait=5) == 0.0
    assert fake.sleeps == [pytest.approx(3)]


def test_stop_ends_the_wait_early() -> None:
    stop = threading.Event()
    stop.set()
    slept: list[float] = []
    limits = RateLimits(monotonic=lambda: 0.0, sleep=lambda s, e: slept.append(s))
    limits.pause("fb", 5)
    assert limits.acquire("fb", None, max_wait=10, stop=stop) == 5
    assert slept == []


def test_threads_share_one_bucket_per_channel(fake: FakeTime) -> None:
    limits = fake.limits()
    grants: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            assert limits.acquire("fb", 2.0, max_wait=1e9) == 0.0
            with lock:
                grants.append(fake.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(grants) == 40
    # Two a second at most: over any span, grants <= capacity (2) + rate * span.
    grants.sort()
    for i, start in enumerate(grants):
        within = [g for g in grants[i:] if g - start <= 1.0]
        assert len(within) <= 2 + 2.0 * 1.0


def test_channels_outside_a_dispatcher_share_the_process_limits() -> None:
    ch = open_channel("o", "outbox://o")
    assert ch.limits is default_limits


def test_hold_off_pauses_through_the_channel(fake: FakeTime) -> None:
    ch = open_channel("o", "outbox://o")
    ch.limits = fake.limits()
    ch.hold_off(30)
    assert ch.acquire(max_wait=1) == pytest.approx(30)


# -- the dispatcher -------------------------------------------------------------------


class CountingChannel(Channel):
    schemes = ("counting",)
    kind = "counting"
    dedupes = True
    script: ClassVar[list[Exception | None]] = []
    sent: ClassVar[list[str]] = []

    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        self.sent.append(idempotency_key)
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome
        return Receipt(external_id=idempotency_key[:8], http_status=200)


@pytest.fixture(autouse=True)
def counting() -> Iterator[None]:
    CountingChannel.script, CountingChannel.sent = [], []
    channel_registry.CHANNEL_TYPES["counting"] = CountingChannel
    yield
    channel_registry.CHANNEL_TYPES.pop("counting", None)


CAMPAIGN = """
id: many
title: Nhiều bài
task: "1.1"
agency: BAOVL
kind: post
period: {start: 2026-11-28, end: 2026-12-31}
schedule:
  - at: 2026-11-28T09:00
  - at: 2026-11-28T09:01
  - at: 2026-11-28T09:02
channels: [ch]
template: t.j2
"""
AFTER = datetime(2026, 11, 28, 2, 5, tzinfo=UTC)  # 09:05 local: all three are due


def three_due(db: Database, home: Path, tmp_path: Path, url: str) -> None:
    add_channels(db, T0, [("ch", url, "BAOVL")], home)
    write_campaign(tmp_path / "c", "t.j2", "Bài {{ due_date }}\n")
    apply(db, [write_campaign(tmp_path / "c", "many.yaml", CAMPAIGN)], T0, home)


def one_worker(settings: Settings) -> Settings:
    """One dispatch thread, so the order of sends (and so of waits) is deterministic."""
    return dataclasses.replace(settings, dispatch_workers=1)


def statuses(db: Database) -> list[str]:
    with db.session() as s:
        return list(s.execute(select(Publication.status).order_by(Publication.id)).scalars())


def test_dispatch_waits_short_turns_without_sleeping_for_real(
    db: Database, settings: Settings, home: Path, tmp_path: Path, fake: FakeTime
) -> None:
    three_due(db, home, tmp_path, "counting://x?rate=1/s")
    d = Dispatcher(db, one_worker(settings), FixedClock(AFTER), "r", limits=fake.limits())
    try:
        assert d.run_pass().published == 3
    finally:
        d.close()
    assert sorted(fake.sleeps) == [pytest.approx(1.0)] * 2


def test_dispatch_puts_aside_what_a_slow_channel_cannot_take_yet(
    db: Database, settings: Settings, home: Path, tmp_path: Path, fake: FakeTime
) -> None:
    three_due(db, home, tmp_path, "counting://x?rate=1/min")
    clock = FixedClock(AFTER)
    d = Dispatcher(db, settings, clock, "r", limits=fake.limits())
    try:
        d.run_pass()
        assert sorted(statuses(db)) == ["published", "retry_wait", "retry_wait"]
        with db.session() as s:
            waiting = s.execute(
                select(Publication).where(Publication.status == "retry_wait")
            ).scalars()
            # One turn a minute: the second waits one turn, the third two (each comes due on
            # its own turn instead of both being claimed and put back at every turn).
            turns = sorted(pub.next_attempt_at for pub in waiting)
            assert turns == [AFTER + timedelta(seconds=60), AFTER + timedelta(seconds=120)]
        with db.session() as s:
            for pub in s.execute(
                select(Publication).where(Publication.status == "retry_wait")
            ).scalars():
                assert pub.attempts == 0 and "rate-limited" in (pub.status_reason or "")
        assert fake.sleeps == [] and len(CountingChannel.sent) == 1
        fake.now += 60
        clock.advance(seconds=60)
        d.run_pass()
        assert sorted(statuses(db)) == ["published", "published", "retry_wait"]
    finally:
        d.close()


def test_a_429_pauses_the_whole_channel_not_only_its_publication(
    db: Database, settings: Settings, home: Path, tmp_path: Path, fake: FakeTime
) -> None:
    three_due(db, home, tmp_path, "counting://x")
    CountingChannel.script = [RateLimited("429", retry_after=300, http_status=429)]
    d = Dispatcher(db, one_worker(settings), FixedClock(AFTER), "r", limits=fake.limits())
    try:
        d.run_pass()
    finally:
        d.close()
    assert len(CountingChannel.sent) == 1  # the other two never reached the provider
    assert statuses(db) == ["retry_wait"] * 3
    assert d.limits.paused_for("ch") == pytest.approx(300)
