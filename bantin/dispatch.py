"""The hot path: claim due publications, render, deliver, record.

Exactly-once where the channel allows it: the `sending` state and an attempt row are
committed before the network call, every send carries the publication's stable
idempotency key, and a send interrupted by a crash is reconciled when its lease expires
(resent only to channels that deduplicate; otherwise marked `unknown` for a person).
"""

from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jinja2 import TemplateError
from sqlalchemy import Integer, bindparam, func, literal_column, select, text
from sqlalchemy.sql.expression import ColumnClause

from bantin import logjson, metrics
from bantin.campaigns.approval import prepare_reviews, with_approved_text
from bantin.campaigns.render_input import publication_input
from bantin.channels import open_channel
from bantin.channels.base import (
    AuthError,
    Channel,
    ChannelError,
    RateLimited,
    RetryableError,
)
from bantin.channels.ratelimit import RateLimits
from bantin.config import Settings
from bantin.content import audio
from bantin.content.render import Rendered, render
from bantin.core import statemachine
from bantin.core.clock import Clock, SystemClock
from bantin.core.db import Database, UTCDateTime
from bantin.core.errors import ConfigError
from bantin.core.models import CLAIM_RANK_SQL, UNSENT_SQL, Campaign, Publication
from bantin.core.models import Channel as ChannelRow
from bantin.gates import Verdict, backoff, classify, gate
from bantin.lateness import log_overdue
from bantin.outcomes import Recorder
from bantin.recovery import Recovery

log = logging.getLogger(__name__)

RADIO_BUDGET = timedelta(hours=1)  # a 05:30 bulletin aired after 06:30 has lost its audience
#: Seconds a thread waits for a rate-limited channel's turn before it puts the publication
#: aside (retry_wait) instead: a pool of threads parked on one slow channel starves all others.
TURN_WAIT = 10.0
#: How long a channel pauses after a 429 that did not say how long.
RATE_LIMIT_PAUSE = 60.0
#: The claim's priority order, spelled as the claim index spells it (see core.models).
_RANK_SQL = CLAIM_RANK_SQL.replace("priority", "publication.priority", 1)
CLAIM_RANK: ColumnClause[int] = literal_column(_RANK_SQL, Integer)
SQLITE_UNSENT_CLAIM = (
    text(
        f"SELECT publication.id, {_RANK_SQL} AS rank, publication.due_at "
        "FROM publication INDEXED BY ix_publication_claim "
        "JOIN campaign ON campaign.id = publication.campaign_id "
        f"WHERE publication.{UNSENT_SQL} AND publication.due_at <= :now "
        "AND campaign.status = 'active' "
        f"ORDER BY {_RANK_SQL}, publication.due_at, publication.id LIMIT :batch"
    )
    .bindparams(bindparam("now", type_=UTCDateTime()), bindparam("batch", type_=Integer))
    .columns(id=Integer, rank=Integer, due_at=UTCDateTime())
)


@dataclass
class PassStats:
    claimed: int = 0
    published: int = 0
    retried: int = 0
    failed: int = 0
    missed: int = 0
    unknown: int = 0
    released: int = 0
    recovered: int = 0
    reviews: int = 0
    outcomes: dict[int, str] = field(default_factory=dict)

    def count(self, pub_id: int, outcome: str) -> None:
        self.outcomes[pub_id] = outcome
        attr = {
            "published": "published",
            "retry_wait": "retried",
            "failed": "failed",
            "missed": "missed",
            "unknown": "unknown",
            "released": "released",
        }.get(outcome)
        if attr:
            setattr(self, attr, getattr(self, attr) + 1)


class Dispatcher:
    """One runner's dispatch loop; `run_pass` is what the scheduler and `dispatch --once` call."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        runner_id: str,
        stop: threading.Event | None = None,
        limits: RateLimits | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.runner_id = runner_id
        self.stop = stop or threading.Event()
        self.rng = random.Random()
        real_time = isinstance(clock, SystemClock)
        #: One token bucket per channel, shared by the pool's threads. Under an injected
        #: clock the buckets follow that clock and nothing ever sleeps: a closed channel
        #: sends its publication to `retry_wait`, and the test moves the clock.
        self.limits = limits or (
            RateLimits() if real_time else RateLimits(monotonic=lambda: clock.now().timestamp())
        )
        self.turn_wait = TURN_WAIT if real_time or limits is not None else 0.0
        public = settings.public_url
        self._audio_base = f"{public.rstrip('/')}/loa/am-thanh" if public else None
        self._channels: dict[tuple[str, str], Channel] = {}
        self.recorder = Recorder(db, clock, runner_id, settings.lease_seconds)
        self._lock = threading.Lock()
        self.pool = ThreadPoolExecutor(
            max_workers=settings.dispatch_workers, thread_name_prefix="dispatch"
        )

    # -- channels ---------------------------------------------------------------------
    def channel(self, name: str, url: str) -> Channel:
        with self._lock:
            ch = self._channels.get((name, url))
            if ch is None:
                ch = open_channel(name, url, self.settings.home)
                ch.limits = self.limits
                self._channels[(name, url)] = ch
            return ch

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        for ch in self._channels.values():
            ch.close()

    # -- one pass ---------------------------------------------------------------------
    def run_pass(self) -> PassStats:
        stats = PassStats()
        now = self.clock.now()
        self.recover_expired(now, stats)
        lead = timedelta(hours=self.settings.approval_lead_hours)
        stats.reviews = prepare_reviews(self.db, now, lead, self.runner_id)
        while not self.stop.is_set():
            ids = self.claim(self.clock.now())
            if not ids:
                break
            stats.claimed += len(ids)
            for pub_id, outcome in zip(ids, self.pool.map(self.deliver, ids), strict=True):
                stats.count(pub_id, outcome)
        log_overdue(self.db, stats.outcomes)  # each overdue send and a summary
        return stats

    def claim(self, now: datetime) -> list[int]:
        """Move a batch of due rows to `claimed` under this runner's lease.

        Two index-ordered reads, each stopping after a batch — unsent rows by (priority,
        due time) through `ix_publication_claim`, rows waiting to retry through
        `ix_publication_retry_due` — merged in claim order. One query with an OR over both
        sorted every due row: 0.5 s a claim with a million rows due.
        """
        batch = self.settings.dispatch_batch
        unsent = (
            select(Publication.id, CLAIM_RANK, Publication.due_at)
            .join(Campaign, Campaign.id == Publication.campaign_id)
            .where(text(f"publication.{UNSENT_SQL}"), Publication.due_at <= now)
            .where(Campaign.status == "active")
            .order_by(CLAIM_RANK, Publication.due_at, Publication.id)
            .limit(batch)
        )
        retry = (
            select(Publication.id, CLAIM_RANK, Publication.next_attempt_at)
            .join(Campaign, Campaign.id == Publication.campaign_id)
            .where(text("publication.status = 'retry_wait'"), Publication.next_attempt_at <= now)
            .where(Campaign.status == "active")
            .order_by(CLAIM_RANK, Publication.next_attempt_at, Publication.id)
            .limit(batch)
        )
        with self.db.session() as s:
            if self.db.is_sqlite:
                # Without ANALYZE statistics SQLite prefers the (status, due_at) index and
                # sorts every due row; the claim index is always right for this query, and
                # SQLAlchemy renders no table hints for SQLite, hence the text.
                first = s.execute(SQLITE_UNSENT_CLAIM.bindparams(now=now, batch=batch)).all()
            else:
                unsent = unsent.with_for_update(skip_locked=True, of=Publication)
                retry = retry.with_for_update(skip_locked=True, of=Publication)
                first = s.execute(unsent).all()
            found = [*first, *s.execute(retry).all()]
            found.sort(key=lambda row: (row[1], row[2], row[0]))
            ids = [row[0] for row in found[:batch]]
            lease = now + timedelta(seconds=self.settings.lease_seconds)
            moved = set(
                statemachine.move_many(
                    s,
                    ids,
                    statemachine.CLAIMABLE,
                    "claimed",
                    now,
                    self.runner_id,
                    None,
                    claimed_by=self.runner_id,
                    lease_until=lease,
                )
            )
            return [i for i in ids if i in moved]  # keep priority order, not RETURNING's

    def _budget(self, channel: Channel, kind: str) -> timedelta:
        """The channel's lateness budget, at most an hour for a radio script."""
        return min(channel.budget, RADIO_BUDGET) if kind == "radio_script" else channel.budget

    def deliver(self, pub_id: int) -> str:
        """Deliver one claimed publication; returns its new state."""
        logjson.bind(publication=pub_id)
        try:
            return metrics.count_outcome(self._deliver(pub_id))
        except Exception:  # a bug must not kill the pool; the lease brings the row back
            log.exception("unexpected error delivering publication %s", pub_id)
            return metrics.count_outcome("error")

    def _take_turn(self, pub_id: int, channel: Channel) -> str | None:
        """Wait for the channel's rate limit outside any transaction; None means go on.

        A wait must never hold the database (SQLite has one writer) nor a `sending` row (a
        crash would leave it in doubt). When the channel stays closed longer than
        TURN_WAIT, the publication goes back to `retry_wait` until it opens.
        """
        wait_max = min(self.turn_wait, self.settings.lease_seconds / 4)
        wait = channel.acquire(max_wait=wait_max, stop=self.stop)
        metrics.observe_rate_limit(channel.name, wait)
        if wait <= 0.0:
            return None
        return self.recorder.defer(pub_id, channel.name, wait)

    def _deliver(self, pub_id: int) -> str:
        """Read, decide, render, then write: slow work never runs inside a transaction.

        SQLite has one writer: a render that takes seconds, or a rate-limit wait, inside a
        write transaction would make every other publication, command and alert wait (and
        fail with "database is locked"). So facts are read in a read-only session, the
        decision is a pure function (`gate`), the render runs with no session open, and the
        state moves are short write transactions that re-check the row is still ours.
        """
        with self.db.read() as s:
            pub = s.get_one(Publication, pub_id)
            if pub.status != "claimed" or pub.claimed_by != self.runner_id:
                return "skipped"
            row = s.get_one(ChannelRow, pub.channel_name)
            campaign_kind = s.get_one(Campaign, pub.campaign_id).kind
        logjson.bind(campaign=pub.campaign_id, channel=row.name)
        channel: Channel | None = None
        config_error: str | None = None
        try:
            channel = self.channel(row.name, row.url)
        except ConfigError as exc:
            config_error = str(exc)
        if channel is not None and row.status != "broken":
            deferred = self._take_turn(pub_id, channel)
            if deferred is not None:
                return deferred
        if self.stop.is_set():
            return self.recorder.release(pub_id, "runner stopping")
        now = self.clock.now()
        verdict = gate(
            approved=not pub.needs_approval or bool(pub.approved_by),
            channel_name=row.name,
            channel_broken=row.status_reason if row.status == "broken" else None,
            channel_error=config_error,
            late=now - pub.due_at,
            budget=self._budget(channel, campaign_kind) if channel else None,
            channel_kind=channel.kind if channel else "",
            campaign_kind=campaign_kind,
        )
        if verdict is not None:
            return self.recorder.end(pub_id, verdict)
        assert channel is not None  # gate stops a publication without a working channel
        rendered = self._render(pub_id, channel)
        if isinstance(rendered, Verdict):
            return self.recorder.end(pub_id, rendered)
        started = self.recorder.start_sending(pub_id, rendered)
        if started is None:
            return "skipped"
        number, key = started
        # The state and the attempt are committed: a crash from here on is visible.
        return self._send(pub_id, number, key, channel, rendered)

    def _render(self, pub_id: int, channel: Channel) -> Rendered | Verdict:
        """Render with no transaction open; any failure becomes a `failed` verdict with the
        real reason (a template bug, a limit, OverflowError, RecursionError, MemoryError)."""
        try:
            with self.db.read() as s:
                pub = s.get_one(Publication, pub_id)
                inp = publication_input(s, pub, channel.kind)
                approved_text = (pub.title, pub.body) if pub.body and pub.approved_by else None
            rendered = render(inp)
        except Exception as exc:  # RenderFailed names the cause; anything else is a bug
            reason = str(exc) if isinstance(exc, TemplateError) and str(exc) else ""
            reason = reason or f"{type(exc).__name__}: {exc}"
            why = reason if reason.startswith("render failed") else f"render failed: {reason}"
            return Verdict("failed", why[:2000], "publication_failed")
        if approved_text is not None:  # what the reviewer approved (maybe edited) goes out
            rendered = with_approved_text(rendered, *approved_text)
        return audio.attach_existing_audio(
            rendered, pub.idempotency_key, self.settings.home, base_url=self._audio_base
        )

    def _send(
        self, pub_id: int, number: int, key: str, channel: Channel, rendered: Rendered
    ) -> str:
        """The network call, with no transaction open; its outcome is recorded after."""
        try:
            receipt = channel.publish(rendered, key)
        except ConfigError as exc:  # e.g. a secret that is not set: the channel is broken
            return self._record_failure(pub_id, number, AuthError(str(exc)))
        except ChannelError as exc:
            if isinstance(exc, RetryableError) and (
                exc.retry_after or isinstance(exc, RateLimited)
            ):
                # The provider spoke for the whole channel, not only this publication.
                channel.hold_off(exc.retry_after or RATE_LIMIT_PAUSE)
            return self._record_failure(pub_id, number, exc)
        except Exception as exc:  # a channel bug: record it, retry within the attempt limit
            log.exception("channel %s raised unexpectedly", channel.name)
            return self._record_failure(
                pub_id, number, RetryableError(f"{type(exc).__name__}: {exc}")
            )
        metrics.observe_published(channel.kind, self.clock.now() - rendered.due_at)
        return self.recorder.success(pub_id, number, receipt, channel.name)

    def _record_failure(self, pub_id: int, number: int, exc: ChannelError) -> str:
        """`number` is also the attempts made so far: the attempt row was numbered from it."""
        metrics.observe_error(exc)
        retry_after = exc.retry_after if isinstance(exc, RetryableError) else None
        outcome = classify(
            exc, number, self.settings.max_attempts, backoff(number, retry_after, self.rng)
        )
        return self.recorder.failure(pub_id, number, exc, outcome)

    # -- crash recovery ---------------------------------------------------------------
    def recover_expired(self, now: datetime, stats: PassStats) -> None:
        """Bring back rows whose runner died (see bantin.recovery)."""
        released, recovered = Recovery(
            self.db,
            self.runner_id,
            self.channel,
            hold=timedelta(seconds=self.settings.lease_seconds),
        ).run(now)
        stats.released += released
        stats.recovered += recovered

    # -- timing -----------------------------------------------------------------------
    def next_wakeup(self, now: datetime) -> datetime | None:
        """The earliest moment something will need this dispatcher."""
        lead = timedelta(hours=self.settings.approval_lead_hours)
        with self.db.session() as s:
            active = select(Campaign.id).where(Campaign.status == "active")
            candidates = [
                s.scalar(
                    select(func.min(Publication.due_at)).where(
                        Publication.status.in_(statemachine.UNSENT),
                        Publication.campaign_id.in_(active),
                    )
                ),
                s.scalar(
                    select(func.min(Publication.next_attempt_at)).where(
                        Publication.status == "retry_wait", Publication.campaign_id.in_(active)
                    )
                ),
                s.scalar(
                    select(func.min(Publication.lease_until)).where(
                        Publication.status.in_(("claimed", "sending"))
                    )
                ),
            ]
            review = s.scalar(
                select(func.min(Publication.due_at)).where(
                    Publication.status == "planned",
                    Publication.needs_approval.is_(True),
                    Publication.due_at > now + lead,
                    Publication.campaign_id.in_(active),
                )
            )
        if review is not None:
            candidates.append(review - lead)
        found = [c for c in candidates if c is not None]
        return min(found) if found else None
