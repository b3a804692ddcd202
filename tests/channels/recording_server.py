"""A tiny HTTP server on a loopback address that records what reaches it, to prove a
refused request made no network attempt (zero requests recorded)."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: (handler) -> None: writes the answer; the default answers 200 "ok".
Answer = Callable[[BaseHTTPRequestHandler], None]


def ok(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Content-Length", "2")
    handler.end_headers()
    handler.wfile.write(b"ok")


@dataclass
class Recorder:
    host: str
    port: int = 0
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"


@contextmanager
def recording_server(
    host: str = "127.0.0.1", answer: Answer = ok, tls: ssl.SSLContext | None = None
) -> Iterator[Recorder]:
    rec = Recorder(host)

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True

        def _any(self) -> None:
            rec.requests.append((self.command, self.path, dict(self.headers)))
            answer(self)

        do_GET = do_POST = do_OPTIONS = _any

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    rec.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


def redirect_to(location: str) -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer
