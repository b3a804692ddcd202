"""The hot path: claim due publications, render, deliver, record.

Exactly-once where the channel allows it: the `sending` state and an attempt row are
committed before the network call, every send carries the publication's stable
idempotency key, and a send interrupted by a crash is reconciled when its lease expires
(resent only to channels that deduplicate; otherwise marked `unknown` for a person).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bantin import ahead, logjson, metrics, quietheap, wakeup
from bantin.ahead_loop import ReadyAhead
from bantin.batchwrite import Ready, Sent, record_sent, settle_batch
from bantin.campaigns.approval import prepare_reviews
from bantin.campaigns.render_input import RowCache
from bantin.channels import open_channel
from bantin.channels.base import Channel
from bantin.channels.ratelimit import RateLimits
from bantin.claim import SQLITE_UNSENT_CLAIM, claim_batch
from bantin.config import Settings
from bantin.core import audit
from bantin.core.clock import Clock, SystemClock
from bantin.core.db import Database
from bantin.groupcommit import GroupCommit, commit
from bantin.lateness import log_overdue
from bantin.passstats import PassStats
from bantin.prepare import RADIO_BUDGET, Holds, Preparer
from bantin.recovery import Recovery
from bantin.sendresult import SendResults

if TYPE_CHECKING:
    from bantin.channels.sendloop import SendLoop

log = logging.getLogger(__name__)

__all__ = ["RADIO_BUDGET", "SQLITE_UNSENT_CLAIM", "Dispatcher", "PassStats"]
#: Seconds a thread waits for a rate-limited channel's turn before it puts the publication
#: aside (retry_wait) instead: a pool of threads parked on one slow channel starves all others.
TURN_WAIT = 10.0
#: PostgreSQL: seconds between a runner's seals of the staged audit events during a pass.
SEAL_EVERY = 1.0


class Dispatcher(ReadyAhead):
    """One runner's dispatch loop; `run_pass` is what the scheduler and `dispatch --once` call."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        runner_id: str,
        stop: threading.Event | None = None,
        limits: RateLimits | None = None,
        lead: float | None = None,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.runner_id = runner_id
        self.stop = stop or threading.Event()
        real_time = isinstance(clock, SystemClock)
        #: One token bucket per channel, shared by the pool's threads. Under an injected
        #: clock the buckets follow that clock and nothing ever sleeps: a closed channel
        #: sends its publication to `retry_wait`, and the test moves the clock.
        self.limits = limits or (
            RateLimits() if real_time else RateLimits(monotonic=lambda: clock.now().timestamp())
        )
        self.turn_wait = TURN_WAIT if real_time or limits is not None else 0.0
        #: Seconds ahead of their due time that rows are made ready (bantin.ahead); under
        #: an injected clock only when the test asks, with a `sleep` that moves that clock.
        self.lead = (
            lead if lead is not None else (settings.dispatch_lead_seconds if real_time else 0.0)
        )
        self.sleep: Callable[[float], object] = sleep or self.stop.wait
        self.waiting = ahead.Waiting()
        self._ahead_channels: list[str] | None = None
        self._warmed = False
        self._withdrawn: list[int] = []
        self._ahead_lock = threading.Lock()
        self._ahead_sending = 0
        self._sendloop: SendLoop | None = None
        public = settings.public_url
        self._audio_base = f"{public.rstrip('/')}/loa/am-thanh" if public else None
        self._channels: dict[tuple[str, str], Channel] = {}
        self._lock = threading.Lock()
        self.pool = ThreadPoolExecutor(
            max_workers=settings.dispatch_workers, thread_name_prefix="dispatch"
        )
        self.holds = Holds()
        self.results = SendResults(clock, self.holds, settings.max_attempts)
        self.preparer = Preparer(db, clock, runner_id, self.channel, self.stop, self.turn_wait,
                                 self.holds, self._audio_base, settings.home)  # fmt: skip
        self.commits = GroupCommit(self._write)
        #: Sends handed to the pool and not yet finished: as many as the workers, at least two
        #: batches; claims run ahead of the sends by that much, never by the whole backlog
        #: (leases run).
        self._max_in_flight = max(2 * max(1, settings.dispatch_batch), settings.dispatch_workers)
        self._in_flight = threading.BoundedSemaphore(self._max_in_flight)
        self._cache = RowCache()
        #: The hot path's write transactions take turns in the process: SQLite's busy
        #: handler waits for a busy write lock by sleeping (up to 100 ms at a time), which
        #: made the claim, the batch and the group commit stall each other.
        self._writing = threading.Lock()
        self._sealed_at = 0.0

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
        if self._sendloop is not None:
            self._sendloop.close()
        self.commits.close()
        for ch in self._channels.values():
            ch.close()

    # -- one pass ---------------------------------------------------------------------
    def run_pass(self) -> PassStats:
        """Claim batch after batch until nothing is due; each batch is prepared and
        settled while the pool still sends the previous one."""
        stats = PassStats()
        self._cache = RowCache()
        now = self.clock.now()
        self.recover_expired(now, stats)
        lead = timedelta(hours=self.settings.approval_lead_hours)
        stats.reviews = prepare_reviews(self.db, now, lead, self.runner_id)
        self._ahead_channels, self._warmed = None, False
        try:
            while not self.stop.is_set():
                ids = self.claim(self.clock.now())
                if ids:
                    stats.claimed += len(ids)
                    self.deliver_batch(ids, stats)
                elif not self.step_ahead(stats):
                    break
            self.put_back_waiting(stats)
            self.wait_for_sends()
        finally:
            if self._warmed:  # rows waited for their second: the heap was frozen
                quietheap.release()
        ahead.cancel_withdrawn(self.db, self._withdrawn, self.clock.now(), self.runner_id)
        self._withdrawn = []
        self.seal(wait=True)
        log_overdue(self.db, stats.outcomes)  # each overdue send and a summary
        return stats

    def wait_for_sends(self) -> None:
        """Wait for the pass's sends and their group commits."""
        for _ in range(self._max_in_flight):
            self._in_flight.acquire()
        for _ in range(self._max_in_flight):
            self._in_flight.release()
        if self._sendloop is not None:
            self._sendloop.wait_idle()
        self.commits.flush()

    def claim(self, now: datetime) -> list[int]:
        """Move a batch of due rows to `claimed` under this runner's lease.

        Two index-ordered reads, each stopping after a batch — unsent rows by (priority,
        due time) through `ix_publication_claim`, rows waiting to retry through
        `ix_publication_retry_due` — merged in claim order. One query with an OR over both
        sorted every due row: 0.5 s a claim with a million rows due.
        """
        held = list(self.holds.active(now))  # their rows would only be put back: see Holds
        with self._writing:
            return claim_batch(
                self.db,
                self.runner_id,
                self.settings.dispatch_batch,
                self.settings.lease_seconds,
                now,
                held,
            )

    def deliver(self, pub_id: int) -> str:
        """Deliver one claimed publication and record its outcome before returning (the
        batch path's behaviour for a single row: tests and tools use it)."""
        stats = PassStats()
        self.deliver_batch([pub_id], stats, sync=True)
        return stats.outcomes.get(pub_id, "skipped")

    def deliver_batch(self, ids: list[int], stats: PassStats, sync: bool = False) -> None:
        """Prepare and settle the claimed batch (`settle`), then hand the sends to the
        pool; their outcomes reach the database through the group commit. `sync`: send
        and record in this thread."""
        for ready in self.settle(ids, stats):
            # The state and the attempt are committed: a crash from here on is visible.
            if sync:
                commit(self._write, [self._send(ready, stats)])
            else:
                self.submit(ready, stats)

    def settle(self, ids: list[int], stats: PassStats) -> list[Ready]:
        """Prepare the batch outside any transaction and settle it in ONE write
        transaction: every row that goes out is `sending` with its attempt committed before
        its network call. Returns those rows; the others are counted."""
        try:
            plan = self.preparer.prepare(ids, self._cache)
            with self._writing:
                states = settle_batch(
                    self.db, self.clock, self.runner_id, self.settings.lease_seconds, plan
                )
        except Exception:  # a bug must not kill the runner; the lease brings the rows back
            log.exception("unexpected error preparing publications %s", ids)
            for pub_id in ids:
                stats.count(pub_id, metrics.count_outcome("error"))
            return []
        for pub_id, state in states.items():
            if state != "sending":
                stats.count(pub_id, metrics.count_outcome(state))
        return [r for r in plan.ready if states.get(r.pub_id) == "sending"]

    def submit(self, ready: Ready, stats: PassStats) -> None:
        self._in_flight.acquire()
        self.pool.submit(self._send_and_queue, ready, stats)

    def _send_and_queue(self, ready: Ready, stats: PassStats) -> None:
        try:
            self.commits.put(self._send(ready, stats))
        except Exception:  # a bug must not kill the pool; the lease brings the row back
            log.exception("unexpected error sending publication %s", ready.pub_id)
            stats.count(ready.pub_id, metrics.count_outcome("error"))
        finally:
            if ready.ahead:
                self.ahead_sent()
            self._in_flight.release()

    def _write(self, sent: Sequence[Sent]) -> dict[int, str]:
        with self._writing:
            states = record_sent(self.db, self.clock, self.runner_id, sent)
        self.seal(wait=False)
        return states

    def seal(self, wait: bool) -> None:
        """PostgreSQL: chain the audit events staged by every runner (bantin.core.audit.
        pending) — at most every SEAL_EVERY seconds during a pass and skipped while another
        runner seals; at the end of a pass always, waiting for the head."""
        now = time.monotonic()
        if self.db.is_sqlite or (not wait and now - self._sealed_at < SEAL_EVERY):
            return
        self._sealed_at = now
        try:
            with self.db.session() as s:
                audit.seal(s) if wait else audit.seal_if_free(s)
        except Exception:  # the events stay staged; the next seal chains them
            log.exception("sealing the staged audit events failed")

    def _send(self, ready: Ready, stats: PassStats) -> Sent:
        """The network call, with no transaction open; its outcome is recorded after."""
        channel, rendered = ready.channel, ready.rendered
        logjson.bind(publication=ready.pub_id, channel=channel.name)
        done = self.results.counter(ready, stats)
        paused = self.results.paused(ready, done)
        if paused is not None:
            return paused
        started = self.clock.now()  # the attempt's start: the network call, not the marking
        try:
            if ready.built is not None:
                receipt = channel.publish_prebuilt(ready.built, rendered, ready.key)
            else:
                receipt = channel.publish(rendered, ready.key)
        except Exception as exc:
            return self.results.of(ready, done, started, error=exc)
        return self.results.of(ready, done, started, receipt=receipt)

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
        """The earliest moment something will need this dispatcher (bantin.wakeup)."""
        lead = timedelta(hours=self.settings.approval_lead_hours)
        ahead_by = timedelta(seconds=self.lead)
        return wakeup.next_wakeup(self.db, now, lead, self.holds.active(now), ahead_by)
