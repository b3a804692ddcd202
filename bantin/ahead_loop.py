"""The dispatcher's part in rows made ready ahead of their second (bantin.ahead): one step
of the ahead work, the hand-over when the second comes, the connections opened while
rows wait, and putting rows back unsent. A mixin of `bantin.dispatch.Dispatcher`, whose
attributes it names below."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import requests

from bantin import ahead, logjson, metrics, quietheap
from bantin.batchwrite import Ready, Sent
from bantin.channels import lean
from bantin.channels.base import Channel, RetryableError
from bantin.config import Settings
from bantin.core.clock import Clock
from bantin.core.db import Database
from bantin.gates import Outcome
from bantin.groupcommit import GroupCommit
from bantin.passstats import PassStats
from bantin.prepare import Holds
from bantin.sendresult import SendResults

if TYPE_CHECKING:
    from bantin.channels.sendloop import Done, SendLoop

log = logging.getLogger("bantin.dispatch")
#: Sends handed to the send loop at a time when a second comes.
LOOP_CHUNK = 32


class ReadyAhead:
    db: Database
    settings: Settings
    clock: Clock
    runner_id: str
    lead: float
    sleep: Callable[[float], object]
    waiting: ahead.Waiting
    holds: Holds
    pool: ThreadPoolExecutor
    commits: GroupCommit
    _writing: threading.Lock
    _ahead_channels: list[str] | None
    _warmed: bool
    _withdrawn: list[int]
    _ahead_lock: threading.Lock
    _ahead_sending: int
    _sendloop: SendLoop | None
    results: SendResults

    # Defined by Dispatcher:
    def channel(self, name: str, url: str) -> Channel:
        raise NotImplementedError

    def settle(self, ids: list[int], stats: PassStats) -> list[Ready]:
        raise NotImplementedError

    def submit(self, ready: Ready, stats: PassStats) -> None:
        raise NotImplementedError

    def step_ahead(self, stats: PassStats) -> bool:
        """One step of the ahead work when nothing is due: hand over the waiting rows whose
        second has come, else make more rows ready, else nap until the next second comes.
        False when there is nothing ahead to do."""
        if self.lead <= 0:
            return False
        now = self.clock.now()
        if self.release_due(now, stats):
            return True
        if len(self.waiting) < ahead.MAX_WAITING:
            if self._ahead_channels is None:
                held = self.holds.active(now)
                self._ahead_channels = ahead.eligible_channels(self.db, self.channel, held)
            until = now + timedelta(seconds=self.lead)
            with self._writing:
                ids = ahead.claim_ahead(self.db, self.runner_id, self.settings.dispatch_batch,
                                        self.settings.lease_seconds, now, until,
                                        self._ahead_channels)  # fmt: skip
            if ids:
                stats.claimed += len(ids)
                for ready in self.settle(ids, stats):
                    ready.built, ready.ahead = self._prebuild(ready), True
                    self.waiting.push(ready)
                return True
        nxt = self.waiting.next_due()
        if nxt is None:
            return False
        if not self._warmed:
            self.warm_connections()
            quietheap.settle()  # released at the end of the pass (Dispatcher.run_pass)
        self.sleep(min(ahead.NAP, max(0.0, (nxt - now).total_seconds())))
        return True

    def _prebuild(self, ready: Ready) -> Any:
        """The channel's part of the send done ahead; a failure here is met again, and
        recorded, by the send itself."""
        try:
            return ready.channel.prebuild(ready.rendered, ready.key)
        except Exception:
            return None

    def warm_connections(self) -> None:
        """While rows wait for their second, the pool's threads open the connections
        their sends will need (TCP and TLS handshakes, no request): as many as the workers
        in all, shared out by the channels' waiting rows."""
        self._warmed = True
        for channel, count in ahead.connections_to_open(
            self.waiting.channels(), self.settings.dispatch_workers
        ).items():
            try:
                if channel.warm_on(self.sendloop, count):  # started only if used
                    continue
            except Exception:  # the sends will meet (and record) whatever is wrong
                log.debug("warming connections of %s failed", channel.name, exc_info=True)
                continue
            for _ in range(count):
                self.pool.submit(_warm, channel)

    def sendloop(self) -> SendLoop:
        """The event loop that carries sends made ready ahead, started when first needed."""
        with self._ahead_lock:
            if self._sendloop is None:
                from bantin.channels.sendloop import SendLoop  # asyncio, h11: when needed

                self._sendloop = SendLoop(self.settings.dispatch_workers)
            return self._sendloop

    def release_due(self, now: datetime, stats: PassStats) -> bool:
        """Send the waiting rows whose second has come; a row whose campaign stopped
        meanwhile is put back unsent instead."""
        due = self.waiting.pop_due(now)
        if not due:
            return False
        stopped = ahead.inactive_campaigns(self.db, {r.rendered.campaign_id for r in due})
        going = [r for r in due if r.rendered.campaign_id not in stopped]
        with self._ahead_lock:
            self._ahead_sending += len(going)
        if going:
            self.commits.hold()  # the outcomes wait for the burst: ahead_sent releases them
        looped: list[tuple[lean.Prepared, Done]] = []
        for ready in due:
            status = stopped.get(ready.rendered.campaign_id)
            if status is None:
                if not self._to_loop(ready, stats, looped):
                    self.submit(ready, stats)
                elif len(looped) >= LOOP_CHUNK:  # the loop starts while the rest are signed
                    self.sendloop().send(looped)
                    looped = []
                continue
            self.put_back(ready, f"campaign {status} before its time", 0.0, stats)
            if status == "cancelled":
                self._withdrawn.append(ready.pub_id)
        if looped:
            self.sendloop().send(looped)
        return True

    def _to_loop(
        self, ready: Ready, stats: PassStats, looped: list[tuple[lean.Prepared, Done]]
    ) -> bool:
        """Put a send on the send loop (its request and what to do with the answer), or
        settle it here when it cannot go (paused channel, secret not set, address
        refused); False when it goes on a thread instead (`submit`)."""
        if ready.built is None:
            return False
        done = self.results.counter(ready, stats)
        started = self.clock.now()  # the attempt's start: the hand-over to the loop
        sent = self.results.paused(ready, done)
        if sent is None:
            try:
                send = ready.channel.loop_send(ready.built, ready.rendered, ready.key)
            except Exception as exc:
                sent = self.results.of(ready, done, started, error=exc)
            else:
                if send is None:
                    return False
                looped.append((send.request, self._answered(ready, send, done, started)))
                return True
        self.commits.put(sent)
        self.ahead_sent()
        return True

    def _answered(
        self, ready: Ready, send: lean.LoopSend, done: Callable[[str], None], started: datetime
    ) -> Done:
        """The loop's callback for one send: its outcome to the group commit."""

        def answered(answer: requests.Response | None, failure: Exception | None) -> None:
            logjson.bind(publication=ready.pub_id, channel=ready.channel.name)
            try:
                if failure is not None:
                    raise send.failed(cast(requests.RequestException, failure))
                receipt = send.read(cast(requests.Response, answer))
            except Exception as exc:
                sent = self.results.of(ready, done, started, error=exc)
            else:
                sent = self.results.of(ready, done, started, receipt=receipt)
            try:
                self.commits.put(sent)
            finally:
                self.ahead_sent()

        return answered

    def ahead_sent(self) -> None:
        """A send made ready ahead has finished; the last of a burst releases the held
        outcomes."""
        with self._ahead_lock:
            self._ahead_sending -= 1
            if self._ahead_sending <= 0:
                self._ahead_sending = 0
                self.commits.release()

    def put_back_waiting(self, stats: PassStats) -> None:
        """A stopping runner's waiting rows go back unsent, due again at their time (for
        this or another runner)."""
        now = self.clock.now()
        for ready in self.waiting.pop_all():
            wait = max(0.0, (ready.rendered.due_at - now).total_seconds())
            self.put_back(ready, "runner stopping", wait, stats)

    def put_back(self, ready: Ready, why: str, retry_in: float, stats: PassStats) -> None:
        """A `sending` row that was not sent: its attempt ends `not_sent`, the row waits
        to be retried (the group commit writes it like any outcome)."""
        why = f"{why}; not sent"
        outcome = Outcome("retry_wait", why, "not_sent", retry_in=retry_in)

        def done(state: str) -> None:
            stats.count(ready.pub_id, metrics.count_outcome(state))

        self.commits.put(Sent(ready.pub_id, ready.number, ready.channel.name, None,
                              RetryableError(why), outcome, done))  # fmt: skip


def _warm(channel: Channel) -> None:
    try:
        channel.warm()
    except Exception:  # the send will meet (and record) whatever is wrong
        log.debug("warming a connection of %s failed", channel.name, exc_info=True)
