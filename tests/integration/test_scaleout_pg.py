"""Scale-out on PostgreSQL: singleton duties in one runner at a time (advisory locks),
rate limits shared through the database, heartbeat takeover with an injected clock, and
three `bantin run` processes on one burst where one is SIGKILLed: its claims are taken
over within seconds, nothing is lost and nothing is delivered twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bantin import health
from bantin.config import Settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import DeliveryAttempt, Publication
from bantin.dispatch import Dispatcher
from bantin.heartbeat import Heartbeat
from bantin.secrets.dbtokens import DatabaseTokenStore
from bantin.shared_limits import SharedRateLimits
from bantin.singleton import DUTIES, Duties
from tests.conftest import T0
from tests.helpers import add_channels, apply, write_campaign
from tests.integration.test_crash_recovery import SlowReceiver
from tests.integration.test_postgres import (  # noqa: F401  (fixtures)
    BURST,
    examples,
    pg,
    pg_cluster,
    pg_settings,
    pg_url,
)

pytestmark = pytest.mark.slow


def test_each_duty_runs_once_per_tick_in_one_of_two_runners(pg: Database) -> None:  # noqa: F811
    a, b = Duties(Database(pg.url)), Duties(Database(pg.url))
    runs: Counter[tuple[str, str]] = Counter()
    try:
        for _tick in range(3):
            for duty in DUTIES:
                for name, runner in (("a", a), ("b", b)):
                    runner.run(duty, lambda n=name, d=duty: runs.update([(n, d)]))()
        for duty in DUTIES:
            assert runs[("a", duty)] + runs[("b", duty)] == 3, duty
            assert runs[("b", duty)] == 0  # a took each duty first and keeps it
    finally:
        a.close()
        b.close()


def test_a_duty_passes_to_the_other_runner_when_its_holder_goes(pg: Database) -> None:  # noqa: F811
    a, b = Duties(Database(pg.url)), Duties(Database(pg.url))
    try:
        assert a.holds("materialise") and not b.holds("materialise")
        a.close()  # the holder stops (or dies: its connection ends either way)
        assert b.holds("materialise")
    finally:
        a.close()
        b.close()


def test_two_runners_share_a_channels_bucket_and_hold(pg: Database) -> None:  # noqa: F811
    now = [1_000_000.0]
    a = SharedRateLimits(Database(pg.url), lambda: now[0])
    b = SharedRateLimits(Database(pg.url), lambda: now[0])
    assert a.acquire("fb", 1.0) == 0.0
    assert b.acquire("fb", 1.0) == 1.0
    b.pause("fb", 30)
    now[0] += 1.0
    assert a.acquire("fb", 1.0) == 29.0


def test_concurrent_turns_never_spend_more_tokens_than_the_bucket_holds(
    pg: Database,  # noqa: F811
) -> None:
    now = [1_000_000.0]
    limits = [SharedRateLimits(Database(pg.url), lambda: now[0]) for _ in range(4)]
    taken: list[float] = []
    lock = threading.Lock()

    def turns(lim: SharedRateLimits) -> None:
        for _ in range(10):
            wait = lim.acquire("sms", 5.0)
            with lock:
                taken.append(wait)

    threads = [threading.Thread(target=turns, args=(lim,)) for lim in limits]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert taken.count(0.0) == 5  # capacity: one second's worth at 5/s


def test_a_stale_heartbeat_hands_the_claims_to_a_live_runner(
    pg: Database,  # noqa: F811
    pg_settings: Settings,  # noqa: F811
    home: Path,
) -> None:
    examples(pg, home)
    dead = Dispatcher(pg, pg_settings, FixedClock(BURST), "dead:1")
    try:
        claimed = len(dead.claim(BURST))
    finally:
        dead.close()
    assert claimed > 0
    health.beat(pg, "dead:1", BURST)
    kicked: list[int] = []

    def heartbeat(at: datetime) -> Heartbeat:
        return Heartbeat(
            pg,
            "live:2",
            FixedClock(at),
            every=3,
            stale_after=timedelta(seconds=15),
            on_takeover=lambda: kicked.append(1),
            stop=threading.Event(),
        )

    assert heartbeat(BURST + timedelta(seconds=14)).tick() == 0
    assert heartbeat(BURST + timedelta(seconds=16)).tick() == claimed
    assert kicked == [1]
    live = Dispatcher(pg, pg_settings, FixedClock(BURST + timedelta(seconds=16)), "live:2")
    try:
        stats = live.run_pass()
    finally:
        live.close()
    assert stats.released == claimed


def test_two_zalo_token_refreshes_never_overlap_across_runners(pg: Database) -> None:  # noqa: F811
    stores = [
        DatabaseTokenStore(Database(pg.url), "oa1", "env:A", "env:R"),
        DatabaseTokenStore(Database(pg.url), "oa1", "env:A", "env:R"),
    ]
    inside = [0]
    most = [0]
    guard = threading.Lock()

    def refresh(store: DatabaseTokenStore) -> None:
        for _ in range(5):
            with store._database_lock():  # the cross-process part of `lock()`
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.01)
                with guard:
                    inside[0] -= 1

    threads = [threading.Thread(target=refresh, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1


# -- three runner processes, one SIGKILLed mid-burst ---------------------------------------
def _runner(url: str, home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BANTIN_DB": url,
        "BANTIN_HOME": str(home),
        "BANTIN_DISPATCH_WORKERS": "3",
        "BANTIN_SAFETY_INTERVAL_SECONDS": "1",
        "BANTIN_HEARTBEAT_SECONDS": "0.5",
        "BANTIN_TAKEOVER_AFTER_SECONDS": "3",
        "BANTIN_OUTBOUND_ALLOW": "127.0.0.0/8",
        "LOA_SECRET": "bi-mat",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bantin", "run", "--for", "120"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _burst(db: Database, home: Path, tmp_path: Path, port: int) -> set[str]:
    os.environ.setdefault("LOA_SECRET", "bi-mat")
    url = f"webhook+http://127.0.0.1:{port}/b?secret=env:LOA_SECRET"
    add_channels(db, T0, [("loa-vendor", url, "COMMUNES")], home)
    due = (datetime.now(UTC) + timedelta(seconds=4)).astimezone()
    path = write_campaign(
        tmp_path / "c",
        "khan.yaml",
        f"""
        id: khan
        title: Thông báo khẩn
        task: "1.3"
        agency: COMMUNES
        kind: radio_script
        period: {{start: {due.date()}, end: {due.date() + timedelta(days=1)}}}
        schedule:
          - at: {due.isoformat(timespec="seconds")}
        targets: all
        channels: [loa-vendor]
        template: radio/ban-tin-demo.txt.j2
        priority: emergency
    """,
    )
    apply(db, [path], datetime.now(UTC), home, days=2)
    with db.session() as s:
        return set(s.execute(select(Publication.idempotency_key)).scalars())


def _busiest(db: Database, runners: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    """The runner holding the most claims (the one whose death strands the most rows)."""
    with db.session() as s:
        owners = Counter(
            s.execute(
                select(Publication.claimed_by).where(Publication.status.in_(("claimed", "sending")))
            ).scalars()
        )
    by_pid = {p.pid: p for p in runners}
    for owner, _count in owners.most_common():
        pid = int(str(owner).rsplit(":", 1)[-1])
        if pid in by_pid:
            return by_pid[pid]
    raise AssertionError(f"no runner holds a claim mid-burst: {owners}")


def _published(db: Database) -> int:
    with db.session() as s:
        return sum(1 for st in s.execute(select(Publication.status)).scalars() if st == "published")


def test_sigkill_of_one_of_three_runners_mid_burst_is_taken_over_in_seconds(
    pg: Database,  # noqa: F811
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOA_SECRET", "bi-mat")
    receiver = SlowReceiver(delay=0.3)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port = receiver.server_address[1]
    runners: list[subprocess.Popen[bytes]] = []
    try:
        keys = _burst(pg, home, tmp_path, port)
        assert len(keys) == 124
        runners = [_runner(pg.url, home, port) for _ in range(3)]
        deadline = time.monotonic() + 60
        while len(receiver.requests) < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        victim = _busiest(pg, runners)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        killed_at = time.monotonic()
        while _published(pg) < len(keys) and time.monotonic() - killed_at < 30:
            time.sleep(0.1)
        taken_over_in = time.monotonic() - killed_at
        assert _published(pg) == len(keys)
        assert taken_over_in < 10 + 124 * 0.3 / 6  # not the 120 s lease
    finally:
        for p in runners:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in runners:
            p.communicate(timeout=60)
        receiver.shutdown()
        receiver.server_close()
    assert set(receiver.accepted) == keys  # nothing lost
    assert all(n == 1 for n in receiver.accepted.values())  # accepted once each
    resent = len(receiver.requests) - len(keys)
    with pg.session() as s:
        interrupted = sum(
            1 for o in s.execute(select(DeliveryAttempt.outcome)).scalars() if o == "interrupted"
        )
    # A batch is marked `sending` before its sends: of the interrupted rows only those whose
    # request had reached the receiver show as a second request (deduplicated by its key).
    assert resent <= interrupted
