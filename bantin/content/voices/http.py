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
from pathlib import Path
from typing import Any, ClassVar

import requests

from bantin import __version__
from bantin.content.voices.base import Synthesis, VoiceError
from bantin.content.voices.measure import duration_seconds
from bantin.core.scrub import scrub
from bantin.outbound import OutboundRefused, OutboundSession

USER_AGENT = f"bantin/{__version__}"

__all__ = ["HTTPEngine", "Limits", "send"]

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
    #: The clock the rate limit reads; a test passes one that its `sleep` moves.
    monotonic: Callable[[], float] = time.monotonic
    _last: float | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wait_turn(self) -> None:
        """Wait until the service's rate allows the next request."""
        with self._lock:
            gap = 1.0 / self.per_second if self.per_second > 0 else 0.0
            if self._last is not None:
                delay = self._last + gap - self.monotonic()
                if delay > 0:
                    self.sleep(delay)
            self._last = self.monotonic()


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
                answered: requests.Response = response
                return answered
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


class HTTPEngine:
    """What every speech service shares: a key read at request time (a `secret:`/`env:`
    reference resolved by the caller's `key`), its endpoint, a speed within the range the
    service documents, its limits, and writing the audio it returns. A service module
    declares its facts as class attributes and implements `synthesise`."""

    name: str
    service: ClassVar[str]
    endpoint_default: ClassVar[str]
    speed_range: ClassVar[tuple[float, float]]

    def __init__(
        self,
        key: Callable[[], str],
        *,
        endpoint: str | None = None,
        speed: float = 1.0,
        limits: Limits | None = None,
    ) -> None:
        low, high = self.speed_range
        if not low <= speed <= high:
            raise VoiceError(
                f"{self.service} speed must be between {low:g} and {high:g}, not {speed:g}"
            )
        self._key = key
        self.endpoint = endpoint or self.endpoint_default
        self.speed = speed
        self.limits = limits or Limits()

    def refused(self, response: requests.Response, what: str = "API key") -> None:
        """401/403: the key is wrong or revoked; one sentence, no retry."""
        if response.status_code in (401, 403):
            raise VoiceError(f"{self.service} refused the {what} (HTTP {response.status_code})")

    def download(self, url: object) -> bytes:
        """The audio behind a link the service answered with."""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise VoiceError(f"{self.service} answered without an audio link")
        audio = send("GET", url, service=self.service, limits=self.limits)
        if audio.status_code != 200 or not audio.content:
            raise VoiceError(f"{self.service}'s audio link answered HTTP {audio.status_code}")
        return audio.content

    def written(self, data: bytes, out_dir: Path, voice: str, suffix: str = "mp3") -> Synthesis:
        """Write the audio and measure it: the measured length is what the slot check uses."""
        target = out_dir / f"speech.{suffix}"
        target.write_bytes(data)
        return Synthesis(target, duration_seconds(target), f"{self.name}:{voice}")
