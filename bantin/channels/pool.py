"""The connection pool behind every HTTP channel: one pool per host, as many keep-alive
connections as the dispatcher has workers, Nagle off.

Why: requests' default adapter keeps 10 connections per host, so with more workers than
that every surplus response throws its connection away and the next request pays a new
TCP (and TLS) handshake. And a request whose headers and body leave in two writes (how
urllib3 sends a body) must not wait for the peer's delayed ACK (~40 ms on Linux) before
the body goes: TCP_NODELAY is set explicitly here, because passing any `socket_options`
replaces urllib3's defaults, and a later "add SO_KEEPALIVE" would silently turn Nagle back
on. SO_KEEPALIVE lets the kernel notice a peer that vanished from an idle pooled
connection.
"""

from __future__ import annotations

import socket
from typing import Any

from bantin import outbound

SOCKET_OPTIONS: list[tuple[int, int, int]] = [
    (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
    (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
]


def default_workers() -> int:
    """The dispatcher's worker count from the settings (BANTIN_DISPATCH_WORKERS)."""
    from bantin.config import load_settings  # settings read once per channel opened

    return max(1, load_settings().dispatch_workers)


class PooledAdapter(outbound.PinnedAdapter):
    """The outbound policy's adapter with a pool of `workers` connections per host."""

    def __init__(self, *, secret: bool, workers: int) -> None:
        self.workers = max(1, workers)
        #: The lean path's pools (bantin.channels.lean), by (scheme, checked address,
        #: port, host name), each as many connections as the workers.
        self.lean_pools: dict[tuple[str, str, int, str], Any] = {}
        super().__init__(secret=secret)

    def close(self) -> None:
        for lean_pool in list(self.lean_pools.values()):
            lean_pool.close()
        super().close()

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        pool_kwargs.setdefault("socket_options", list(SOCKET_OPTIONS))
        super().init_poolmanager(connections, self.workers, block, **pool_kwargs)


def session(
    *, secret: bool, user_agent: str, workers: int | None = None
) -> outbound.OutboundSession:
    """An OutboundSession whose http and https requests go through one PooledAdapter."""
    s = outbound.OutboundSession(secret=secret, user_agent=user_agent)
    adapter = PooledAdapter(secret=secret, workers=workers or default_workers())
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s


def pool_size(s: outbound.OutboundSession, url: str) -> int:
    """How many connections the session keeps for `url`'s host (for tests and `doctor`)."""
    adapter = s.get_adapter(url)
    assert isinstance(adapter, PooledAdapter)
    return int(adapter.poolmanager.connection_pool_kw.get("maxsize", 1))
