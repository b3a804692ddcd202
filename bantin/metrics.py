"""Prometheus metrics: what an operator watches to know bantin is doing its job.

Two sources, one registry per endpoint:

- counters and histograms of *this process* (`PROCESS`): dispatch outcomes, delivery
  errors by class, lateness per channel kind, rate-limit waits, pass durations, the
  runner's heartbeat, the last backup. The dispatcher and the runner feed them through
  the small `observe_*` functions below (one line at each place an outcome is recorded).
- gauges read from the database at scrape time (`DatabaseCollector`): publications by
  state, due-but-unsent count and the age of the oldest, channel state, open alerts,
  overdue annual reports. These are the truth for every process (the web server, a
  second runner on PostgreSQL), so the alerts in docs/operations.md rest on them.

`bantin serve` mounts `/metrics`; `bantin run` listens on BANTIN_METRICS_LISTEN.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import and_, func, or_, select

from bantin.config import DEFAULT_TZ
from bantin.core import statemachine
from bantin.core.clock import Clock
from bantin.core.db import Database
from bantin.core.models import Alert, AnnualReport, Campaign, Publication
from bantin.core.models import Channel as ChannelRow

log = logging.getLogger(__name__)

PROCESS = CollectorRegistry(auto_describe=True)
LATENESS_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, float("inf"))
PASS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, float("inf"))

OUTCOMES = Counter(
    "bantin_dispatch_outcomes",
    "Publications a dispatch pass finished with, by resulting state.",
    ["outcome"],
    registry=PROCESS,
)
ERRORS = Counter(
    "bantin_delivery_errors",
    "Failed delivery attempts by error class (RetryableError, RateLimited, AuthError, ...).",
    ["error_class"],
    registry=PROCESS,
)
LATENESS = Histogram(
    "bantin_publication_lateness_seconds",
    "Seconds between a publication's due time and its publication, per channel kind.",
    ["channel_kind"],
    buckets=LATENESS_BUCKETS,
    registry=PROCESS,
)
RATE_LIMIT_WAITS = Counter(
    "bantin_rate_limit_waits",
    "Times a publication was put aside because its channel was rate-limited.",
    ["channel"],
    registry=PROCESS,
)
RATE_LIMIT_SECONDS = Counter(
    "bantin_rate_limit_wait_seconds",
    "Seconds channels stayed closed when a publication asked for its turn.",
    ["channel"],
    registry=PROCESS,
)
PASS_SECONDS = Histogram(
    "bantin_pass_duration_seconds",
    "How long a materialisation or dispatch pass took.",
    ["pass"],
    buckets=PASS_BUCKETS,
    registry=PROCESS,
)
HEARTBEAT = Gauge(
    "bantin_runner_heartbeat_timestamp_seconds",
    "When this runner's dispatch loop last completed a pass (Unix time).",
    ["runner"],
    registry=PROCESS,
)
LAST_BACKUP = Gauge(
    "bantin_last_backup_timestamp_seconds",
    "When this process last completed a scheduled backup (Unix time).",
    registry=PROCESS,
)


# -- what the dispatcher and the runner call ----------------------------------------------
def count_outcome(outcome: str) -> str:
    """Count one delivery's resulting state; returns it so a call wraps a return value."""
    OUTCOMES.labels(outcome).inc()
    return outcome


def observe_error(exc: BaseException) -> None:
    ERRORS.labels(type(exc).__name__).inc()


def observe_published(channel_kind: str, lateness: timedelta) -> None:
    LATENESS.labels(channel_kind).observe(max(0.0, lateness.total_seconds()))


def observe_rate_limit(channel: str, wait: float) -> None:
    if wait > 0:
        RATE_LIMIT_WAITS.labels(channel).inc()
        RATE_LIMIT_SECONDS.labels(channel).inc(wait)


def heartbeat(runner: str, at: datetime) -> None:
    HEARTBEAT.labels(runner).set(at.timestamp())


def timed(pass_name: str) -> Any:
    """`with metrics.timed("dispatch"):` records the pass's duration."""
    return PASS_SECONDS.labels(pass_name).time()


# -- what the database says at scrape time ----------------------------------------------
def channel_kind(url: str) -> str:
    scheme = url.split("://", 1)[0] if "://" in url else "unknown"
    return scheme.split("+", 1)[0]


class DatabaseCollector(Collector):
    """Gauges computed from the database on every scrape (a few indexed aggregates)."""

    def __init__(self, db: Database, clock: Clock, tz: ZoneInfo | None = None) -> None:
        self.db = db
        self.clock = clock
        self.tz = tz or ZoneInfo(DEFAULT_TZ)

    def describe(self) -> Iterable[Metric]:
        return []  # computed at scrape time; no database access at registration

    def collect(self) -> Iterator[Metric]:
        try:
            yield from self._collect()
        except Exception:  # a scrape must not take the web server down with the database
            log.exception("metrics: the database could not be read")
            up = GaugeMetricFamily("bantin_database_up", "1 when the database answered.")
            up.add_metric([], 0)
            yield up

    def _collect(self) -> Iterator[Metric]:
        now = self.clock.now()
        with self.db.session() as s:
            by_state = s.execute(
                select(Publication.status, func.count()).group_by(Publication.status)
            ).all()
            due = or_(
                and_(Publication.status.in_(statemachine.UNSENT), Publication.due_at <= now),
                and_(Publication.status == "retry_wait", Publication.due_at <= now),
                Publication.status.in_(("claimed", "sending")),
            )
            count, oldest = s.execute(
                select(func.count(), func.min(Publication.due_at))
                .join(Campaign, Campaign.id == Publication.campaign_id)
                .where(due, Campaign.status == "active")
            ).one()
            channels = s.execute(select(ChannelRow.name, ChannelRow.url, ChannelRow.status)).all()
            open_alerts = s.scalar(
                select(func.count()).select_from(Alert).where(Alert.resolved_at.is_(None))
            )
            overdue = _overdue_reports(s, now, self.tz)
        yield _gauge("bantin_database_up", "1 when the database answered.", [([], 1)])
        yield _gauge(
            "bantin_publications",
            "Publications by state.",
            [([st], n) for st, n in by_state],
            ["status"],
        )
        yield _gauge(
            "bantin_due_unsent",
            "Publications of active campaigns past their due time and not yet settled.",
            [([], count or 0)],
        )
        age = (now - _aware(oldest)).total_seconds() if oldest is not None else 0.0
        yield _gauge(
            "bantin_oldest_due_unsent_age_seconds",
            "Age of the oldest due-but-unsent publication (0 when none).",
            [([], max(0.0, age))],
        )
        yield _gauge(
            "bantin_channel_up",
            "1 when a channel works, 0 when it is broken (credentials refused, ...).",
            [([n, channel_kind(u)], 0 if st == "broken" else 1) for n, u, st in channels],
            ["channel", "kind"],
        )
        yield _gauge("bantin_alerts_open", "Alerts not yet resolved.", [([], open_alerts or 0)])
        yield _gauge(
            "bantin_reports_overdue",
            "Annual reports past their deadline (5 December) and not submitted.",
            [([], overdue)],
        )


def _overdue_reports(s: Any, now: datetime, tz: ZoneInfo) -> int:
    """Reports of past years, or of this year from 5 December, not yet submitted."""
    # bantin.records.deadlines.deadline, without importing the report renderers.
    due = datetime.combine(date(now.year, 12, 5), time.min, tz)
    year = now.year if now >= due else now.year - 1
    return int(
        s.scalar(
            select(func.count())
            .select_from(AnnualReport)
            .where(AnnualReport.year <= year, AnnualReport.status != "submitted")
        )
        or 0
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _gauge(
    name: str, doc: str, samples: list[tuple[list[str], float]], labels: list[str] | None = None
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels or [])
    for values, value in samples:
        family.add_metric(values, value)
    return family


class _Process(Collector):
    """The process-wide counters, shared into each endpoint's registry."""

    def collect(self) -> Iterator[Metric]:
        yield from PROCESS.collect()


def registry(db: Database, clock: Clock, tz: ZoneInfo | None = None) -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(_Process())
    reg.register(DatabaseCollector(db, clock, tz))
    return reg


def exposition(reg: CollectorRegistry) -> tuple[bytes, str]:
    """The text a scrape receives, and its content type."""
    return generate_latest(reg), CONTENT_TYPE_LATEST


def serve(
    listen: str, db: Database, clock: Clock, tz: ZoneInfo | None = None
) -> tuple[Any, threading.Thread]:
    """Start `/metrics` for `bantin run` on HOST:PORT; returns (server, thread)."""
    host, _, port = listen.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise ValueError(f"BANTIN_METRICS_LISTEN={listen!r}: expected HOST:PORT") from None
    server, thread = start_http_server(
        number, addr=host or "127.0.0.1", registry=registry(db, clock, tz)
    )
    log.info("metrics on http://%s:%d/metrics", host or "127.0.0.1", server.server_port)
    return server, thread
