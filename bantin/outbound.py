"""The one policy for every request bantin sends out: channels, feeds, images, alerts, SMTP.

Who writes a channel URL, a feed address or a template's `image_url` is not always who runs
the machine, and an answer fetched from an internal address can travel on to a public site
(a WordPress featured image). So before any connection:

- the scheme is http or https, and a request that carries a credential (a token, a
  password, a signature) uses https; plain http is allowed only to a loopback address the
  operator allowed (a test or staging server on the same machine);
- the host is resolved, and every address it resolves to must be public: loopback,
  private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10, which
  holds the cloud metadata service 169.254.169.254 and fd00:ec2::254), shared CGNAT
  (100.64/10), multicast, unspecified and reserved addresses are refused, unless the
  operator lists the range in `BANTIN_OUTBOUND_ALLOW` (`127.0.0.0/8,::1,10.20.0.0/16`);
- the connection goes to the address that was checked (`PinnedAdapter`), not to a second
  answer of the DNS server (DNS rebinding), with TLS still verified against the host name;
- redirects are checked hop by hop like the first request (the adapter sees every hop);
  a session that carries credentials follows none.

Environment proxies are not used (`trust_env = False`): a proxy would make the checked
address meaningless. Refusals raise `OutboundRefused`, a `ConfigError`, before any byte is
sent.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from bantin.core.errors import ConfigError

ALLOW_ENV = "BANTIN_OUTBOUND_ALLOW"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
CGNAT = ipaddress.ip_network("100.64.0.0/10")
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class OutboundRefused(ConfigError):
    """A request the outbound policy does not allow; nothing was sent."""


@lru_cache(maxsize=16)
def parse_allow(text: str) -> tuple[IPNetwork, ...]:
    """`127.0.0.0/8,::1,10.20.0.0/16` -> networks; a wrong entry is a ConfigError naming it."""
    nets: list[IPNetwork] = []
    for item in text.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(
                f"{ALLOW_ENV}: {item!r} is not an address or range (e.g. 10.20.0.0/16)"
            ) from None
    return tuple(nets)


def allowed_ranges() -> tuple[IPNetwork, ...]:
    """The operator's allowed ranges, read at each check so a changed setting applies."""
    text = os.environ.get(ALLOW_ENV)
    if text is None:
        from bantin.config import load_settings  # bantin.toml, when the environment is silent

        text = ",".join(load_settings().outbound_allow)
    return parse_allow(text)


def _plain(ip: IPAddress) -> IPAddress:
    """::ffff:127.0.0.1 is 127.0.0.1: judge the IPv4 address it carries."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def forbidden_kind(ip: IPAddress) -> str | None:
    """What makes `ip` internal ("loopback", "metadata", …), or None for a public address."""
    ip = _plain(ip)
    checks = (
        (ip in METADATA, "cloud metadata"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_unspecified, "unspecified"),
        (ip.is_multicast, "multicast"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT, "shared (CGNAT)"),
        (ip.is_private, "private"),
        (ip.is_reserved or not ip.is_global, "reserved"),
    )
    return next((kind for hit, kind in checks if hit), None)


def is_allowed(ip: IPAddress, ranges: Iterable[IPNetwork] | None = None) -> bool:
    ip = _plain(ip)
    return any(ip in net for net in (allowed_ranges() if ranges is None else ranges))


def check_address(ip: IPAddress, host: str, *, secret: bool, scheme: str) -> None:
    """Refuse `ip` (an address of `host`) unless public, or internal but allowed."""
    refusal = _refusal(ip, host, secret, scheme, allowed_ranges())
    if refusal is not None:
        raise OutboundRefused(refusal)


@lru_cache(maxsize=4096)
def _refusal(
    ip: IPAddress, host: str, secret: bool, scheme: str, ranges: tuple[IPNetwork, ...]
) -> str | None:
    """Why `ip` is refused, or None; a pure function of its arguments, so remembered (the
    address tests walk lists of networks: 40 µs a request otherwise)."""
    kind = forbidden_kind(ip)
    allowed = kind is not None and is_allowed(ip, ranges)
    if kind is not None and not allowed:
        shown = host if host == str(ip) else f"{host} ({ip})"
        return (
            f"refused to connect to {shown}: a {kind} address; bantin sends nothing to "
            f"internal addresses unless the operator allows the range in {ALLOW_ENV}"
        )
    if secret and scheme == "http" and not (allowed and _plain(ip).is_loopback):
        return (
            f"refused plain http to {host}: a request carrying credentials needs https "
            f"(http only to a loopback address allowed in {ALLOW_ENV}, for tests)"
        )
    return None


def _split(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise OutboundRefused(f"refused {scheme or 'no'} scheme: only http and https go out")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise OutboundRefused("refused a URL with an invalid port") from None
    if not host:
        raise OutboundRefused("refused a URL without a host")
    return scheme, host, port or (443 if scheme == "https" else 80)


#: Seconds a name's answer is reused. A burst's requests to one receiver are checked one
#: after the other on the send loop's hand-over (bantin.channels.sendloop); resolving the
#: name for each would put a DNS round trip per request on that one thread. Every request
#: is still checked against the answer and goes to the checked address, so reusing it for
#: a second lets no rebinding answer through.
RESOLVE_TTL = 1.0
_answers: dict[tuple[str, int], tuple[float, list[IPAddress]]] = {}
_now = time.monotonic


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (a literal address is itself); a name's answer is
    reused for RESOLVE_TTL seconds, a failure never."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    key, now = (host.lower(), port), _now()
    held = _answers.get(key)
    if held is not None and held[0] > now:
        return list(held[1])
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise requests.ConnectionError(f"cannot resolve {host}: {exc}") from None
    seen: dict[str, IPAddress] = {}
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone
        seen.setdefault(addr, ipaddress.ip_address(addr))
    if len(_answers) >= 4096:  # names seen once long ago: start again
        _answers.clear()
    _answers[key] = (now + RESOLVE_TTL, list(seen.values()))
    return list(seen.values())


def check_url(url: str, *, secret: bool) -> IPAddress:
    """Resolve the URL's host and check every address; returns the one to connect to."""
    scheme, host, port = _split(url)
    addresses = resolve(host, port)
    for ip in addresses:  # one bad answer refuses the host: no choosing the good one
        check_address(ip, host, secret=secret, scheme=scheme)
    return addresses[0]


def check_static(url: str, *, secret: bool) -> None:
    """The check that needs no DNS, for when a URL is configured (`channel add`):
    scheme, https for credentials, and literal or well-known internal hosts."""
    scheme, host, _ = _split(url)
    try:
        ip: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        ip = ipaddress.ip_address("127.0.0.1") if host.lower() in LOOPBACK_NAMES else None
    if ip is not None:
        check_address(ip, host, secret=secret, scheme=scheme)
    elif secret and scheme == "http":
        raise OutboundRefused(
            f"refused plain http to {host}: a request carrying credentials needs https"
        )


class Deadline:
    """A wall-clock limit on everything one thread sends and reads until it leaves the
    `with` block: when it passes, the sockets in use are shut down, so a server dripping
    its status line or headers a byte at a time (which a socket timeout, reset by every
    byte, never stops) is abandoned on time."""

    _current = threading.local()

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    @classmethod
    def watch(cls, sock: socket.socket | None) -> None:
        """Called by the connections below for each request they send."""
        current: Deadline | None = getattr(cls._current, "value", None)
        if current is None or sock is None:
            return
        with current._lock:
            if current.expired:
                _shutdown(sock)
            current._socks.append(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._socks:
                _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    with suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """`with deadline(30) as d:` every request of this thread inside ends by then; after an
    error, `d.expired` says whether the deadline was the cause."""
    limit = Deadline(seconds)
    Deadline._current.value = limit
    limit._timer.start()
    try:
        yield limit
    finally:
        limit._timer.cancel()
        Deadline._current.value = None


class _WatchedHTTP(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)
        Deadline.watch(self.sock)


class _WatchedHTTPS(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)
        Deadline.watch(self.sock)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTP


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPS


class PinnedAdapter(HTTPAdapter):
    """Checks every request (first and each redirect hop) and connects to the checked address,
    keeping the host name for the Host header, SNI and certificate verification."""

    def __init__(self, *, secret: bool) -> None:
        self.secret = secret
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {  # connections a `deadline` can end
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        original = request.url or ""
        ip = check_url(original, secret=self.secret)
        parts = urlsplit(original)
        host = parts.hostname or ""
        if host == str(ip):
            return super().send(request, **kwargs)
        literal = f"[{ip}]" if ip.version == 6 else str(ip)
        netloc = literal + (f":{parts.port}" if parts.port else "")
        request.headers["Host"] = parts.netloc.rpartition("@")[2]
        request.url = urlunsplit(parts._replace(netloc=netloc))
        request._bantin_host = host  # type: ignore[attr-defined]  # read below, per request
        try:
            resp = super().send(request, **kwargs)
        finally:
            request.url = original
            del request.headers["Host"]
        resp.url = original
        return resp

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: bool | str, cert: Any = None
    ) -> Any:
        host_params, typed = super().build_connection_pool_key_attributes(request, verify, cert)
        pool_kwargs: dict[str, Any] = dict(typed)
        host = getattr(request, "_bantin_host", None)
        if host and host_params.get("scheme") == "https":
            pool_kwargs["server_hostname"] = host  # SNI and certificate: the name, not the IP
            pool_kwargs["assert_hostname"] = host
        return host_params, pool_kwargs


class OutboundSession(requests.Session):
    """A requests session under the policy. `secret=True` for calls carrying credentials:
    https only, and redirects are never followed (a header such as Zalo's `access_token`
    would travel to wherever the redirect points)."""

    def __init__(self, *, secret: bool, max_redirects: int = 5, user_agent: str = "") -> None:
        super().__init__()
        self.secret = secret
        self.trust_env = False
        self.max_redirects = max_redirects
        adapter = PinnedAdapter(secret=secret)
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        if user_agent:
            self.headers["User-Agent"] = user_agent

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if self.secret:
            kwargs["allow_redirects"] = False
        return super().request(method, url, *args, **kwargs)


def media_dir(home: Path | None = None) -> Path:
    """Where `image_path` files may come from: `BANTIN_MEDIA_DIR`, else `home`/media (the
    channel's home, which is $BANTIN_HOME when the runner opens it)."""
    from bantin.config import load_settings

    settings = load_settings()
    return settings.media_path or (home / "media" if home else settings.media_dir)


def media_file(path: str, base: Path | None = None) -> Path:
    """`path` resolved inside the media folder; anything else (absolute elsewhere, `..`,
    a symlink out) is refused naming the folder."""
    folder = (base or media_dir()).resolve()
    candidate = Path(path)
    file = (candidate if candidate.is_absolute() else folder / candidate).resolve()
    if not file.is_relative_to(folder):
        raise OutboundRefused(
            f"image {path!r} is outside the media folder {folder}: put images there "
            "(setting BANTIN_MEDIA_DIR)"
        )
    return file


def check_smtp(host: str, port: int) -> None:
    """An SMTP server is an outbound target too: the same address rules."""
    for ip in resolve(host, port):
        check_address(ip, host, secret=False, scheme="smtp")
