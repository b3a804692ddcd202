"""What a send came to, as the group commit records it: the one place that turns a
receipt or a channel's error into a `Sent`, for sends on a dispatch thread
(`Dispatcher._send`) and on the send loop (`bantin.ahead_loop`) alike.

An error is classified by `bantin.gates` (retry with backoff, give up, channel broken); a
provider that spoke for the whole channel (a 429, a Retry-After) closes it for everybody
(`Channel.hold_off`) and for the runner's claims (`Holds`).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from bantin import metrics
from bantin.batchwrite import Ready, Sent
from bantin.channels.base import AuthError, ChannelError, RateLimited, Receipt, RetryableError
from bantin.core.clock import Clock
from bantin.core.errors import ConfigError
from bantin.gates import Outcome, backoff, classify
from bantin.passstats import PassStats
from bantin.prepare import Holds

log = logging.getLogger("bantin.dispatch")

#: How long a channel pauses after a 429 that did not say how long.
RATE_LIMIT_PAUSE = 60.0

#: Called with the state a row was recorded in (to count it in the pass's figures).
Done = Callable[[str], None]


class SendResults:
    """Builds the `Sent` of each send; shared by every sending thread and the loop."""

    def __init__(self, clock: Clock, holds: Holds, max_attempts: int) -> None:
        self.clock, self.holds, self.max_attempts = clock, holds, max_attempts
        self.rng = random.Random()

    @staticmethod
    def counter(ready: Ready, stats: PassStats) -> Done:
        """Counts the row's recorded state in the pass's figures."""

        def done(state: str) -> None:
            stats.count(ready.pub_id, metrics.count_outcome(state))

        return done

    def paused(self, ready: Ready, done: Done) -> Sent | None:
        """A row of a channel paused by its provider since it was prepared: not sent (do
        not knock again); None when the channel is open."""
        channel = ready.channel
        paused = channel.limits.paused_for(channel.name)
        if paused <= 0.0:
            return None
        why = f"channel {channel.name} is paused by its provider for {paused:.0f} s; not sent"
        not_sent = Outcome("retry_wait", why, "not_sent", retry_in=paused)
        return Sent(ready.pub_id, ready.number, channel.name, None,
                    RateLimited(why, retry_after=paused), not_sent, done)  # fmt: skip

    def of(
        self,
        ready: Ready,
        done: Done,
        started: datetime,
        receipt: Receipt | None = None,
        error: Exception | None = None,
    ) -> Sent:
        """Its receipt, or its error classified (a channel bug is retried within the
        attempt limit)."""
        channel, rendered = ready.channel, ready.rendered
        if error is None:
            metrics.observe_published(channel.kind, self.clock.now() - rendered.due_at)
            return Sent(ready.pub_id, ready.number, channel.name, receipt, done=done,
                        started_at=started)  # fmt: skip
        if isinstance(error, ConfigError):  # e.g. a secret that is not set: channel broken
            return self._failure(ready, AuthError(str(error)), done, started)
        if not isinstance(error, ChannelError):
            log.error("channel %s raised unexpectedly", channel.name, exc_info=error)
            wrapped = RetryableError(f"{type(error).__name__}: {error}")
            return self._failure(ready, wrapped, done, started)
        if isinstance(error, RetryableError) and (
            error.retry_after or isinstance(error, RateLimited)
        ):
            # The provider spoke for the whole channel, not only this publication.
            channel.hold_off(error.retry_after or RATE_LIMIT_PAUSE)
            pause = timedelta(seconds=error.retry_after or RATE_LIMIT_PAUSE)
            self.holds.hold(channel.name, self.clock.now() + pause)
        return self._failure(ready, error, done, started)

    def _failure(self, ready: Ready, exc: ChannelError, done: Done, started: datetime) -> Sent:
        """`number` is also the attempts made so far: the attempt row was numbered from it."""
        metrics.observe_error(exc)
        retry_after = exc.retry_after if isinstance(exc, RetryableError) else None
        number = ready.number
        outcome = classify(exc, number, self.max_attempts, backoff(number, retry_after, self.rng))
        return Sent(ready.pub_id, number, ready.channel.name, None, exc, outcome, done, started)
