"""Decisions of the hot path as pure functions: facts in, a verdict out, no database.

Dispatch reads the facts, asks here, and applies the verdict in one place; each rule has
a table test without a database (tests/test_dispatch_hardening.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from bantin.channels.base import AuthError, ChannelError, PermanentError


@dataclass(frozen=True)
class Verdict:
    """Why a claimed publication ends without a send: its new state, the reason on record,
    and the kind of alert its agency gets (None when nobody needs to act)."""

    to: str
    why: str
    alert: str | None = None


def gate(
    *,
    approved: bool,
    channel_name: str,
    channel_broken: str | None,
    channel_error: str | None,
    late: timedelta,
    budget: timedelta | None,
    channel_kind: str,
    campaign_kind: str,
) -> Verdict | None:
    """May a claimed publication be rendered and sent now? None means yes.

    A pure decision, in the order a person would ask: was it approved, does its channel
    work, is it still worth sending this late.
    """
    if not approved:
        return Verdict("missed", "not approved by its due time")
    if channel_broken is not None:
        # The channel's agency was alerted when it broke; each output it cannot carry is
        # recorded, not silently held back.
        return Verdict("failed", f"channel {channel_name} is broken: {channel_broken}")
    if channel_error is not None or budget is None:
        return Verdict("missed", f"channel misconfigured: {channel_error}", "channel_misconfigured")
    if late > budget:
        return Verdict(
            "missed",
            f"{minutes_text(late)} late, beyond the {minutes_text(budget)} budget of "
            f"{channel_kind} for {campaign_kind}",
        )
    return None


def minutes_text(delta: timedelta) -> str:
    """'12 min', '2 h 05 min': how late, as a reason on record reads it."""
    total = int(delta.total_seconds())
    if total < 3600:
        return f"{total // 60} min"
    return f"{total // 3600} h {total % 3600 // 60:02d} min"


BACKOFF_BASE = 30.0
BACKOFF_CAP = 3600.0


def backoff(attempt: int, retry_after: float | None, rng: random.Random) -> float:
    """Exponential backoff with equal jitter, never sooner than the server asked."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** max(0, attempt - 1))
    return max(ceiling / 2 + rng.uniform(0, ceiling / 2), retry_after or 0.0)


@dataclass(frozen=True)
class Outcome:
    """What a failed send means: the publication's next state and reason, whether the
    channel is broken for everyone, the alert its agency gets, and when to try again."""

    to: str  # "failed" | "retry_wait"
    why: str
    attempt_outcome: str  # the delivery_attempt row: "failed" | "retry"
    breaks_channel: bool = False
    alert: str | None = None
    retry_in: float | None = None


def classify(error: ChannelError, attempts: int, max_attempts: int, retry_in: float) -> Outcome:
    """Retry or give up? A pure decision over the error's type and the attempts so far.

    `retry_in` is the backoff the caller drew for this attempt (`backoff`), so this function
    stays deterministic for its table test.
    """
    if isinstance(error, AuthError):
        return Outcome(
            "failed",
            f"credentials refused: {error}",
            "failed",
            breaks_channel=True,
            alert="channel_broken",
        )
    if isinstance(error, PermanentError):
        return Outcome("failed", str(error), "failed", alert="publication_failed")
    if attempts >= max_attempts:
        why = f"gave up after {attempts} attempts: {error}"
        return Outcome("failed", why, "failed", alert="publication_failed")
    return Outcome("retry_wait", str(error)[:500], "retry", retry_in=retry_in)
