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
from typing import Any

from bantin import ahead, metrics
from bantin.batchwrite import Ready, Sent
from bantin.channels.base import Channel, RetryableError
from bantin.config import Settings
from bantin.core.clock import Clock
from bantin.core.db import Database
from bantin.gates import Outcome
from bantin.groupcommit import GroupCommit
from bantin.passstats import PassStats
from bantin.prepare import Holds

log = logging.getLogger("bantin.dispatch")


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
            for _ in range(count):
                self.pool.submit(_warm, channel)

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
        for ready in due:
            status = stopped.get(ready.rendered.campaign_id)
            if status is None:
                self.submit(ready, stats)
                continue
            self.put_back(ready, f"campaign {status} before its time", 0.0, stats)
            if status == "cancelled":
                self._withdrawn.append(ready.pub_id)
        return True

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
