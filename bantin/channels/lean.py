"""The lean request: a plain request (bytes body, headers, a timeout) of a channel that
carries credentials, sent on the standard library's `http.client` over kept-alive
connections, without requests' and urllib3's per-request machinery.

Why, measured on this machine with the loopback sink (docs/performance.md): a webhook POST
through `requests.Session.request` cost about 440 µs of CPU, through urllib3's pool about
140 µs and through `http.client` about 80 µs; with 256 sending threads the gap doubles
(urllib3 3,970 requests a second, `http.client` 4,900). At a morning burst the sends are
most of a runner's work. What urllib3 adds (retries, which a credentialed send must not
do, timeout objects, a queue, response wrappers) bantin does not use on this path; what it
does use is kept here in a few lines: a last-in-first-out pool of connections per checked
address, sized to the dispatch workers, each checked for a peer that went away before it
is reused.

Nothing of the policy is skipped: the URL is checked (and resolved) by
`bantin.outbound.check_url` on every request, the connection goes to the checked address
with the host name in `Host`, in SNI and in the certificate check (the CA bundle requests
uses), redirects are not followed (sessions carrying credentials never follow one), each
socket is watched by `outbound.deadline`, Nagle is off and TCP keep-alive on
(channels/pool.py), and failures surface as the `requests` exceptions the full path
raises, so `HTTPChannel.request` maps them to the same channel errors. It sends the
session's User-Agent and the request's own headers, not requests' `Accept` and `Connection`
defaults, and asks for no compression (a small JSON answer needs none; a gzip or deflate
answer is still read). Anything else — a JSON or files argument, query parameters, auth,
cookies held by the session, a session that follows redirects — takes the full requests
path.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
import zlib
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, cast
from urllib.parse import urlsplit

import certifi
import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from bantin import outbound
from bantin.channels.pool import SOCKET_OPTIONS, PooledAdapter

#: The keyword arguments a lean request understands.
LEAN_KWARGS = frozenset({"data", "headers", "timeout"})


def eligible(session: requests.Session, kwargs: Mapping[str, Any]) -> bool:
    """True when this request can take the lean path with the same result."""
    if not set(kwargs) <= LEAN_KWARGS or not isinstance(kwargs.get("data", b""), bytes | None):
        return False
    return (
        isinstance(session, outbound.OutboundSession)
        and session.secret  # no redirects to follow
        and session.auth is None
        and not session.cookies
        and not any(session.hooks.values())
        and not session.params
    )


@cache
def tls_context() -> ssl.SSLContext:
    """Certificates checked against the CA bundle requests uses, and the host name."""
    return ssl.create_default_context(cafile=certifi.where())


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to the checked address, with the host name in SNI and the certificate check."""

    def __init__(self, ip: str, port: int, *, name: str, timeout: float) -> None:
        super().__init__(ip, port, timeout=timeout, context=tls_context())
        self.name = name

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.name)  # type: ignore[attr-defined]


class LeanPool:
    """Idle kept-alive connections to one checked address, the most recent first."""

    def __init__(self, scheme: str, ip: str, port: int, name: str, maxsize: int) -> None:
        self.scheme, self.ip, self.port, self.name = scheme, ip, port, name
        self.maxsize = maxsize
        self.idle: deque[http.client.HTTPConnection] = deque()

    def get(self, timeout: float) -> http.client.HTTPConnection:
        """An idle connection whose peer is still there, else a new one (connected)."""
        while True:
            try:
                conn = self.idle.pop()
            except IndexError:
                return self._new(timeout)
            if conn.sock is None or _dropped(conn.sock):
                conn.close()
                continue
            conn.sock.settimeout(timeout)
            return conn

    def put(self, conn: http.client.HTTPConnection) -> None:
        if len(self.idle) < self.maxsize:
            self.idle.append(conn)
        else:
            conn.close()

    def close(self) -> None:
        while self.idle:
            self.idle.pop().close()

    def _new(self, timeout: float) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection
        if self.scheme == "https":
            conn = _PinnedHTTPS(self.ip, self.port, name=self.name, timeout=timeout)
        else:
            conn = http.client.HTTPConnection(self.ip, self.port, timeout=timeout)
        try:
            conn.connect()
            for level, option, value in SOCKET_OPTIONS:
                conn.sock.setsockopt(level, option, value)
        except BaseException:
            conn.close()
            raise
        return conn


def _dropped(sock: socket.socket) -> bool:
    """An idle connection with something to read was closed (or spoken to) by its peer."""
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


@dataclass(frozen=True)
class Target:
    """Where a lean request goes: the address the outbound policy checked, and the host
    name for `Host`, SNI and the certificate check. Connections are pooled by it."""

    scheme: str
    ip: str
    port: int
    name: str


@dataclass(frozen=True)
class Prepared:
    """A lean request made ready for the send loop (bantin.channels.sendloop): its
    address checked, its headers as they go on the wire, its body."""

    target: Target
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    timeout: float
    url: str


@dataclass(frozen=True)
class LoopSend:
    """A channel's prebuilt send for the send loop: the request, how its answer reads as
    the channel's receipt (raising the channel's error as `publish` would), and what a
    transport failure (a requests exception) becomes."""

    request: Prepared
    read: Callable[[requests.Response], Any]
    failed: Callable[[requests.RequestException], Exception]


def target(session: requests.Session, url: str) -> Target | None:
    """The checked address `url` goes to (resolving it: every answer is checked), or
    None when this session's requests cannot take the lean path."""
    adapter = session.get_adapter(url)
    if not isinstance(adapter, PooledAdapter) or not isinstance(session, outbound.OutboundSession):
        return None
    ip = outbound.check_url(url, secret=session.secret)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return Target(parts.scheme, str(ip), port, parts.hostname or "")


_pools_lock = threading.Lock()


def _pool(adapter: PooledAdapter, to: Target) -> LeanPool:
    key = (to.scheme, to.ip, to.port, to.name)
    pool = adapter.lean_pools.get(key)
    if pool is None:
        with _pools_lock:
            pool = adapter.lean_pools.setdefault(
                key, LeanPool(to.scheme, to.ip, to.port, to.name, adapter.workers)
            )
    return cast(LeanPool, pool)


def warm(session: requests.Session, url: str, timeout: float) -> bool:
    """Open one more kept-alive connection for `url` ahead of a burst (a TCP and TLS
    handshake, no request), unless its pool is full; True when one was opened."""
    to = target(session, url)
    if to is None:
        return False
    pool = _pool(cast(PooledAdapter, session.get_adapter(url)), to)
    if len(pool.idle) >= pool.maxsize:
        return False
    pool.put(pool._new(timeout))
    return True


def _wire_headers(
    session: requests.Session, url: str, headers: Mapping[str, str] | None
) -> dict[str, str]:
    """What goes on the wire: `Host`, the session's User-Agent, the request's own."""
    return _merged({"Host": urlsplit(url).netloc.rpartition("@")[2],
                    "User-Agent": str(session.headers.get("User-Agent", ""))},
                   headers or {})  # fmt: skip


def prepare(
    session: requests.Session,
    method: str,
    url: str,
    *,
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float,
) -> Prepared | None:
    """The request for the send loop, its address checked now; None when this session's
    requests cannot take the lean path. `Content-Length` framed, no compression asked."""
    to = target(session, url)
    if to is None:
        return None
    body = data or b""
    sent = _wire_headers(session, url, headers)
    if not any(name.lower() == "accept-encoding" for name in sent):
        sent["Accept-Encoding"] = "identity"  # as http.client says on the lean path
    sent = _merged(sent, {"Content-Length": str(len(body))})
    return Prepared(to, method, _path(urlsplit(url)), list(sent.items()), body, timeout, url)


def request(
    session: outbound.OutboundSession,
    method: str,
    url: str,
    *,
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float,
) -> requests.Response:
    """One request on a kept-alive connection; a `requests.Response` as the full path
    gives (status, headers, text, json, url)."""
    to = target(session, url)
    if to is None:
        full = session.request(method, url, data=data, headers=headers, timeout=timeout)
        return cast(requests.Response, full)
    pool = _pool(cast(PooledAdapter, session.get_adapter(url)), to)
    try:
        conn = pool.get(timeout)
    except Exception as exc:
        raise as_requests_error(exc, connecting=True) from exc
    try:
        conn.request(method, _path(urlsplit(url)), body=data,
                     headers=_wire_headers(session, url, headers))  # fmt: skip
        outbound.Deadline.watch(conn.sock)
        answer = conn.getresponse()
        content = decoded(answer.read(), answer.getheader("Content-Encoding"))
    except Exception as exc:
        conn.close()
        raise as_requests_error(exc, connecting=False) from exc
    if answer.will_close:
        conn.close()
    else:
        pool.put(conn)
    return response(answer.status, answer.reason, answer.getheaders(), content, url)


def _merged(base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """`base` updated by `extra`, header names compared without case."""
    out = dict(base)
    if extra:
        lower = {k.lower(): k for k in out}
        for name, value in extra.items():
            old = lower.get(name.lower())
            if old is not None:
                del out[old]
            out[name] = value
    return out


def _path(parts: Any) -> str:
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def decoded(content: bytes, encoding: str | None) -> bytes:
    """A gzip or deflate answer from a server that compressed unasked."""
    kind = (encoding or "").strip().lower()
    if kind in ("gzip", "x-gzip"):
        return zlib.decompress(content, 16 + zlib.MAX_WBITS)
    if kind == "deflate":
        try:
            return zlib.decompress(content)
        except zlib.error:
            return zlib.decompress(content, -zlib.MAX_WBITS)
    return content


def response(
    status: int, reason: str, headers: list[tuple[str, str]], content: bytes, url: str
) -> requests.Response:
    """The answer as the `requests.Response` channels read."""
    resp = requests.Response()
    resp.status_code = status
    resp.headers = CaseInsensitiveDict(headers)
    resp.encoding = get_encoding_from_headers(resp.headers)
    resp.reason = reason
    resp.url = url
    resp._content = content
    return resp


def as_requests_error(exc: Exception, *, connecting: bool) -> requests.RequestException:
    """The exception requests' adapter raises for the same failure."""
    if isinstance(exc, requests.RequestException):
        return exc
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return requests.exceptions.SSLError(exc)
    if isinstance(exc, TimeoutError):
        return requests.ConnectTimeout(exc) if connecting else requests.ReadTimeout(exc)
    if isinstance(exc, OSError | http.client.HTTPException | zlib.error):
        return requests.ConnectionError(exc)
    raise exc
