"""Fast takeover with an injected clock: the SQLite run-lock holder takes over every other
runner's claims at once; a runner whose heartbeat went stale has its claims taken over
by a live one; nothing waits out the 120 s lease."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from bantin import health, takeover
from bantin.config import Settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.heartbeat import Heartbeat
from tests.test_dispatch import (  # noqa: F401  (autouse fixtures)
    DUE,
    ScriptedChannel,
    closes_dispatchers,
    crash_mid_send,
    dispatcher,
    only_pub,
    scripted,
    setup_campaign,
)

SOON = DUE + timedelta(seconds=5)  # well inside the 120 s lease


def test_without_takeover_a_dead_runners_claim_waits_for_its_lease(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    dispatcher(db, settings, FixedClock(DUE)).claim(DUE)  # then that runner dies
    stats = dispatcher(db, settings, FixedClock(SOON)).run_pass()
    assert (stats.released, stats.published) == (0, 0)


def test_the_run_lock_holder_takes_over_other_runners_claims_at_once(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    dispatcher(db, settings, FixedClock(DUE)).claim(DUE)
    assert takeover.expire_all_but(db, "restarted", SOON) == 1
    stats = dispatcher(db, settings, FixedClock(SOON)).run_pass()
    assert (stats.released, stats.published) == (1, 1)


def test_an_interrupted_send_taken_over_is_reconciled_not_blindly_resent(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    pub = crash_mid_send(db, settings, home, tmp_path, "scripted://x")
    ScriptedChannel.delivered.add(pub.idempotency_key)
    assert takeover.expire_all_but(db, "restarted", SOON) == 1
    stats = dispatcher(db, settings, FixedClock(SOON)).run_pass()
    assert stats.recovered == 1
    assert only_pub(db).status == "published"
    assert ScriptedChannel.sent == []  # the provider had it: not sent a second time


def test_the_holder_keeps_its_own_claims(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    dispatcher(db, settings, FixedClock(DUE)).claim(DUE)  # runner id "test-runner"
    assert takeover.expire_all_but(db, "test-runner", SOON) == 0


def test_claims_of_a_runner_with_a_stale_heartbeat_are_taken_over(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    dispatcher(db, settings, FixedClock(DUE)).claim(DUE)
    health.beat(db, "test-runner", DUE)
    after = timedelta(seconds=15)
    assert takeover.expire_stale(db, "live", DUE + timedelta(seconds=14), after) == 0
    assert takeover.expire_stale(db, "live", DUE + timedelta(seconds=16), after) == 1
    stats = dispatcher(db, settings, FixedClock(DUE + timedelta(seconds=16))).run_pass()
    assert (stats.released, stats.published) == (1, 1)


def test_a_runner_that_keeps_beating_keeps_its_claims(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    dispatcher(db, settings, FixedClock(DUE)).claim(DUE)
    health.beat(db, "test-runner", DUE + timedelta(seconds=10))
    now = DUE + timedelta(seconds=16)
    assert takeover.expire_stale(db, "live", now, timedelta(seconds=15)) == 0


def test_a_runner_that_never_beat_is_left_to_its_lease(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    setup_campaign(db, home, tmp_path)
    dispatcher(db, settings, FixedClock(DUE)).claim(DUE)
    now = DUE + timedelta(seconds=60)
    assert takeover.expire_stale(db, "live", now, timedelta(seconds=15)) == 0


def test_a_heartbeat_tick_records_the_runner_for_healthz(db: Database) -> None:
    beat = Heartbeat(
        db,
        "r1",
        FixedClock(DUE),
        every=3,
        stale_after=timedelta(seconds=15),
        on_takeover=lambda: None,
        stop=threading.Event(),
    )
    assert beat.tick() == 0  # SQLite: nobody to take over from
    assert health.check(db, DUE).checks["runner_heartbeat_age_seconds"] == 0.0


def test_bantin_run_on_sqlite_takes_over_at_start(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    from bantin.scheduler import Runner

    setup_campaign(db, home, tmp_path)
    dispatcher(db, settings, FixedClock(DUE)).claim(DUE)  # a runner that then died
    runner = Runner(db, settings, FixedClock(SOON))
    runner.start()
    try:
        done = threading.Event()
        for _ in range(200):  # the first pass runs on the runner's own thread
            if only_pub(db).status == "published":
                break
            done.wait(0.05)
    finally:
        runner.shutdown()
    assert only_pub(db).status == "published"
