"""The hot path's decisions as table tests, without a database."""

from __future__ import annotations

import random

import pytest

from bantin.channels.base import (
    AuthError,
    ChannelError,
    PermanentError,
    RateLimited,
    RetryableError,
)
from bantin.gates import BACKOFF_CAP, Outcome, backoff, classify


@pytest.mark.parametrize(
    "error, attempts, expected",
    [
        (
            AuthError("token revoked"),
            1,
            Outcome(
                "failed",
                "credentials refused: token revoked",
                "failed",
                breaks_channel=True,
                alert="channel_broken",
            ),
        ),
        (
            PermanentError("rejected (400)"),
            1,
            Outcome("failed", "rejected (400)", "failed", alert="publication_failed"),
        ),
        (RetryableError("timed out"), 1, Outcome("retry_wait", "timed out", "retry", retry_in=90)),
        (RateLimited("slow down"), 5, Outcome("retry_wait", "slow down", "retry", retry_in=90)),
        (
            RetryableError("timed out"),
            6,
            Outcome(
                "failed",
                "gave up after 6 attempts: timed out",
                "failed",
                alert="publication_failed",
            ),
        ),
    ],
)
def test_classify_retries_or_gives_up(
    error: ChannelError, attempts: int, expected: Outcome
) -> None:
    assert classify(error, attempts, max_attempts=6, retry_in=90) == expected


def test_backoff_grows_but_never_beyond_the_cap() -> None:
    rng = random.Random(1)
    delays = [backoff(n, None, rng) for n in range(1, 12)]
    assert delays[0] < delays[3] < delays[6]
    assert max(delays) <= BACKOFF_CAP


def test_backoff_is_never_sooner_than_the_server_asked() -> None:
    assert backoff(1, 900, random.Random(1)) == 900
