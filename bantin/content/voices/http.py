"""The one door every HTTP engine goes through: rate limit, timeout, retries, scrubbing.

All requests of the voice engines call `send`, so an outbound-address policy, a proxy or
an audit log is added in one place. `send` waits for the engine's rate limit, retries
429 and 5xx answers (and dropped connections) with exponential backoff, honouring a short
`Retry-After`, and turns every failure into a one-sentence VoiceError with any secret
value masked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from bantin import __version__
from bantin.content.voices.base import VoiceError
from bantin.outbound import OutboundRefused, OutboundSession
from bantin.secrets.resolve import scrub

USER_AGENT = f"bantin/{__version__}"

__all__ = ["Limits", "send"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class Limits:
    """Politeness towards one service: at most `per_second` requests, `retries` retries
    waiting `backoff` × 2ⁿ seconds (capped by `max_wait`), each request `timeout` s."""

    per_second: float = 2.0
    retries: int = 3
    backoff: float = 1.0
    max_wait: float = 30.0
    timeout: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    _last: float = field(default=0.0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wait_turn(self) -> None:
        with self._lock:
            gap = 1.0 / self.per_second if self.per_second > 0 else 0.0
            delay = self._last + gap - time.monotonic()
            if delay > 0:
                self.sleep(delay)
            self._last = time.monotonic()


def _retry_after(response: requests.Response, default: float, cap: float) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return min(cap, max(0.0, float(value)))
    except ValueError:
        return min(cap, default)


def send(
    method: str,
    url: str,
    *,
    service: str,
    limits: Limits,
    headers: Mapping[str, str] | None = None,
    secrets: tuple[str, ...] = (),
    **kwargs: Any,
) -> requests.Response:
    """One HTTP request with the service's limits; returns a 2xx/3xx/4xx (not 429) answer.

    The caller reads 4xx answers itself (each service words its refusals differently);
    429 and 5xx are retried and, when retries run out, raise VoiceError.
    """
    attempt = 0
    while True:
        limits.wait_turn()
        try:
            # The project's one outbound policy: https for a keyed call, no internal
            # addresses unless allowed (BANTIN_OUTBOUND_ALLOW), the checked address pinned.
            with OutboundSession(secret=True, user_agent=USER_AGENT) as session:
                response = session.request(
                    method, url, headers=dict(headers or {}), timeout=limits.timeout, **kwargs
                )
        except OutboundRefused as exc:
            raise VoiceError(f"{service}: {exc}") from None
        except requests.Timeout as exc:
            problem = f"{service} did not answer within {limits.timeout:g} s"
            error: Exception = exc
        except requests.RequestException as exc:
            problem = scrub(f"{service} could not be reached: {type(exc).__name__}", *secrets)
            error = exc
        else:
            if response.status_code not in RETRY_STATUSES:
                return response
            problem = f"{service} answered HTTP {response.status_code}"
            if response.status_code == 429:
                problem += " (rate limit or quota exceeded)"
            error = VoiceError(problem)
            wait = _retry_after(response, limits.backoff * 2**attempt, limits.max_wait)
        if attempt >= limits.retries:
            raise VoiceError(f"{problem}, after {attempt + 1} attempts") from error
        if not isinstance(error, VoiceError):
            wait = min(limits.max_wait, limits.backoff * 2**attempt)
        limits.sleep(wait)
        attempt += 1
