"""/metrics on the web server and on `bantin run`, scraped over real HTTP on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from werkzeug.serving import make_server

from bantin.config import Settings, load_settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.dispatch import Dispatcher
from bantin.scheduler import Runner
from bantin.web import create_app
from tests.ops.conftest import EARLY, LATE, GatedChannel, burst_campaign

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> Samples:
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def web(settings: Settings, db: Database) -> Iterator[tuple[str, FixedClock]]:
    clock = FixedClock(LATE + timedelta(minutes=10))
    server = make_server("127.0.0.1", 0, create_app(settings, clock=clock, db=db), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/metrics", clock
    server.shutdown()


def test_a_scrape_during_dispatch_sees_counters_move_and_the_oldest_due(
    db: Database,
    settings: Settings,
    home: Path,
    tmp_path: Path,
    gated: type[GatedChannel],
    web: tuple[str, FixedClock],
) -> None:
    url, clock = web
    total = burst_campaign(db, home, tmp_path / "c")
    early = total // 2
    before = scrape(url)
    assert value(before, "bantin_due_unsent") == total
    assert value(before, "bantin_oldest_due_unsent_age_seconds") == 40 * 60  # 09:00 at 09:40
    assert value(before, "bantin_publications", status="planned") == total
    assert value(before, "bantin_channel_up", channel="loa", kind="gated") == 1

    gated.hold_from = LATE  # the 09:00 bulletins go out; the 09:30 ones wait in flight
    dispatcher = Dispatcher(db, settings, clock, "metrics-runner")
    burst = threading.Thread(target=dispatcher.run_pass)
    burst.start()
    try:
        assert gated.held.acquire(timeout=30)
        deadline = threading.Event()
        for _ in range(300):  # until every 09:00 delivery has been counted
            during = scrape(url)
            published = value(during, "bantin_dispatch_outcomes_total", outcome="published")
            if (
                published - value(before, "bantin_dispatch_outcomes_total", outcome="published")
                >= early
            ):
                break
            deadline.wait(0.05)
        assert value(during, "bantin_due_unsent") == total - early
        assert value(during, "bantin_oldest_due_unsent_age_seconds") == 10 * 60  # 09:30 at 09:40
        assert value(during, "bantin_publications", status="published") == early
        lateness = "bantin_publication_lateness_seconds_count"
        assert (
            value(during, lateness, channel_kind="gated")
            - value(before, lateness, channel_kind="gated")
            == early
        )
    finally:
        gated.gate.set()
        burst.join(timeout=60)
        dispatcher.close()

    after = scrape(url)
    assert value(after, "bantin_due_unsent") == 0
    assert value(after, "bantin_oldest_due_unsent_age_seconds") == 0
    assert (
        value(after, "bantin_dispatch_outcomes_total", outcome="published")
        - value(before, "bantin_dispatch_outcomes_total", outcome="published")
        == total
    )


def test_a_broken_channel_shows_as_down(
    db: Database, home: Path, tmp_path: Path, web: tuple[str, FixedClock], gated: type[GatedChannel]
) -> None:
    from bantin.core.models import Channel

    burst_campaign(db, home, tmp_path / "c")
    with db.session() as s:
        row = s.get_one(Channel, "loa")
        row.status, row.status_reason = "broken", "token revoked"
    assert value(scrape(web[0]), "bantin_channel_up", channel="loa", kind="gated") == 0


def test_bantin_run_serves_metrics_with_its_heartbeat(
    db: Database, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANTIN_METRICS_LISTEN", "127.0.0.1:0")
    runner = Runner(db, load_settings(), FixedClock(EARLY))
    runner.start()
    try:
        port = runner._metrics_server.server_port  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}/metrics"
        runner.kick()
        seen = threading.Event()
        deadline = time.monotonic() + 60  # a bound for a loaded machine, not a timing goal
        while time.monotonic() < deadline:
            samples = scrape(url)
            beat = value(samples, "bantin_runner_heartbeat_timestamp_seconds", runner=runner.id)
            if beat == EARLY.timestamp():  # not a beat left in the registry by an earlier test
                break
            seen.wait(0.05)
        assert beat == EARLY.timestamp()
        assert value(samples, "bantin_pass_duration_seconds_count", **{"pass": "materialise"}) >= 1
        assert value(samples, "bantin_database_up") == 1
    finally:
        runner.shutdown()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=2)
