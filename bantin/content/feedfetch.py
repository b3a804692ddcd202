"""Fetching a feed from the outside world, bounded in every way (see `feeds` for why).

A total deadline: a server that drips a byte at a time is abandoned when the deadline
passes, not after each read's timeout (`read1` returns what has arrived, never waits for a
full buffer). At most 5 redirects, each hop checked by the outbound policy
(`bantin.outbound`); a URL with a password is fetched over https only, following no
redirect. A 5 MB cap on the body, a feed content type. Nothing here touches a database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import urllib3

from bantin import __version__, outbound
from bantin.core.errors import ConfigError

MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
TIMEOUT = (5.0, 20.0)  # connect, read (seconds)
DEADLINE = 30.0  # seconds for a whole fetch, body included (setting feed_deadline_seconds)
READ_SIZE = 65536
USER_AGENT = f"bantin/{__version__} (feed reader)"
FEED_TYPES = ("xml", "rss", "atom", "rdf", "json")
"""A content type containing one of these is a feed; anything else (an HTML login page,
a PDF) is refused with its type named. A missing type is sniffed by the parser."""


class FeedError(Exception):
    """A fetch or parse that produced nothing usable; `status` is its kind."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Fetched:
    status: str  # ok | not-modified
    body: bytes = b""
    content_type: str = ""
    url: str = ""
    etag: str | None = None
    last_modified: str | None = None


def http_session(*, secret: bool = False) -> requests.Session:
    """A session under the outbound policy; `secret` when the URL holds a password."""
    s = outbound.OutboundSession(secret=secret, max_redirects=MAX_REDIRECTS)
    s.headers["User-Agent"] = USER_AGENT
    s.headers["Accept"] = "application/rss+xml, application/atom+xml, application/xml;q=0.9"
    return s


def has_password(url: str) -> bool:
    return "@" in urlsplit(url).netloc


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    session: requests.Session | None = None,
    max_bytes: int = MAX_BYTES,
    deadline: float = DEADLINE,
) -> Fetched:
    """GET a feed, conditionally, within the bounds above; raise FeedError with a reason
    (the URL's password masked)."""
    try:
        return _fetch(url, etag, last_modified, session, max_bytes, deadline)
    except FeedError as exc:
        if has_password(url):
            password = urlsplit(url).password or ""
            reason = exc.reason.replace(password, "***") if password else exc.reason
            raise FeedError(exc.status, reason) from None
        raise


def _fetch(
    url: str,
    etag: str | None,
    last_modified: str | None,
    session: requests.Session | None,
    max_bytes: int,
    deadline: float,
) -> Fetched:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    own = session is None or has_password(url)  # credentials: https, no redirects
    http = http_session(secret=has_password(url)) if own else session
    assert http is not None
    try:
        with outbound.deadline(deadline) as limit:
            try:
                got = _get(http, url, headers, etag, last_modified, max_bytes, deadline)
                if limit.expired:  # the end of that body may be the deadline's shutdown
                    raise FeedError("too-slow", _too_slow(deadline))
                return got
            except FeedError as exc:
                if limit.expired and exc.status == "network-error":  # sockets shut by it
                    raise FeedError("too-slow", _too_slow(deadline)) from None
                raise
    finally:
        if own:
            http.close()


def _get(
    http: requests.Session,
    url: str,
    headers: dict[str, str],
    etag: str | None,
    last_modified: str | None,
    max_bytes: int,
    deadline: float,
) -> Fetched:
    started = time.monotonic()
    timeout = (min(TIMEOUT[0], deadline), min(TIMEOUT[1], deadline))
    try:
        with http.get(url, headers=headers, timeout=timeout, stream=True) as resp:
            if resp.status_code == 304:
                return Fetched("not-modified", url=resp.url, etag=etag, last_modified=last_modified)
            if resp.status_code >= 300:
                raise FeedError(
                    "http-error", f"HTTP {resp.status_code} {resp.reason or ''}".strip()
                )
            ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if ctype and not any(t in ctype for t in FEED_TYPES):
                raise FeedError(
                    "wrong-type", f"content type {ctype} is not a feed (expected RSS or Atom XML)"
                )
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FeedError("too-large", f"body of {declared} bytes exceeds {max_bytes}")
            body = _read_body(resp, started, deadline, max_bytes)
            return Fetched(
                "ok",
                bytes(body),
                resp.headers.get("Content-Type", ""),
                resp.url,
                resp.headers.get("ETag"),
                resp.headers.get("Last-Modified"),
            )
    except ConfigError as exc:  # the outbound policy, on the first hop or a redirect
        raise FeedError("refused", str(exc)[:300]) from None
    except requests.TooManyRedirects:
        raise FeedError(
            "too-many-redirects", f"more than {MAX_REDIRECTS} redirects (a redirect loop?)"
        ) from None
    except requests.Timeout:
        if time.monotonic() - started >= deadline:
            raise FeedError("too-slow", _too_slow(deadline)) from None
        raise FeedError("network-error", "timed out") from None
    except requests.RequestException as exc:
        raise FeedError("network-error", f"{type(exc).__name__}: {exc}"[:300]) from None


def _too_slow(deadline: float) -> str:
    return f"no complete answer within {deadline:g} s; stopped reading"


def _read_body(resp: requests.Response, started: float, deadline: float, cap: int) -> bytes:
    """The body, read as it arrives (`read1`: a dripping server gives its bytes one by one,
    never a full buffer), until the end, the size cap or the deadline."""
    body = bytearray()
    while True:
        if time.monotonic() - started >= deadline:
            raise FeedError("too-slow", _too_slow(deadline))
        try:
            chunk = resp.raw.read1(READ_SIZE, decode_content=True)
        except (OSError, urllib3.exceptions.HTTPError) as exc:
            if time.monotonic() - started >= deadline:
                raise FeedError("too-slow", _too_slow(deadline)) from None
            raise FeedError("network-error", f"{type(exc).__name__}: {exc}"[:300]) from None
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > cap:
            raise FeedError("too-large", f"body exceeds {cap} bytes; stopped reading")
