"""The HTTP kit's connection pool: requests reach a server with their headers and body
together (no Nagle/delayed-ACK stall), over kept-alive connections, with as many pooled
connections per host as the dispatcher has workers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from bantin.channels import open_channel, pool
from bantin.channels.webhook import WebhookChannel

ANSWER = (
    b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{"id": "ok"}'
)


@dataclass
class Arrival:
    """When a request's first and last bytes arrived, on which connection."""

    connection: int
    header_to_body: float


@dataclass
class RawServer:
    """A keep-alive HTTP/1.1 server on a plain socket with Nagle left on (the default), so
    a client that holds its body back shows as a gap between headers and body."""

    sock: socket.socket
    arrivals: list[Arrival] = field(default_factory=list)
    connections: int = 0
    delay: float = 0.0

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.handle, args=(conn, self.connections), daemon=True).start()

    def handle(self, conn: socket.socket, number: int) -> None:
        buf = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                first = time.perf_counter()
                head, _, buf = buf.partition(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                while len(buf) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                buf = buf[length:]
                time.sleep(self.delay)
                self.arrivals.append(Arrival(number, time.perf_counter() - first))
                conn.sendall(ANSWER)


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = RawServer(sock)
    threading.Thread(target=server.serve, daemon=True).start()
    yield server
    sock.close()


def _webhook(port: int, monkeypatch: pytest.MonkeyPatch) -> WebhookChannel:
    monkeypatch.setenv("HOOK_SECRET", "s")
    ch = open_channel("hook", f"webhook+http://127.0.0.1:{port}/h?secret=env:HOOK_SECRET")
    assert isinstance(ch, WebhookChannel)
    return ch


def test_requests_arrive_with_headers_and_body_without_a_stall(
    raw_server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ch = _webhook(raw_server.port, monkeypatch)
    t0 = time.perf_counter()
    for i in range(20):
        ch.send_json({"title": "Tiêu đề", "body": "Nội dung " * 300}, f"k{i}")
    elapsed = time.perf_counter() - t0
    gaps = sorted(a.header_to_body for a in raw_server.arrivals)
    assert len(gaps) == 20
    assert gaps[-1] < 0.02, gaps  # a delayed-ACK stall is ~40 ms
    assert elapsed < 20 * 0.02, elapsed
    assert raw_server.connections == 1  # kept alive: one connection for all twenty


def test_the_pooled_socket_has_nagle_off_and_keepalive_on(
    raw_server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ch = _webhook(raw_server.port, monkeypatch)
    ch.send_json({"title": "t", "body": "b"}, "k")
    adapter = ch.session.get_adapter(ch.target)
    assert isinstance(adapter, pool.PooledAdapter)
    pooled = [c for lean_pool in adapter.lean_pools.values() for c in lean_pool.idle]
    assert len(pooled) == 1
    conn = pooled[0]
    assert conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    assert conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1


@pytest.mark.parametrize("workers", [3, 20])
def test_the_pool_per_host_holds_as_many_connections_as_the_dispatcher_has_workers(
    workers: int, raw_server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANTIN_DISPATCH_WORKERS", str(workers))
    ch = _webhook(raw_server.port, monkeypatch)
    assert pool.pool_size(ch.session, ch.target) == workers
    conn_pool = ch.session.get_adapter(ch.target).poolmanager.connection_from_url(ch.target)  # type: ignore[attr-defined]
    assert conn_pool.pool.maxsize == workers
    ch.send_json({"title": "t", "body": "b"}, "k")  # the lean path's pool, made at first use
    adapter = ch.session.get_adapter(ch.target)
    assert isinstance(adapter, pool.PooledAdapter)
    assert [p.maxsize for p in adapter.lean_pools.values()] == [workers]


def test_twenty_concurrent_workers_reuse_their_connections(
    raw_server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANTIN_DISPATCH_WORKERS", "20")
    raw_server.delay = 0.02  # all twenty requests in flight at once
    ch = _webhook(raw_server.port, monkeypatch)

    def work(w: int) -> None:
        for i in range(10):
            ch.send_json({"title": "t", "body": "b"}, f"k{w}-{i}")

    threads = [threading.Thread(target=work, args=(w,)) for w in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(raw_server.arrivals) == 200
    # A pool smaller than the workers throws surplus connections away and reconnects.
    assert raw_server.connections <= 20, raw_server.connections


def test_a_warmed_connection_carries_the_next_request(
    raw_server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ch = _webhook(raw_server.port, monkeypatch)
    assert ch.warm() is True
    deadline = time.monotonic() + 5  # the server thread counts the accept
    while raw_server.connections < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (raw_server.connections, raw_server.arrivals) == (1, [])  # a handshake only
    ch.send_json({"title": "t", "body": "b"}, "k")
    assert raw_server.connections == 1 and len(raw_server.arrivals) == 1


def test_warming_stops_at_the_pool_size(
    raw_server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANTIN_DISPATCH_WORKERS", "2")
    ch = _webhook(raw_server.port, monkeypatch)
    assert [ch.warm() for _ in range(3)] == [True, True, False]
