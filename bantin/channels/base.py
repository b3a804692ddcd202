"""The channel contract, on one screen.

A channel turns a `Rendered` publication into an output somewhere else and returns a
`Receipt`, or raises one of the typed errors below so dispatch knows whether to retry,
wait, stop, or ask a person. Channels are configured by URL (the Apprise idea):
`url(privacy=True)` must never print a secret.
"""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from bantin.channels import ratelimit
from bantin.content.render import Rendered
from bantin.core import scrub as scrubbing
from bantin.core.errors import ConfigError
from bantin.core.scrub import is_sensitive, mask_url

if TYPE_CHECKING:
    from bantin.channels.lean import LoopSend
    from bantin.channels.sendloop import SendLoop


@dataclass(frozen=True)
class Receipt:
    external_id: str | None = None
    url: str | None = None
    http_status: int | None = None


class ChannelError(Exception):
    """Base of every delivery error; `http_status` is kept for the attempt record.

    The message is scrubbed here, once for every channel: it often quotes a server's
    answer, and servers echo credentials (see `bantin.scrub`)."""

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(scrubbing.scrub(message))
        self.http_status = http_status


class RetryableError(ChannelError):
    """A passing failure (timeout, 5xx): try again, no sooner than `retry_after` seconds."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, http_status: int | None = None
    ) -> None:
        super().__init__(message, http_status=http_status)
        self.retry_after = retry_after


class RateLimited(RetryableError):
    """The provider asked us to slow down."""


class PermanentError(ChannelError):
    """This publication can never succeed as it is (rejected content, 4xx)."""


class AuthError(PermanentError):
    """The credentials are wrong, expired or revoked: the channel is broken until fixed."""


SENSITIVE_PARAMS = frozenset({"token", "secret", "password", "app_password", "key", "access_token"})
REFERENCE_PREFIXES = ("env:", "secret:")
#: A path segment run this long mixing letters and digits is a token, not a name
#: (`/bot123:AAH…/`, `/services/T0…/B0…/q8Zr…`); words with dashes and UUIDs are not.
TOKEN_RUN = re.compile(r"(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{20,}")
BOT_TOKEN = re.compile(r"/bot\d+:[\w-]+", re.IGNORECASE)


def query_params(where: str, query: str, secret_names: Collection[str] = ()) -> dict[str, str]:
    """The query as a dict, refusing a repeated name (which of two values would be used is
    the parser's choice: `token=RAW&token=env:X` must not pass as a reference) and any
    sensitive parameter whose value is not a secret reference."""
    pairs = parse_qsl(query, keep_blank_values=True)
    folded: set[str] = set()
    for key, _ in pairs:
        norm = re.sub(r"[^a-z0-9]", "", key.lower())
        if norm in folded:
            raise ConfigError(f"{where}: parameter {key!r} is given twice; give it once")
        folded.add(norm)
    params: dict[str, str] = {}
    for key, value in pairs:
        params[key] = value
        if is_sensitive(key, secret_names) and not value.startswith(REFERENCE_PREFIXES):
            raise ConfigError(
                f"{where}: parameter {key!r} must be a secret reference such as env:VAR, "
                "never the secret itself"
            )
        if value.lower().startswith(("http://", "https://")) and "@" in urlsplit(value).netloc:
            raise ConfigError(f"{where}: put no user name or password in the URL of {key!r}")
    return params


def check_no_inline_secret(where: str, url: str) -> None:
    """No userinfo (`https://TOKEN@host`) and no token-like path segment."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise ConfigError(
            f"{where}: put no user name or password in the URL; use a secret reference "
            "(env:VAR) in a parameter"
        )
    if BOT_TOKEN.search(parts.path) or TOKEN_RUN.search(parts.path):
        raise ConfigError(
            f"{where}: part of the URL path looks like a token; a secret must never be "
            "written in a URL: give it as a secret reference (env:VAR) in a parameter"
        )


def parse_duration(text: str) -> timedelta:
    """'90s', '30m', '6h', '2d' -> timedelta."""
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    text = text.strip()
    if not text or text[-1] not in units or not text[:-1].replace(".", "", 1).isdigit():
        raise ConfigError(f"invalid duration {text!r}: use e.g. 90s, 30m, 6h, 2d")
    return timedelta(**{units[text[-1]]: float(text[:-1])})


ALL_CONTENT_KINDS = frozenset({"post", "article", "radio_script"})
NO_LIMITS: Mapping[str, int] = MappingProxyType({})


class Channel(ABC):
    """Base class: parses the URL, holds the shared rules; subclasses only deliver.

    A channel's *facts* are class attributes, read without building a channel: by
    `bantin.content.limits` (length limits), `bantin.campaigns.templatecheck` (which kinds
    to check) and the registry in `bantin.channels` (which schemes). Adding a channel is
    one module that declares them (docs/channels/writing-a-channel.md).
    """

    schemes: ClassVar[tuple[str, ...]]
    kind: ClassVar[str]
    #: Parameters whose values are secrets, beyond the general rule (`is_sensitive`): they
    #: must be secret references and are masked by `url()`.
    secret_params: ClassVar[frozenset[str]] = frozenset()
    #: Maximum characters per measured part (see `measure`); checked at validation and at
    #: render by `bantin.content.limits`. Empty: no length limit.
    length_limits: ClassVar[Mapping[str, int]] = NO_LIMITS
    #: How a part of `length_limits` is named in a message, for parts the general list
    #: (`bantin.content.limits.LIMIT_NAMES`) does not name.
    limit_names: ClassVar[Mapping[str, str]] = MappingProxyType({})
    #: Content kinds this channel can carry (`post`, `article`, `radio_script`).
    content_kinds: ClassVar[frozenset[str]] = ALL_CONTENT_KINDS
    #: Content kinds whose templates `bantin template check` tries on this channel even
    #: when a campaign's mapping does not name it.
    usual_for: ClassVar[tuple[str, ...]] = ()
    #: True when `reconcile` can find out whether a publication already went out.
    reconciles: ClassVar[bool] = False
    #: False for a channel kind campaigns cannot name yet (mail, used by alerts only).
    listed: ClassVar[bool] = True
    #: How late an output may still go out before it is recorded `missed` instead.
    lateness_budget: ClassVar[timedelta] = timedelta(hours=6)
    #: True when sending the same idempotency key twice cannot make a second output,
    #: so a send interrupted by a crash can simply be sent again.
    dedupes: ClassVar[bool] = False
    #: True when requests carry credentials or go to a URL anyone can call with it: https
    #: only (bantin.outbound) and no secret-like text in the URL's path or userinfo.
    carries_credentials: ClassVar[bool] = False
    #: Requests a second this kind of channel allows when its URL has no `?rate=`;
    #: None for no limit (a receiver we run ourselves, a folder).
    request_rate_per_sec: ClassVar[float | None] = None

    def __init__(self, name: str, url: str, *, home: Path | None = None) -> None:
        self.name = name
        self.home = home or Path.cwd()
        self.raw_url = url
        parts = urlsplit(url)
        if parts.scheme not in self.schemes:
            raise ConfigError(f"{name}: expected a {self.schemes[0]}:// URL")
        self.parts = parts
        self.params = query_params(name, parts.query, self.secret_params)
        if parts.password:
            raise ConfigError(
                f"{name}: put no password in the URL (nor a user name); use a secret "
                "reference (env:VAR)"
            )
        if self.carries_credentials:
            check_no_inline_secret(name, url)
        late = self.params.pop("late", None)
        self.budget = parse_duration(late) if late else self.lateness_budget
        rate = self.params.pop("rate", None)
        try:
            self.rate_per_sec = ratelimit.parse_rate(rate) if rate else self.request_rate_per_sec
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None
        #: Shared by every thread that sends on this channel; a dispatcher sets its own.
        self.limits: ratelimit.RateLimits = ratelimit.default_limits

    @classmethod
    def measure(cls, rendered: Rendered) -> dict[str, int]:
        """Length of each part named in `length_limits`, as this channel would count it. The
        default measures the title and an exported `description`, in characters."""
        parts = {"title": len(" ".join(rendered.title.split()))}
        description = rendered.meta.description
        if isinstance(description, str):
            parts["description"] = len(" ".join(description.split()))
        return parts

    def url(self, privacy: bool = True) -> str:
        """The configuration URL; with privacy, secret references are masked too."""
        return self.raw_url if not privacy else mask_url(self.raw_url, self.secret_params)

    def acquire(self, max_wait: float = 0.0, stop: threading.Event | None = None) -> float:
        """Take this channel's turn before a publish (rate limit, provider pause).

        Returns 0.0 when the caller may send now, else the seconds the channel stays
        closed; waits at most `max_wait` so a thread is never parked for minutes.
        """
        return self.limits.acquire(self.name, self.rate_per_sec, max_wait=max_wait, stop=stop)

    def hold_off(self, seconds: float) -> None:
        """The provider asked us to wait (429, Retry-After): close the whole channel."""
        self.limits.pause(self.name, seconds)

    @abstractmethod
    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        """Deliver once; raise a ChannelError subclass on failure."""

    def prebuild(self, rendered: Rendered, idempotency_key: str) -> Any:
        """What of a send can be done before its second (rows made ready ahead:
        bantin.ahead), for `publish_prebuilt`; None when nothing can."""
        return None

    def publish_prebuilt(self, built: Any, rendered: Rendered, idempotency_key: str) -> Receipt:
        """`publish` with what `prebuild` made (never None here)."""
        return self.publish(rendered, idempotency_key)

    def warm(self) -> bool:
        """Open one more connection ahead of a burst (no request); False when there is
        nothing to open (the default: the channel keeps no connections)."""
        return False

    def loop_send(self, built: Any, rendered: Rendered, idempotency_key: str) -> LoopSend | None:
        """A prebuilt send as a request for the send loop (bantin.channels.sendloop),
        with how its answer and its failures read; None (the default) when it goes on
        a thread through `publish_prebuilt`. Raises what `publish` raises before sending
        (a secret that is not set, an address the policy refuses)."""
        return None

    def warm_on(self, loop: Callable[[], SendLoop], count: int) -> bool:
        """Have the send loop (`loop()` starts it when first needed) open `count`
        connections ahead of a burst; False when this channel's sends do not go on the
        loop (then `warm` opens them)."""
        return False

    def check(self) -> dict[str, Any]:
        """A harmless authenticated call: is the channel reachable, what may it do?
        Never publishes. Channels that can ask their provider override this."""
        return {"ok": True, "note": f"{self.kind} channels have no check; the URL is valid"}

    def reconcile(self, rendered: Rendered, idempotency_key: str) -> Receipt | None:
        """After a crash: did this publication already go out? None when unknown."""
        return None

    def close(self) -> None:  # noqa: B027 (optional hook; most channels hold nothing)
        """Release connections."""
