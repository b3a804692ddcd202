"""The HTTP channel kit: what every channel that talks HTTP shares, written once.

`HTTPChannel` owns the outbound session (`bantin.outbound.OutboundSession`: the address
policy on every hop), the one User-Agent, and the parameters every HTTP channel takes:

- `base=URL`: where requests go instead of the channel's default root: the provider's API
  (Graph, Zalo, eSMS) or, for channels whose URL is itself the address (webhook,
  WordPress), that address. The channel appends its own paths to it. It is how tests and
  staging point a channel at a local server; it must pass the same outbound checks.
- `timeout=SECONDS`: a positive number; anything else is a ConfigError naming the channel.
- `rate=`, `late=`: read by `Channel` (requests a second, lateness budget).

A parameter the channel does not declare in `parameters` is refused with the list of the
ones it takes; a parameter given twice is refused by `base.query_params`. `request` maps
transport failures, and `status_error` HTTP status codes, to the typed errors dispatch
understands; a channel with its own error body (Graph, Zalo) classifies that first.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests

from bantin import __version__, outbound
from bantin.channels import lean, pool
from bantin.channels.base import (
    AuthError,
    Channel,
    ChannelError,
    PermanentError,
    RateLimited,
    RetryableError,
)
from bantin.channels.helpers import parse_retry_after, redact
from bantin.core.errors import ConfigError

log = logging.getLogger(__name__)

USER_AGENT = f"bantin/{__version__}"
"""The User-Agent of every channel request (one constant: providers log it)."""
RETRYABLE_STATUS = frozenset({408, 425, 500, 502, 503, 504})
COMMON_PARAMS = frozenset({"base", "timeout"})


def parse_timeout(where: str, text: str | None, default: float) -> float:
    """`timeout=` as positive finite seconds, or a ConfigError saying what is wanted."""
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(
            f"{where}: timeout must be a positive number of seconds, e.g. timeout=10, not {text!r}"
        )
    return value


class HTTPChannel(Channel):
    """A channel that sends over HTTP (see the module docstring)."""

    #: The root requests go to without `base=`; a channel whose URL holds the address
    #: overrides `default_base` instead.
    api_base: ClassVar[str] = ""
    #: Seconds to wait for a connection and for each read, without `timeout=`.
    default_timeout: ClassVar[float] = 10.0
    #: The query parameters this channel reads, besides base, timeout, rate and late.
    parameters: ClassVar[frozenset[str]] = frozenset()
    #: True when parameters the channel does not read belong to the target's own address
    #: (a webhook receiver's query) rather than being typing mistakes.
    keeps_other_params: ClassVar[bool] = False
    #: How the provider is named in messages ("Graph API", "eSMS").
    provider: ClassVar[str] = "the server"
    carries_credentials = True

    def __init__(self, name: str, url: str, *, home: Path | None = None) -> None:
        super().__init__(name, url, home=home)
        unknown = sorted(set(self.params) - self.parameters - COMMON_PARAMS)
        if unknown and not self.keeps_other_params:
            known = ", ".join(sorted(self.parameters | COMMON_PARAMS | {"rate", "late"}))
            raise ConfigError(
                f"{name}: unknown parameter(s) {', '.join(unknown)}; a {self.kind} channel "
                f"takes {known}"
            )
        self.timeout = parse_timeout(name, self.params.pop("timeout", None), self.default_timeout)
        given = self.params.pop("base", None)
        self.base = self.check_base(given if given is not None else self.default_base())
        # One keep-alive pool per host, sized to the dispatcher's workers (channels/pool.py).
        self.session: outbound.OutboundSession = pool.session(
            secret=self.carries_credentials, user_agent=USER_AGENT
        )

    def default_base(self) -> str:
        """The root requests go to when the URL has no `base=`."""
        return self.api_base

    def check_base(self, value: str, key: str = "base") -> str:
        """An http(s) root without a trailing slash that the outbound policy accepts."""
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ConfigError(f"{self.name}: {key} must be an http(s) URL without a query")
        if "@" in parts.netloc:
            raise ConfigError(f"{self.name}: {key}: put no user name or password in the URL")
        try:
            outbound.check_static(value, secret=self.carries_credentials)
        except ConfigError as exc:
            raise ConfigError(f"{self.name}: {key}: {exc}") from None
        return value

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One request through the session; transport failures become RetryableError."""
        kwargs.setdefault("timeout", self.timeout)
        try:
            if lean.eligible(self.session, kwargs):  # a plain request: the pool directly
                return lean.request(self.session, method, url, **kwargs)
            response: requests.Response = self.session.request(method, url, **kwargs)
            return response
        except requests.RequestException as exc:
            raise self.transport_error(exc) from exc

    def transport_error(self, exc: requests.RequestException) -> RetryableError:
        """What a failure to reach the provider or hear its answer means: try again."""
        if isinstance(exc, requests.Timeout):
            return RetryableError(f"{self.provider} timed out after {self.timeout:g} s")
        return RetryableError(f"{self.provider} connection failed: {type(exc).__name__}")

    def loop_request(self, method: str, url: str, **kwargs: Any) -> lean.Prepared | None:
        """`request`'s lean form for the send loop (bantin.channels.sendloop), its address
        checked now; None when this request takes a thread (`request`)."""
        kwargs.setdefault("timeout", self.timeout)
        if not lean.eligible(self.session, kwargs):
            return None
        try:
            return lean.prepare(self.session, method, url, **kwargs)
        except requests.RequestException as exc:  # the name did not resolve
            raise self.transport_error(exc) from exc

    def loop_target(self, url: str) -> lean.Target | None:
        """Where the send loop opens connections for `url` ahead of a burst."""
        try:
            return lean.target(self.session, url)
        except requests.RequestException as exc:
            raise self.transport_error(exc) from exc

    def status_error(
        self, resp: requests.Response, what: str = "the request", *secrets: str
    ) -> ChannelError | None:
        """The typed error an HTTP status means; None for 2xx. Logs a redacted snippet."""
        status = resp.status_code
        if 200 <= status < 300:
            return None
        log.info(
            "%s %s answered %s to %s: %s",
            self.kind,
            self.name,
            status,
            what,
            redact(resp.text, *secrets),
        )
        wait = parse_retry_after(resp.headers.get("Retry-After"))
        if status == 429:
            return RateLimited(
                f"{self.provider} rate limited (429)", retry_after=wait, http_status=status
            )
        if status in RETRYABLE_STATUS or status >= 500:
            return RetryableError(
                f"{self.provider} error {status}", retry_after=wait, http_status=status
            )
        if status in (401, 403):
            return AuthError(
                f"{self.provider} refused the credentials ({status})", http_status=status
            )
        return PermanentError(f"{self.provider} rejected {what} ({status})", http_status=status)

    def close(self) -> None:
        self.session.close()
