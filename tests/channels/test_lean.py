"""The lean request path (bantin.channels.lean): plain requests of credentialed channels go
straight through the session's pool, under the same outbound policy, headers, TLS checks
and error mapping as the full requests path."""

from __future__ import annotations

import gzip
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import requests

from bantin import outbound
from bantin.channels import lean, open_channel
from bantin.channels.base import RetryableError
from bantin.channels.http import USER_AGENT
from bantin.channels.webhook import WebhookChannel, payload
from tests.channels.recording_server import recording_server
from tests.channels.test_outbound import _certificate
from tests.channels.test_webhook import R as RENDERED


@pytest.fixture(autouse=True)
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOA_SECRET", "s3cret")


@pytest.fixture
def no_full_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any request that goes through requests' Session.send fails the test."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("sent through requests.Session.send")

    monkeypatch.setattr(requests.Session, "send", refuse)


def webhook(url: str) -> WebhookChannel:
    ch = open_channel("loa", f"webhook+{url}?secret=env:LOA_SECRET", Path("."))
    assert isinstance(ch, WebhookChannel)
    return ch


def test_a_webhook_post_takes_the_lean_path(no_full_path: None) -> None:
    with recording_server() as server:
        receipt = webhook(server.url("/bulletins")).publish(RENDERED, "key-1")
        assert receipt.http_status == 200
        ((method, path, headers),) = server.requests
    assert (method, path) == ("POST", "/bulletins")
    assert headers["Idempotency-Key"] == "key-1"
    assert headers["X-Bantin-Signature"].startswith("sha256=")


def test_the_lean_path_sends_the_user_agent_and_the_requests_own_headers() -> None:
    with recording_server() as server:
        webhook(server.url("/b")).publish(RENDERED, "key-1")
        ((_, _, headers),) = server.requests
    assert headers["User-Agent"] == USER_AGENT
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert int(headers["Content-Length"]) > 100
    # requests' defaults are not needed: no Accept, no compression asked for
    assert "Accept" not in headers and headers.get("Accept-Encoding") == "identity"


def test_a_prebuilt_webhook_body_is_what_publish_would_send() -> None:
    with recording_server() as server:
        ch = webhook(server.url("/b"))
        built = ch.prebuild(RENDERED, "key-1")
        ch.publish_prebuilt(built, RENDERED, "key-1")
        ch.publish(RENDERED, "key-1")
        (_, _, first), (_, _, second) = server.requests
    assert json.loads(built) == json.loads(json.dumps(payload(RENDERED, "key-1")))
    assert first["Content-Length"] == second["Content-Length"] == str(len(built))


def test_a_host_name_is_pinned_to_its_checked_address(no_full_path: None) -> None:
    with recording_server() as server:
        webhook(f"http://localhost:{server.port}/b").publish(RENDERED, "key-1")
        ((_, _, headers),) = server.requests
    assert headers["Host"] == f"localhost:{server.port}"


def test_a_refused_address_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    with recording_server() as server:
        ch = webhook(server.url("/b"))
        monkeypatch.setenv(outbound.ALLOW_ENV, "")
        with pytest.raises(outbound.OutboundRefused, match="loopback"):
            ch.publish(RENDERED, "key-1")
        assert server.requests == []


def test_a_gzip_answer_is_read_decoded() -> None:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        body = gzip.compress(b'{"id": "ext-7", "url": "https://loa.example/7"}')
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    with recording_server(answer=answer) as server:
        receipt = webhook(server.url("/b")).publish(RENDERED, "key-1")
    assert (receipt.external_id, receipt.url) == ("ext-7", "https://loa.example/7")


@contextmanager
def one_shot_server(reply: bytes) -> Iterator[tuple[int, list[int]]]:
    """A server that reads one request a connection, writes `reply` (maybe nothing) and
    closes the connection; yields its port and a list growing by one per closed request."""
    sock = socket.create_server(("127.0.0.1", 0))
    served: list[int] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(reply)
            served.append(1)  # after the close

    threading.Thread(target=serve, daemon=True).start()
    yield int(sock.getsockname()[1]), served
    sock.close()


@pytest.fixture
def drop_server() -> Iterator[int]:
    """Reads a request and closes the connection without an answer."""
    with one_shot_server(b"") as (port, _):
        yield port


def test_a_dropped_connection_is_a_retryable_connection_error(drop_server: int) -> None:
    ch = webhook(f"http://127.0.0.1:{drop_server}/b")
    with pytest.raises(RetryableError, match="connection failed: ConnectionError"):
        ch.publish(RENDERED, "key-1")


def test_the_lean_path_verifies_certificates(tmp_path: Path) -> None:
    both, _ = _certificate(tmp_path, "localhost")  # self-signed: no trusted CA signed it
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(both)
    with recording_server(tls=context) as server:
        ch = webhook(f"https://localhost:{server.port}/b")
        with pytest.raises(RetryableError, match="connection failed: SSLError"):
            ch.publish(RENDERED, "key-1")
        assert server.requests == []


@pytest.mark.parametrize(
    ("kwargs", "secret"),
    [
        ({"data": b"{}", "headers": {}}, True),
        ({"json": {}}, True),
        ({"params": {"a": "1"}}, True),
        ({"files": {"f": b"x"}}, True),
        ({"data": {"form": "x"}}, True),
        ({"data": b"{}"}, False),
    ],
)
def test_only_plain_requests_of_credentialed_sessions_are_lean(
    kwargs: dict[str, Any], secret: bool
) -> None:
    session = outbound.OutboundSession(secret=secret)
    assert lean.eligible(session, kwargs) is (set(kwargs) == {"data", "headers"})


def test_a_session_holding_cookies_takes_the_full_path() -> None:
    session = outbound.OutboundSession(secret=True)
    session.cookies.set("sid", "1")
    assert not lean.eligible(session, {"data": b"{}"})


@pytest.fixture
def closing_server() -> Iterator[tuple[int, list[int]]]:
    """Answers each request on a kept-alive-looking connection, then closes it (no
    `Connection: close`): the client's pooled connection is dead when next used."""
    with one_shot_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}") as server:
        yield server


def test_a_pooled_connection_closed_by_its_peer_is_replaced(
    closing_server: tuple[int, list[int]],
) -> None:
    port, served = closing_server
    ch = webhook(f"http://127.0.0.1:{port}/b")
    for i in range(3):
        assert ch.publish(RENDERED, f"key-{i}").http_status == 200
        deadline = time.monotonic() + 5  # until the server has closed (its FIN is out)
        while len(served) < i + 1 and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.02)
    assert len(served) == 3


def test_a_slow_answer_times_out_as_a_read_timeout() -> None:
    def slow(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(1.0)

    with recording_server(answer=slow) as server:
        ch = open_channel(
            "loa", f"webhook+{server.url('/b')}?secret=env:LOA_SECRET&timeout=0.2", Path(".")
        )
        with pytest.raises(RetryableError, match=r"timed out after 0\.2 s"):
            ch.publish(RENDERED, "key-1")


def test_a_loop_send_carries_what_publish_sends() -> None:
    with recording_server() as server:
        ch = webhook(server.url("/b"))
        built = ch.prebuild(RENDERED, "key-1")
        send = ch.loop_send(built, RENDERED, "key-1")
        ch.publish(RENDERED, "key-1")
        ((_, _, published),) = server.requests
    assert send is not None
    sent = dict(send.request.headers)
    assert (send.request.method, send.request.path, send.request.body) == (
        "POST",
        "/b",
        built,
    )
    same = (
        "Host",
        "User-Agent",
        "Content-Type",
        "Content-Length",
        "Idempotency-Key",
        "Accept-Encoding",
    )
    assert {k: sent[k] for k in same} == {k: published[k] for k in same}
    assert sent["X-Bantin-Signature"].startswith("sha256=")


def test_a_loop_send_reads_answers_and_failures_as_publish_does() -> None:
    ch = webhook("http://127.0.0.1:9/b")
    send = ch.loop_send(ch.prebuild(RENDERED, "key-1"), RENDERED, "key-1")
    assert send is not None
    answer = lean.response(200, "OK", [("Content-Type", "application/json")],
                           b'{"id": "ext-3"}', send.request.url)  # fmt: skip
    assert send.read(answer).external_id == "ext-3"
    with pytest.raises(RetryableError, match="receiver error 503"):
        send.read(lean.response(503, "Busy", [], b"", send.request.url))
    late = send.failed(requests.ReadTimeout("no answer"))
    assert isinstance(late, RetryableError) and str(late) == "receiver timed out after 10 s"


def test_a_refused_address_is_refused_before_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    ch = webhook("http://127.0.0.1:9/b")
    monkeypatch.delenv("BANTIN_OUTBOUND_ALLOW")
    with pytest.raises(outbound.OutboundRefused):
        ch.loop_send(ch.prebuild(RENDERED, "key-1"), RENDERED, "key-1")
