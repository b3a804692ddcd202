"""The send loop (bantin.channels.sendloop): requests of prebuilt sends on non-blocking
sockets from one event loop, with the lean path's policy, framing, pooling, deadlines and
error mapping."""

from __future__ import annotations

import gzip
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from bantin.channels import lean, pool
from bantin.channels.http import USER_AGENT
from bantin.channels.sendloop import SendLoop
from tests.channels.recording_server import recording_server
from tests.channels.test_lean import one_shot_server
from tests.channels.test_outbound import _certificate


class Answers:
    """What a `Done` callback received, one entry a request, waited for by count."""

    def __init__(self) -> None:
        self.got: list[tuple[requests.Response | None, Exception | None]] = []
        self.cond = threading.Condition()

    def __call__(self, answer: requests.Response | None, error: Exception | None) -> None:
        with self.cond:
            self.got.append((answer, error))
            self.cond.notify_all()

    def wait(self, n: int) -> list[tuple[requests.Response | None, Exception | None]]:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.got) >= n, 10), self.got
            return list(self.got)


@pytest.fixture
def loop() -> Iterator[SendLoop]:
    sl = SendLoop(per_target=4)
    yield sl
    sl.close(5)


def prepared(url: str, body: bytes = b'{"a": 1}', timeout: float = 5.0,
             headers: dict[str, str] | None = None) -> lean.Prepared:  # fmt: skip
    session = pool.session(secret=False, user_agent=USER_AGENT)
    made = lean.prepare(session, "POST", url, data=body, timeout=timeout,
                        headers=headers or {"Content-Type": "application/json"})  # fmt: skip
    assert made is not None
    return made


@contextmanager
def keepalive_server(delay: float = 0.0, close_after: bool = False) -> Iterator[dict[str, object]]:
    """An HTTP/1.1 server that keeps connections: counts accepted connections and the
    most open at once, answers JSON after `delay`."""
    state: dict[str, object] = {"accepted": 0, "open": 0, "most": 0, "bodies": []}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            with lock:
                state["accepted"] = int(state["accepted"]) + 1  # type: ignore[call-overload]
                state["open"] = int(state["open"]) + 1  # type: ignore[call-overload]
                state["most"] = max(int(state["most"]), int(state["open"]))  # type: ignore[call-overload]

        def finish(self) -> None:
            super().finish()
            with lock:
                state["open"] = int(state["open"]) - 1  # type: ignore[call-overload]

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                state["bodies"].append((body, dict(self.headers)))  # type: ignore[attr-defined]
            time.sleep(delay)
            answer = b'{"id": "ext-1"}'
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            if close_after:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/hook"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_a_request_gets_its_answer_as_a_requests_response(loop: SendLoop) -> None:
    answers = Answers()
    with keepalive_server() as server:
        loop.send([(prepared(str(server["url"])), answers)])
        ((answer, error),) = answers.wait(1)
        ((body, headers),) = server["bodies"]  # type: ignore[misc]
    assert error is None and answer is not None
    assert (answer.status_code, answer.json()) == (201, {"id": "ext-1"})
    assert answer.headers["content-type"] == "application/json"
    assert body == b'{"a": 1}'
    assert headers["Content-Length"] == "8" and headers["Content-Type"] == "application/json"
    assert headers["Host"].startswith("127.0.0.1:")
    assert headers["User-Agent"].startswith("bantin/")


def test_requests_one_after_another_reuse_one_connection(loop: SendLoop) -> None:
    answers = Answers()
    with keepalive_server() as server:
        for i in range(3):
            loop.send([(prepared(str(server["url"])), answers)])
            answers.wait(i + 1)
        assert server["accepted"] == 1


def test_connections_to_an_address_never_exceed_the_limit(loop: SendLoop) -> None:
    answers = Answers()
    with keepalive_server(delay=0.05) as server:
        loop.send([(prepared(str(server["url"])), answers) for _ in range(12)])
        got = answers.wait(12)
        assert server["most"] == 4 and server["accepted"] == 4
    assert all(error is None for _, error in got)


def test_connections_opened_ahead_carry_the_requests(loop: SendLoop) -> None:
    answers = Answers()
    with keepalive_server() as server:
        target = prepared(str(server["url"])).target
        loop.warm(target, 3, 5.0)
        deadline = time.monotonic() + 5
        while server["accepted"] != 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert (server["accepted"], server["bodies"]) == (3, [])
        loop.send([(prepared(str(server["url"])), answers) for _ in range(3)])
        answers.wait(3)
        assert server["accepted"] == 3


def test_a_slow_answer_fails_as_a_read_timeout(loop: SendLoop) -> None:
    answers = Answers()
    with keepalive_server(delay=1.0) as server:
        loop.send([(prepared(str(server["url"]), timeout=0.2), answers)])
        ((answer, error),) = answers.wait(1)
    assert answer is None and isinstance(error, requests.ReadTimeout)


def test_a_closed_port_fails_as_a_connection_error(loop: SendLoop) -> None:
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    answers = Answers()
    loop.send([(prepared(f"http://127.0.0.1:{port}/hook"), answers)])
    ((answer, error),) = answers.wait(1)
    assert answer is None and isinstance(error, requests.ConnectionError)


def test_a_connection_dropped_without_an_answer_fails_as_a_connection_error(
    loop: SendLoop,
) -> None:
    answers = Answers()
    with one_shot_server(b"") as (port, _):
        loop.send([(prepared(f"http://127.0.0.1:{port}/hook"), answers)])
        ((answer, error),) = answers.wait(1)
    assert answer is None and type(error) is requests.ConnectionError


def test_a_kept_connection_its_peer_closed_is_replaced(loop: SendLoop) -> None:
    answers = Answers()
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    with one_shot_server(reply) as (port, served):
        for i in range(3):
            loop.send([(prepared(f"http://127.0.0.1:{port}/hook"), answers)])
            answers.wait(i + 1)
            deadline = time.monotonic() + 5  # until the server has closed (its FIN is out)
            while len(served) < i + 1 and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(0.02)
    assert [a.status_code if a else e for a, e in answers.got] == [200, 200, 200]


def test_an_answer_asking_to_close_is_not_reused(loop: SendLoop) -> None:
    answers = Answers()
    with keepalive_server(close_after=True) as server:
        for i in range(2):
            loop.send([(prepared(str(server["url"])), answers)])
            answers.wait(i + 1)
        assert server["accepted"] == 2
    assert [a.status_code for a, _ in answers.got if a] == [201, 201]


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'7\r\n{"id": \r\n5\r\n"c7"}\r\n0\r\n\r\n',
        b'HTTP/1.0 200 OK\r\n\r\n{"id": "c7"}',  # framed by the close
    ],
    ids=["chunked", "until-close"],
)
def test_answers_framed_otherwise_than_by_length_are_read(loop: SendLoop, reply: bytes) -> None:
    answers = Answers()
    with one_shot_server(reply) as (port, _):
        loop.send([(prepared(f"http://127.0.0.1:{port}/hook"), answers)])
        ((answer, error),) = answers.wait(1)
    assert error is None and answer is not None and answer.json() == {"id": "c7"}


def test_a_gzip_answer_is_read_decoded(loop: SendLoop) -> None:
    body = gzip.compress(json.dumps({"id": "g1"}).encode())
    reply = (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "
             + str(len(body)).encode() + b"\r\n\r\n" + body)  # fmt: skip
    answers = Answers()
    with one_shot_server(reply) as (port, _):
        loop.send([(prepared(f"http://127.0.0.1:{port}/hook"), answers)])
        ((answer, _error),) = answers.wait(1)
    assert answer is not None and answer.json() == {"id": "g1"}


def test_a_header_carrying_a_line_break_sends_nothing(loop: SendLoop) -> None:
    answers = Answers()
    with keepalive_server() as server:
        bad = prepared(str(server["url"]), headers={"X-Note": "a\r\nX-Injected: 1"})
        loop.send([(bad, answers)])
        ((answer, error),) = answers.wait(1)
        assert server["bodies"] == []
    assert answer is None and isinstance(error, requests.exceptions.InvalidHeader)


def test_certificates_are_verified(loop: SendLoop, tmp_path: Path) -> None:
    both, _ = _certificate(tmp_path, "localhost")  # self-signed: no trusted CA signed it
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(both)
    answers = Answers()
    with recording_server(tls=context) as server:
        loop.send([(prepared(f"https://localhost:{server.port}/b"), answers)])
        ((answer, error),) = answers.wait(1)
        assert server.requests == []
    assert answer is None and isinstance(error, requests.exceptions.SSLError)


def test_tls_names_the_host_to_a_checked_address(
    loop: SendLoop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    both, ca = _certificate(tmp_path, "localhost")
    monkeypatch.setattr(lean, "tls_context", lambda: ssl.create_default_context(cafile=ca))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(both)
    answers = Answers()
    with recording_server(tls=context) as server:
        request = prepared(f"https://localhost:{server.port}/b")
        loop.send([(request, answers)])
        ((answer, error),) = answers.wait(1)
        ((_, path, headers),) = server.requests
    assert request.target.ip == "127.0.0.1" and request.target.name == "localhost"
    assert error is None and answer is not None and answer.status_code == 200
    assert (path, headers["Host"]) == ("/b", f"localhost:{server.port}")


def test_a_failing_callback_does_not_stop_the_loop(loop: SendLoop) -> None:
    def broken(_answer: requests.Response | None, _error: Exception | None) -> None:
        raise RuntimeError("a caller's bug")

    answers = Answers()
    with keepalive_server() as server:
        loop.send([(prepared(str(server["url"])), broken)])
        loop.send([(prepared(str(server["url"])), answers)])
        ((answer, _),) = answers.wait(1)
    assert answer is not None and answer.status_code == 201
    assert loop.pending() == 0


def test_close_lets_the_requests_handed_over_finish() -> None:
    sl = SendLoop(per_target=2)
    answers = Answers()
    with keepalive_server(delay=0.1) as server:
        sl.send([(prepared(str(server["url"])), answers) for _ in range(4)])
        sl.close(10)
        assert len(answers.got) == 4
    assert all(a is not None and a.status_code == 201 for a, _ in answers.got)
