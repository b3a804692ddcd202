"""The runner's heartbeat thread: proof of life for other runners, and their takeover.

Every `heartbeat_seconds` (default 3 s) the runner upserts its row in `runner_heartbeat`
(what `/healthz` also reads) and, on PostgreSQL, expires the claims of any runner whose
row is older than `takeover_after_seconds` (bantin.takeover), then wakes its own dispatch
loop so the recovery sweep settles them at once. The beat runs on its own thread, so a
long dispatch pass (a slow provider) never makes a live runner look dead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from bantin import health, takeover
from bantin.core.clock import Clock
from bantin.core.db import Database

log = logging.getLogger(__name__)


class Heartbeat:
    """Beat, and take over stale runners' claims; `tick` is one round (tests call it)."""

    def __init__(
        self,
        db: Database,
        runner_id: str,
        clock: Clock,
        *,
        every: float,
        stale_after: timedelta,
        on_takeover: Callable[[], None],
        stop: threading.Event,
    ) -> None:
        self.db = db
        self.runner_id = runner_id
        self.clock = clock
        self.every = every
        self.stale_after = stale_after
        self.on_takeover = on_takeover
        self.stop = stop
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)

    def tick(self) -> int:
        """One beat; returns how many claims of stale runners were expired."""
        now = self.clock.now()
        health.beat(self.db, self.runner_id, now)
        if self.db.is_sqlite:  # one runner per file: nobody else to take over from
            return 0
        expired = takeover.expire_stale(self.db, self.runner_id, now, self.stale_after)
        if expired:
            self.on_takeover()
        return expired

    def _loop(self) -> None:
        while not self.stop.wait(self.every):
            try:
                self.tick()
            except Exception as exc:  # the database may be restarting: beat again next round
                log.warning("heartbeat failed (%s); trying again in %g s", exc, self.every)

    def start(self) -> None:
        self.tick()
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)
