"""The signed webhook against a real HTTP server on 127.0.0.1 (pytest-httpserver)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bantin.channels import open_channel
from bantin.channels.base import (
    AuthError,
    ConfigError,
    PermanentError,
    RateLimited,
    RetryableError,
)
from bantin.channels.webhook import WebhookChannel, parse_retry_after, payload, signature
from bantin.content.render import Rendered, RenderInput, render

SECRET = "khoa-bi-mat-thu-nghiem"
R = Rendered(
    kind="radio_script",
    title="Bản tin chuyển đổi số",
    body="Kính thưa bà con!",
    campaign_id="loa-cds",
    channel="loa",
    due_at=datetime(2026, 11, 30, 22, 30, tzinfo=UTC),
    priority="emergency",
    unit_code="29641",
    unit_name="Xã Cái Nhum",
    agency_code="COMMUNES",
    task_code="1.3",
)


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOA_SECRET", SECRET)


def channel(server: HTTPServer, extra: str = "") -> WebhookChannel:
    url = "webhook+" + server.url_for("/bulletins") + "?secret=env:LOA_SECRET" + extra
    ch = open_channel("loa", url, Path("."))
    assert isinstance(ch, WebhookChannel)
    return ch


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("webhook+https://loa.example.vn/api?secret=env:X", None),
        ("webhook+https://loa.example.vn/api", "needs \\?secret=env:VAR"),
        ("webhook+https://loa.example.vn/api?secret=plain", "must be a secret reference"),
        ("webhook+https://user:pw@loa.example.vn/api?secret=env:X", "no password in the URL"),
        ("webhook+ftp://loa.example.vn/?secret=env:X", "unknown channel type"),
    ],
)
def test_urls(url: str, error: str | None) -> None:
    if error is None:
        open_channel("w", url)
    else:
        with pytest.raises(ConfigError, match=error):
            open_channel("w", url)


def test_listing_url_hides_the_secret_reference() -> None:
    ch = open_channel("w", "webhook+https://loa.example.vn/api?secret=env:LOA_SECRET")
    assert "LOA_SECRET" not in ch.url(privacy=True)
    assert "secret=***" in ch.url(privacy=True)


def test_success_posts_signed_json_with_the_idempotency_key(
    httpserver: HTTPServer, secret_env: None
) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return Response(
            json.dumps({"id": "b-1", "url": "https://loa/b-1"}),
            201,
            content_type="application/json",
        )

    httpserver.expect_request("/bulletins", method="POST").respond_with_handler(handler)
    receipt = channel(httpserver).publish(R, "key-123")
    assert (receipt.external_id, receipt.url, receipt.http_status) == (
        "b-1",
        "https://loa/b-1",
        201,
    )
    req = seen[0]
    body = req.get_data()
    assert req.headers["Idempotency-Key"] == "key-123"
    expected = (
        "sha256="
        + hmac.new(
            SECRET.encode(),
            req.headers["X-Bantin-Timestamp"].encode() + b"." + body,
            hashlib.sha256,
        ).hexdigest()
    )
    assert req.headers["X-Bantin-Signature"] == expected
    doc = json.loads(body.decode("utf-8"))
    assert doc["title"] == "Bản tin chuyển đổi số"
    assert doc["unit"] == {"code": "29641", "name": "Xã Cái Nhum"}
    assert doc["priority"] == "emergency"
    assert doc["due_local"].startswith("2026-12-01T05:30:00+07:00")
    assert req.headers["User-Agent"].startswith("bantin/")


@pytest.mark.parametrize(
    ("status", "headers", "error", "retry_after"),
    [
        (429, {"Retry-After": "120"}, RateLimited, 120.0),
        (503, {"Retry-After": "30"}, RetryableError, 30.0),
        (500, {}, RetryableError, None),
        (502, {}, RetryableError, None),
        (408, {}, RetryableError, None),
        (401, {}, AuthError, None),
        (403, {}, AuthError, None),
        (400, {}, PermanentError, None),
        (422, {}, PermanentError, None),
    ],
)
def test_error_statuses_are_classified(
    httpserver: HTTPServer,
    secret_env: None,
    status: int,
    headers: dict[str, str],
    error: type[Exception],
    retry_after: float | None,
) -> None:
    httpserver.expect_request("/bulletins").respond_with_data("lỗi", status=status, headers=headers)
    with pytest.raises(error) as info:
        channel(httpserver).publish(R, "k")
    assert type(info.value) is error
    if retry_after is not None:
        assert getattr(info.value, "retry_after", None) == retry_after
    assert getattr(info.value, "http_status", None) == status


def test_409_means_the_receiver_already_has_it(httpserver: HTTPServer, secret_env: None) -> None:
    httpserver.expect_request("/bulletins").respond_with_json({"id": "b-9"}, status=409)
    assert channel(httpserver).publish(R, "k").external_id == "b-9"


def test_timeout_is_retryable(httpserver: HTTPServer, secret_env: None) -> None:
    def slow(_: Request) -> Response:
        time.sleep(1.0)
        return Response("{}", 200)

    httpserver.expect_request("/bulletins").respond_with_handler(slow)
    with pytest.raises(RetryableError, match="timed out"):
        channel(httpserver, "&timeout=0.2").publish(R, "k")


def test_connection_refused_is_retryable(secret_env: None) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ch = open_channel("w", f"webhook+http://127.0.0.1:{port}/x?secret=env:LOA_SECRET")
    with pytest.raises(RetryableError, match="connection failed"):
        ch.publish(R, "k")


def test_connection_reset_is_retryable(secret_env: None) -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    import threading

    def reset_once() -> None:
        conn, _ = srv.accept()
        conn.recv(65536)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()

    t = threading.Thread(target=reset_once, daemon=True)
    t.start()
    ch = open_channel("w", f"webhook+http://127.0.0.1:{port}/x?secret=env:LOA_SECRET")
    try:
        with pytest.raises(RetryableError):
            ch.publish(R, "k")
    finally:
        t.join(timeout=5)
        srv.close()


def test_missing_secret_names_the_variable_not_a_value(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOA_SECRET", raising=False)
    with pytest.raises(ConfigError, match="LOA_SECRET is not set"):
        channel(httpserver).publish(R, "k")


def test_signature_helper_matches_documented_formula() -> None:
    assert (
        signature("s", "1", b"{}")
        == "sha256=" + hmac.new(b"s", b"1.{}", hashlib.sha256).hexdigest()
    )


def test_retry_after_accepts_an_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now=1792567620.0) == 60.0
    assert parse_retry_after("soon") is None


# -- The `broadcast` object: what a loudspeaker platform needs to air a radio script --


def test_radio_script_payload_carries_a_broadcast_object() -> None:
    doc = payload(replace(R, meta={"slot_minutes": 5.0}), "key-1")
    assert doc["broadcast"] == {
        "units": [{"code": "29641", "name": "Xã Cái Nhum"}],
        "priority": "emergency",
        "slot_start": "2026-12-01T05:30:00+07:00",
        "slot_minutes": 5,
        "estimated_seconds": 2,  # 4 syllables at 233 a minute, rounded up
        "script": "Kính thưa bà con!",
        "audio_url": None,
    }
    assert doc["priority"] == "emergency" and doc["body"] == R.body  # old fields stay


def test_broadcast_estimate_is_syllables_at_233_a_minute() -> None:
    one_minute = replace(R, body=" ".join(["bà con"] * 116 + ["nhé"]))
    assert payload(one_minute, "k")["broadcast"]["estimated_seconds"] == 60


def test_broadcast_prefers_the_estimate_the_render_made() -> None:
    rendered = replace(R, meta={"estimated_seconds": 94.2})
    assert payload(rendered, "k")["broadcast"]["estimated_seconds"] == 95


def test_broadcast_audio_url_comes_from_the_template_meta() -> None:
    rendered = replace(R, meta={"audio_url": "https://loa.vinhlong.gov.vn/a/ban-tin.mp3"})
    assert payload(rendered, "k")["broadcast"]["audio_url"] == (
        "https://loa.vinhlong.gov.vn/a/ban-tin.mp3"
    )


def test_broadcast_slot_minutes_is_null_without_a_slot() -> None:
    assert payload(R, "k")["broadcast"]["slot_minutes"] is None


def test_posts_and_articles_have_a_null_broadcast() -> None:
    assert payload(replace(R, kind="post"), "k")["broadcast"] is None
    assert payload(replace(R, kind="article", body="<p>Tin</p>"), "k")["broadcast"] is None


def test_campaign_slot_minutes_reaches_the_broadcast_through_the_render() -> None:
    # 1165 syllables read at 233 a minute fill the 5-minute slot exactly.
    inp = RenderInput(
        campaign={"id": "loa-cds", "title": "Bản tin", "kind": "radio_script", "slot_minutes": 5},
        templates={"loa.txt.j2": "{% for _ in range(1165) %}bà {% endfor %}"},
        template_name="loa.txt.j2",
        channel={"name": "loa", "kind": "webhook"},
        unit={"code": "29641", "name": "Xã Cái Nhum", "kind": "xa"},
        agency={"code": "COMMUNES", "name": "Các xã, phường"},
        task={"code": "1.3", "title": "Truyền thông", "group": "1"},
        plan={},
        due_at=R.due_at,
        timezone=ZoneInfo("Asia/Ho_Chi_Minh"),
    )
    broadcast = payload(render(inp), "k")["broadcast"]
    assert broadcast["slot_minutes"] == 5
    assert broadcast["estimated_seconds"] == 300
    assert broadcast["units"] == [{"code": "29641", "name": "Xã Cái Nhum"}]


def test_broadcast_reaches_the_receiver(httpserver: HTTPServer, secret_env: None) -> None:
    seen: list[bytes] = []

    def handler(request: Request) -> Response:
        seen.append(request.get_data())
        return Response('{"id": "b-2"}', 201, content_type="application/json")

    httpserver.expect_request("/bulletins", method="POST").respond_with_handler(handler)
    channel(httpserver).publish(replace(R, meta={"slot_minutes": 3}), "key-2")
    broadcast = json.loads(seen[0].decode("utf-8"))["broadcast"]
    assert broadcast["slot_minutes"] == 3 and broadcast["script"] == "Kính thưa bà con!"
