"""The Zalo OA channel against a fake of the OA article API and OAuth on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests

from bantin.channels import open_channel
from bantin.channels.base import (
    AuthError,
    ConfigError,
    PermanentError,
    RateLimited,
    RetryableError,
)
from bantin.channels.zalo import MemoryTokenStore, ZaloOAChannel, shorten, text_to_html
from bantin.content.render import Rendered
from bantin.secrets import tokens

OA, APP_ID, SECRET = "4318263917364729", "2730916543", "zalo-app-secret-thu"
KEY = "9d1c0e5b3f2a4e7f8a6b2c9d0e1f2a3b"
R = Rendered(
    kind="post",
    title="Ngày hội chuyển đổi số xã Cái Nhum",
    body="Kính mời bà con tham dự.\nĐịa điểm: UBND xã.\n\nMang theo CCCD gắn chip.",
    campaign_id="ngay-hoi-cds",
    channel="zalo-vl",
    due_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
    meta={"image_url": "https://cdn.vinhlong.gov.vn/cover.jpg"},
)


Answer = tuple[int, Any, dict[str, str]]  # status, JSON document or raw text, headers


def ok(data: dict[str, Any]) -> Answer:
    return 200, {"data": data, "error": 0, "message": "Success"}, {}


def fail(
    code: int, message: str, status: int = 200, headers: dict[str, str] | None = None
) -> Answer:
    return status, {"error": code, "message": message}, headers or {}


class ZaloFake:
    """OA article create/verify and the OAuth refresh, with single-use refresh tokens.

    A stdlib server, not werkzeug's: Zalo's `access_token` and `secret_key` headers contain
    underscores, which werkzeug's development server drops.
    """

    def __init__(self) -> None:
        self.access, self.refresh, self.generation = "access-1", "refresh-1", 1
        self.expired_code = -216
        self.processing = 0  # verify answers -214 this many times first
        self.delay = 0.0
        self.scripted: dict[str, list[Answer]] = {"create": [], "verify": []}
        self.refuse_every_token = False
        self.created: list[dict[str, Any]] = []
        self.verified = self.refreshes = 0
        self.oauth_requests: list[tuple[dict[str, str], dict[str, str]]] = []
        self.api_headers: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, doc, headers = fake.answer(self.path, dict(self.headers), raw)
                body = (json.dumps(doc) if isinstance(doc, dict) else str(doc)).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)  # a client that timed out has gone

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def expire(self, code: int = -216) -> None:
        self.access, self.expired_code = "not-valid-any-more", code

    def answer(self, path: str, headers: dict[str, str], raw: bytes) -> Answer:
        time.sleep(self.delay)
        if path == "/v4/oa/access_token":
            return self.oauth(headers, {k: v[0] for k, v in parse_qs(raw.decode()).items()})
        op = {"/v2.0/article/create": "create", "/v2.0/article/verify": "verify"}.get(path)
        if op is None:
            return 404, "not found", {}
        self.api_headers.append(headers)
        if self.refuse_every_token or headers.get("access_token") != self.access:
            return fail(self.expired_code, "Access token is invalid")
        if self.scripted[op]:
            return self.scripted[op].pop(0)
        body = json.loads(raw)
        if op == "create":
            self.created.append(body)
            return ok({"token": f"tok-{len(self.created)}"})
        self.verified += 1
        if self.processing:
            self.processing -= 1
            return fail(-214, "Article is being processed")
        return ok({"id": f"art-{body['token']}"})

    def oauth(self, headers: dict[str, str], form: dict[str, str]) -> Answer:
        self.oauth_requests.append((headers, form))
        good = (
            headers.get("secret_key") == SECRET
            and form.get("app_id") == APP_ID
            and form.get("grant_type") == "refresh_token"
            and form.get("refresh_token") == self.refresh
        )
        if not good:
            return 200, {"error": -14014, "error_name": "Invalid refresh token"}, {}
        self.refreshes += 1
        self.generation += 1
        self.access, self.refresh = f"access-{self.generation}", f"refresh-{self.generation}"
        doc = {"access_token": self.access, "refresh_token": self.refresh, "expires_in": "90000"}
        return 200, doc, {}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[ZaloFake]:
    monkeypatch.setenv("ZALO_SECRET", SECRET)
    fake = ZaloFake()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def url_for(fake: ZaloFake, extra: str = "") -> str:
    return (
        f"zalo://{OA}?token=env:ZALO_TOKEN&refresh_token=env:ZALO_REFRESH&app_id={APP_ID}"
        f"&app_secret=env:ZALO_SECRET&base={fake.url}&oauth_base={fake.url}{extra}"
    )


def channel(
    fake: ZaloFake, store: MemoryTokenStore | None = None, extra: str = ""
) -> ZaloOAChannel:
    store = store or MemoryTokenStore("access-1", "refresh-1")
    return ZaloOAChannel("zalo-vl", url_for(fake, extra), token_store=store)


GOOD = f"zalo://{OA}?token=env:T&refresh_token=env:R&app_id={APP_ID}&app_secret=env:S"


@pytest.mark.parametrize(
    ("url", "error"),
    [
        (GOOD, None),
        (GOOD + "&author=S%E1%BB%9F%20TT%26TT&cover=https://x.vn/c.jpg&timeout=5", None),
        (GOOD.replace("env:T", "secret:zalo-token"), None),
        (GOOD.replace("token=env:T&", ""), "token must be a secret reference"),
        (GOOD.replace("refresh_token=env:R&", ""), "refresh_token must be a secret reference"),
        (GOOD.replace("env:R", "rt-plain"), "refresh_token' must be .* never the secret itself"),
        (GOOD.replace("env:S", "plain"), "app_secret' must be .* never the secret itself"),
        (GOOD.replace("env:T", "plain"), "parameter 'token' must be a secret reference"),
        (GOOD.replace(f"app_id={APP_ID}", "app_id="), "app_id must be the numeric"),
        (GOOD.replace(OA, "baovinhlong"), "numeric Official Account ID"),
        (GOOD + "&base=openapi.zalo.me", "base must be an http"),
        (GOOD + "&cover=ftp://x/c.jpg", "cover must be an http"),
        (GOOD + "&author=" + "x" * 51, "author must be 1 to 50"),
        (GOOD + "&timeout=-1", "timeout must be a positive"),
        (GOOD + "&tile=x", "unknown parameter\\(s\\) tile"),
    ],
)
def test_urls(url: str, error: str | None) -> None:
    if error is None:
        assert open_channel("z", url).kind == "zalo"
    else:
        with pytest.raises(ConfigError, match=error):
            open_channel("z", url)


def test_listing_url_hides_every_secret_reference() -> None:
    shown = open_channel("z", GOOD).url(privacy=True)
    assert "env:" not in shown
    assert "token=***&refresh_token=***" in shown and "app_secret=***" in shown
    assert f"app_id={APP_ID}" in shown


def test_success_creates_then_verifies(fake: ZaloFake) -> None:
    receipt = channel(fake).publish(R, KEY)
    assert (receipt.external_id, receipt.http_status) == ("art-tok-1", 200)
    (body,) = fake.created
    cover = {"cover_type": "photo", "photo_url": R.meta["image_url"], "status": "show"}
    html = "<p>Kính mời bà con tham dự.<br>Địa điểm: UBND xã.</p><p>Mang theo CCCD gắn chip.</p>"
    assert body == {
        "type": "normal",
        "title": "Ngày hội chuyển đổi số xã Cái Nhum",
        "author": "Ban biên tập",
        "cover": cover,
        "description": "Kính mời bà con tham dự. Địa điểm: UBND xã. Mang theo CCCD gắn chip.",
        "body": [{"type": "text", "content": html}],
        "status": "show",
        "comment": "show",
    }
    assert fake.api_headers[0]["access_token"] == "access-1"
    assert fake.api_headers[0]["User-Agent"].startswith("bantin/")


def test_article_html_is_kept_and_cover_comes_from_the_channel(fake: ZaloFake) -> None:
    article = replace(R, kind="article", body="<p>Tin <b>mới</b></p>", meta={})
    channel(fake, extra="&cover=https://cdn.vinhlong.gov.vn/oa.jpg").publish(article, KEY)
    (body,) = fake.created
    assert body["body"] == [{"type": "text", "content": "<p>Tin <b>mới</b></p>"}]
    assert body["cover"]["photo_url"] == "https://cdn.vinhlong.gov.vn/oa.jpg"
    assert body["description"] == "Tin mới"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("ngắn gọn", 300, "ngắn gọn"),
        ("một  hai\nba", 300, "một hai ba"),
        ("chuyển đổi số toàn dân", 12, "chuyển đổi…"),
        ("chuyển đổi, số", 13, "chuyển đổi…"),
        ("x" * 20, 10, "x" * 9 + "…"),
    ],
)
def test_shorten_cuts_on_a_word_boundary(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit


def test_long_description_is_cut_to_300(fake: ZaloFake) -> None:
    long = replace(R, body="Bà con " * 100)
    channel(fake).publish(long, KEY)
    description = fake.created[0]["description"]
    assert len(description) <= 300 and description.endswith("…")
    assert ("Bà con " * 100).startswith(description[:-1] + " ")  # cut between two words


@pytest.mark.parametrize(
    ("rendered", "match"),
    [
        (replace(R, title="T" * 151), "151 characters and Zalo allows 150: shorten it"),
        (replace(R, title="  "), "needs a title"),
        (replace(R, meta={}), "needs a cover image"),
    ],
)
def test_articles_zalo_would_refuse_are_stopped_before_sending(
    fake: ZaloFake, rendered: Rendered, match: str
) -> None:
    with pytest.raises(PermanentError, match=match):
        channel(fake).publish(rendered, KEY)
    assert fake.created == []


def test_still_processing_then_success_without_a_second_create(fake: ZaloFake) -> None:
    fake.processing = 1
    ch = channel(fake)
    with pytest.raises(RetryableError, match="still processing") as info:
        ch.publish(R, KEY)
    assert info.value.retry_after == 30.0
    assert ch.publish(R, KEY).external_id == "art-tok-1"
    assert (len(fake.created), fake.verified) == (1, 2)


@pytest.mark.parametrize(
    ("answer", "error", "match"),
    [
        (fail(-200, "Photo invalid"), PermanentError, "cover or an image \\(error -200\\)"),
        (fail(-201, "Parameters invalid"), PermanentError, "error -201\\): Parameters invalid"),
        (fail(-32, "Exceed limit"), PermanentError, "error -32"),
        (fail(-1, "x", status=500), RetryableError, "Zalo API error 500"),
        ((502, "<html>", {}), RetryableError, "Zalo API error 502"),
        (fail(-1, "x", status=429, headers={"Retry-After": "90"}), RateLimited, "429"),
        ((404, "<html>", {}), PermanentError, "404 without JSON"),
    ],
)
def test_errors_are_classified(
    fake: ZaloFake,
    answer: Answer,
    error: type[Exception],
    match: str,
) -> None:
    fake.scripted["create"].append(answer)
    with pytest.raises(error, match=match) as info:
        channel(fake).publish(R, KEY)
    assert type(info.value) is error
    if error is RateLimited:
        assert info.value.retry_after == 90.0  # type: ignore[attr-defined]


def test_media_rejected_at_verify_forgets_the_token(fake: ZaloFake) -> None:
    ch = channel(fake)
    fake.scripted["verify"].append(fail(-200, "Cover invalid"))
    with pytest.raises(PermanentError):
        ch.publish(R, KEY)
    ch.publish(R, KEY)  # fixed and sent again: a new article, not the rejected one
    assert len(fake.created) == 2


@pytest.mark.parametrize("code", [-216, -124])
def test_refused_token_is_renewed_once_with_the_single_use_refresh_token(
    fake: ZaloFake, code: int
) -> None:
    store = MemoryTokenStore("access-1", "refresh-1")
    ch = channel(fake, store)
    fake.expire(code)
    assert ch.publish(R, KEY).external_id == "art-tok-1"
    assert store.get() == ("access-2", "refresh-2")
    ((headers, form),) = fake.oauth_requests
    assert headers["secret_key"] == SECRET
    assert form == {
        "refresh_token": "refresh-1",
        "app_id": APP_ID,
        "grant_type": "refresh_token",
    }
    # single use: the old refresh token is refused now, and the channel kept the new one
    reused = requests.post(
        fake.url + "/v4/oa/access_token",
        headers={"secret_key": SECRET},
        data={"refresh_token": "refresh-1", "app_id": APP_ID, "grant_type": "refresh_token"},
        timeout=5,
    )
    assert reused.json()["error"] == -14014
    fake.expire(code)
    ch.publish(R, "second-key")
    assert store.get() == ("access-3", "refresh-3")


def test_second_refusal_after_renewal_is_an_auth_error(fake: ZaloFake) -> None:
    fake.refuse_every_token = True
    with pytest.raises(AuthError, match="freshly renewed"):
        channel(fake).publish(R, KEY)
    assert fake.refreshes == 1


def test_spent_refresh_token_is_an_auth_error_naming_what_to_redo(
    fake: ZaloFake, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.expire()
    store = MemoryTokenStore("access-old", "refresh-0-spent")
    with pytest.raises(AuthError, match=r"refused the refresh token .* env:ZALO_REFRESH") as info:
        channel(fake, store).publish(R, KEY)
    for secret in ("refresh-0-spent", "access-old", SECRET):
        assert secret not in caplog.text and secret not in str(info.value)


def test_a_worker_that_waited_for_the_lock_uses_the_new_token(fake: ZaloFake) -> None:
    store = MemoryTokenStore("access-1", "refresh-1")
    first, second = channel(fake, store), channel(fake, store)
    assert first.refresh("access-1") == "access-2"
    assert second.refresh("access-1") == "access-2"  # no second spend of a refresh token
    assert fake.refreshes == 1


def test_channels_for_one_oa_share_a_store(fake: ZaloFake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "_STORES", {})
    monkeypatch.setenv("ZALO_TOKEN", "access-1")
    monkeypatch.setenv("ZALO_REFRESH", "refresh-1")
    one, two = (open_channel("zalo-vl", url_for(fake)) for _ in range(2))
    assert isinstance(one, ZaloOAChannel) and isinstance(two, ZaloOAChannel)
    fake.expire()
    one.publish(R, KEY)
    two.publish(R, "second-key")
    assert fake.refreshes == 1 and one.store is two.store


def test_reconcile_verifies_a_pending_article(fake: ZaloFake) -> None:
    ch = channel(fake)
    assert ch.reconcile(R, KEY) is None
    fake.processing = 2
    with pytest.raises(RetryableError):
        ch.publish(R, KEY)
    assert ch.reconcile(R, KEY) is None  # still processing: unknown
    receipt = ch.reconcile(R, KEY)
    assert receipt is not None and receipt.external_id == "art-tok-1"
    assert len(fake.created) == 1


def test_timeout_is_retryable(fake: ZaloFake) -> None:
    fake.delay = 0.6
    with pytest.raises(RetryableError, match="timed out"):
        channel(fake, extra="&timeout=0.2").publish(R, KEY)


def test_connection_refused_is_retryable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = GOOD + f"&base=http://127.0.0.1:{port}&cover=https://x.vn/c.jpg"
    ch = ZaloOAChannel("z", url, token_store=MemoryTokenStore("a", "r"))
    with pytest.raises(RetryableError, match="connection failed"):
        ch.publish(R, KEY)


def test_text_to_html_escapes() -> None:
    assert text_to_html("a < b\nc\n\n\nd") == "<p>a &lt; b<br>c</p><p>d</p>"


@pytest.mark.parametrize(
    ("param", "error"),
    [
        ("base=http://169.254.169.254", "base: refused .* cloud metadata"),
        ("oauth_base=http://oauth.example.vn", "oauth_base: refused plain http"),
        ("base=http://[::1]:8080", "loopback"),
    ],
)
def test_a_base_that_would_leak_the_tokens_is_refused_when_added(
    param: str, error: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANTIN_OUTBOUND_ALLOW", "")
    with pytest.raises(ConfigError, match=error):
        open_channel("z", f"{GOOD}&{param}")
