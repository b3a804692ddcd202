"""The lean request: a plain request (bytes body, headers, a timeout) sent straight through
the channel session's own connection pool, without requests' per-request machinery.

Why: a webhook POST through `requests.Session.request` costs about 440 µs of CPU on this
machine, of which urllib3 (which does the actual HTTP) takes 140 µs; the rest is
preparing, merging settings, hooks, cookies and building the response. At a morning
burst of 2,000 bulletins that difference was a quarter of the dispatcher's CPU.

Nothing of the policy is skipped: the URL is checked (and resolved) by
`bantin.outbound.check_url` on every request like the adapter does, the connection goes
to the checked address under the host name (SNI and certificate included, through the
adapter's own pool key), redirects are not followed (the lean path serves sessions that
carry credentials, which never follow one), the pool's connections are the `deadline`-
watched ones, and failures surface as the same `requests` exceptions the adapter raises,
so `HTTPChannel.request` maps them to the same channel errors. Anything else — a JSON or
files argument, query parameters, auth, cookies held by the session, a session that
follows redirects — takes the full requests path.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3 import Timeout
from urllib3 import exceptions as u3

from bantin import outbound
from bantin.channels.pool import PooledAdapter

#: The keyword arguments a lean request understands.
LEAN_KWARGS = frozenset({"data", "headers", "timeout"})


class _Target:
    """What the adapter's pool-key method reads of a request: its (pinned) URL and the
    host name the certificate must match."""

    def __init__(self, url: str, host: str | None) -> None:
        self.url = url
        self._bantin_host = host


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


def request(
    session: outbound.OutboundSession,
    method: str,
    url: str,
    *,
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float,
) -> requests.Response:
    """One request on the session's pool; a `requests.Response` as the full path gives."""
    adapter = session.get_adapter(url)
    if not isinstance(adapter, PooledAdapter):
        full = session.request(method, url, data=data, headers=headers, timeout=timeout)
        return cast(requests.Response, full)
    ip = outbound.check_url(url, secret=session.secret)
    parts = urlsplit(url)
    sent = _merged(cast(Mapping[str, str], session.headers), headers or {})
    target = _Target(url, None)
    if parts.hostname != str(ip):
        literal = f"[{ip}]" if isinstance(ip, ipaddress.IPv6Address) else str(ip)
        netloc = literal + (f":{parts.port}" if parts.port else "")
        target = _Target(urlunsplit(parts._replace(netloc=netloc)), parts.hostname)
        sent = _merged(sent, {"Host": parts.netloc.rpartition("@")[2]})
    try:
        pool = _pool(adapter, target, parts.scheme)
        raw = pool.urlopen(
            method,
            _path(parts),
            body=data,
            headers=sent,
            redirect=False,
            assert_same_host=False,
            preload_content=True,
            decode_content=True,
            retries=adapter.max_retries,
            timeout=Timeout(connect=timeout, read=timeout),
        )
    except (u3.HTTPError, OSError) as exc:
        raise _as_requests_error(exc) from exc
    return _response(raw, url)


def _pool(adapter: PooledAdapter, target: _Target, scheme: str) -> Any:
    """The adapter's pool for the target (the one the full path would use), remembered
    while it stays open (the pool manager closes pools it evicts)."""
    key = (target.url.partition("://")[2].partition("/")[0], target._bantin_host)
    pool = adapter.lean_pools.get(key)
    if pool is None or pool.pool is None:
        pool = adapter.get_connection_with_tls_context(cast(Any, target), verify=True)
        if scheme == "https":
            adapter.cert_verify(pool, target.url, True, None)  # type: ignore[no-untyped-call]
        adapter.lean_pools[key] = pool
    return pool


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


def _response(raw: Any, url: str) -> requests.Response:
    """The urllib3 answer as the `requests.Response` channels read (status, headers,
    text, json, url)."""
    resp = requests.Response()
    resp.status_code = raw.status
    resp.headers = CaseInsensitiveDict(raw.headers)
    resp.encoding = get_encoding_from_headers(resp.headers)
    resp.reason = raw.reason
    resp.url = url
    resp._content = raw.data  # read already (preload)
    return resp


def _as_requests_error(exc: Exception) -> requests.RequestException:
    """The exception requests' adapter raises for the same urllib3 failure."""
    if isinstance(exc, u3.MaxRetryError):
        reason = exc.reason
        if isinstance(reason, u3.ConnectTimeoutError) and not isinstance(
            reason,
            u3.NewConnectionError,  # a refused connection is not a timeout
        ):
            return requests.ConnectTimeout(exc)
        if isinstance(reason, u3.SSLError):
            return requests.exceptions.SSLError(exc)
        return requests.ConnectionError(exc)
    if isinstance(exc, u3.ReadTimeoutError):
        return requests.ReadTimeout(exc)
    if isinstance(exc, u3.SSLError):
        return requests.exceptions.SSLError(exc)
    if isinstance(exc, u3.TimeoutError):
        return requests.Timeout(exc)
    return requests.ConnectionError(exc)
