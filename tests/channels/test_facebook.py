"""The Facebook Page channel against a Graph-shaped server on 127.0.0.1 (graph_server.py)."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer

from bantin.channels import open_channel
from bantin.channels.base import (
    AuthError,
    ConfigError,
    PermanentError,
    RateLimited,
    RetryableError,
)
from bantin.channels.facebook import (
    DEFAULT_RATE_WAIT,
    FacebookPageChannel,
    marker,
    usage_from_headers,
)
from bantin.content.render import Rendered
from tests.channels.graph_server import CHAOS_FAULTS, GraphServer

PAGE = "1000200030004"
KEY = "3f2a9c0e5b1d4e7f8a6b2c9d0e1f2a3b"
R = Rendered(
    kind="post",
    title="Chuyển đổi số: cài đặt VNeID mức 2",
    body="Kính mời bà con mang CCCD đến UBND xã Cái Nhum.\nThời gian: 7 giờ 30.",
    campaign_id="vneid-t12",
    channel="fb-baovl",
    due_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
)


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch) -> Iterator[GraphServer]:
    server = GraphServer(PAGE)
    monkeypatch.setenv("FB_TOKEN_BAOVL", server.page_token)
    with server:
        yield server


def channel(server: GraphServer, extra: str = "") -> FacebookPageChannel:
    url = f"facebook://{PAGE}?token=env:FB_TOKEN_BAOVL&base={server.url}{extra}"
    ch = open_channel("fb-baovl", url)
    assert isinstance(ch, FacebookPageChannel)
    return ch


@pytest.mark.parametrize(
    ("url", "error"),
    [
        (f"facebook://{PAGE}?token=env:FB", None),
        (f"facebook://{PAGE}?token=env:FB&version=v19.0&timeout=5&late=30m", None),
        (f"facebook://{PAGE}?token=secret:fb-baovl&base=http://127.0.0.1:8081", None),
        (f"facebook://{PAGE}", "needs \\?token=env:VAR"),
        (f"facebook://{PAGE}?token=EAABwzLixnjYBO", "must be a secret reference"),
        (f"facebook://{PAGE}?token=env:FB&version=21.0", "version must look like v21.0"),
        (f"facebook://{PAGE}?token=env:FB&version=v21", "version must look like v21.0"),
        ("facebook://baovinhlong?token=env:FB", "numeric Page ID"),
        (f"facebook://{PAGE}/feed?token=env:FB", "numeric Page ID"),
        (f"facebook://{PAGE}?token=env:FB&base=graph.local", "base must be an http"),
        (f"facebook://{PAGE}?token=env:FB&timeout=0", "timeout must be a positive"),
        (f"facebook://{PAGE}?token=env:FB&timeout=soon", "timeout must be a positive"),
        (f"facebook://{PAGE}?token=env:FB&verison=v21.0", "unknown parameter\\(s\\) verison"),
    ],
)
def test_urls(url: str, error: str | None) -> None:
    if error is None:
        assert open_channel("fb", url).kind == "facebook"
    else:
        with pytest.raises(ConfigError, match=error):
            open_channel("fb", url)


def test_listing_url_hides_the_token_reference() -> None:
    ch = open_channel("fb", f"facebook://{PAGE}?token=env:FB_TOKEN_BAOVL")
    assert "FB_TOKEN_BAOVL" not in ch.url(privacy=True)
    assert "token=***" in ch.url(privacy=True)


def test_success_posts_title_body_and_marker_as_the_page(graph: GraphServer) -> None:
    receipt = channel(graph).publish(R, KEY)
    (post,) = graph.posts
    assert post["message"] == (
        "Chuyển đổi số: cài đặt VNeID mức 2\n\n"
        "Kính mời bà con mang CCCD đến UBND xã Cái Nhum.\nThời gian: 7 giờ 30.\n\n"
        "Mã tin: bt-3f2a9c0e5b"
    )
    assert (receipt.external_id, receipt.http_status) == (post["id"], 200)
    assert receipt.url == f"https://www.facebook.com/{post['id']}"
    (call,) = [c for c in graph.calls if c.endpoint == "feed"]
    assert call.path == f"/v21.0/{PAGE}/feed"
    assert call.headers["Authorization"] == f"Bearer {graph.page_token}"
    assert "access_token" not in call.query and "access_token" not in call.form
    assert call.headers["User-Agent"].startswith("bantin/")


def test_link_from_meta_is_sent_as_the_link(graph: GraphServer) -> None:
    channel(graph).publish(replace(R, meta={"link": "https://vinhlong.gov.vn/cds"}), KEY)
    assert graph.posts[0]["link"] == "https://vinhlong.gov.vn/cds"


def test_image_is_uploaded_unpublished_then_attached(graph: GraphServer) -> None:
    meta = {"image_url": "https://cdn.vinhlong.gov.vn/a.jpg", "link": "https://vinhlong.gov.vn"}
    channel(graph).publish(replace(R, meta=meta), KEY)
    ((photo_id, photo),) = graph.photos.items()
    assert photo == {"url": "https://cdn.vinhlong.gov.vn/a.jpg", "published": "false"}
    (post,) = graph.posts
    assert post["attached_media"] == [{"media_fbid": photo_id}]
    assert "link" not in post and "https://vinhlong.gov.vn\n\nMã tin" in post["message"]


def test_article_html_is_posted_as_plain_text(graph: GraphServer) -> None:
    article = replace(R, kind="article", body="<p>Dòng một &amp; hai</p><p>Dòng <b>ba</b></p>")
    channel(graph).publish(article, KEY)
    assert "Dòng một & hai\nDòng ba" in graph.posts[0]["message"]


def test_a_post_over_body_maxlen_is_refused_before_sending(graph: GraphServer) -> None:
    ch = channel(graph)
    ch.body_maxlen = 80
    with pytest.raises(PermanentError, match="Facebook allows 80"):
        ch.publish(R, KEY)
    assert graph.calls == []


AUTH = [(190, s, m) for s, m in [(458, "app was removed"), (459, "checkpointed"),
        (460, "password .* was changed"), (463, "expired"), (464, "not confirmed"),
        (467, "no longer valid"), (None, "invalid, expired or revoked")]]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "subcode", "transient", "error", "match"),
    [
        (1, None, None, RetryableError, "passing failure \\(code 1,"),
        (2, None, None, RetryableError, "passing failure \\(code 2,"),
        (100, None, True, RetryableError, "passing failure"),
        *[(c, None, None, RateLimited, f"slow down \\(code {c},") for c in (4, 17, 32, 613, 80001)],
        *[(c, s, None, AuthError, f"subcode {s}.*{m}" if s else m) for c, s, m in AUTH],
        (102, None, None, AuthError, "issue a new Page token .* env:FB_TOKEN_BAOVL"),
        (10, None, None, PermanentError, "not a user token.*pages_manage_posts"),
        (200, None, None, PermanentError, "not a user token.*pages_manage_posts"),
        (210, None, None, PermanentError, "CREATE_CONTENT"),
        (299, None, None, PermanentError, "pages_read_engagement"),
        (368, 1390008, None, PermanentError, "blocked the Page .* policy"),
        (100, 33, None, PermanentError, "rejected the post \\(code 100, subcode 33"),
    ],
)
def test_graph_errors_are_classified_by_code(
    graph: GraphServer,
    code: int,
    subcode: int | None,
    transient: bool | None,
    error: type[Exception],
    match: str,
) -> None:
    graph.fail_next("feed", code=code, subcode=subcode, transient=transient)
    with pytest.raises(error, match=match) as info:
        channel(graph).publish(R, KEY)
    assert type(info.value) is error
    if error is RateLimited:
        assert info.value.retry_after == DEFAULT_RATE_WAIT  # type: ignore[attr-defined]
    assert graph.posts == []


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, RetryableError), (502, RetryableError), (503, RetryableError), (429, RateLimited),
     (404, PermanentError)],
)  # fmt: skip
def test_http_errors_without_a_graph_body(
    graph: GraphServer, status: int, error: type[Exception]
) -> None:
    graph.fail_next("feed", status=status)
    with pytest.raises(error) as info:
        channel(graph).publish(R, KEY)
    assert type(info.value) is error
    assert info.value.http_status == status  # type: ignore[attr-defined]


def test_rate_limit_waits_as_long_as_business_use_case_usage_says(graph: GraphServer) -> None:
    buc = {PAGE: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 7}]}
    graph.fail_next("feed", code=32, headers={"X-Business-Use-Case-Usage": json.dumps(buc)})
    with pytest.raises(RateLimited) as info:
        channel(graph).publish(R, KEY)
    assert info.value.retry_after == 420.0


@pytest.mark.parametrize(
    ("headers", "paused_for"),
    [
        ({"X-App-Usage": '{"call_count": 96, "total_time": 10, "total_cputime": 10}'}, 600.0),
        ({"X-Page-Usage": '{"call_count": 20, "total_time": 95, "total_cputime": 3}'}, 600.0),
        (
            {
                "X-Business-Use-Case-Usage": json.dumps(
                    {
                        PAGE: [
                            {
                                "type": "pages",
                                "call_count": 5,
                                "total_cputime": 97,
                                "total_time": 5,
                                "estimated_time_to_regain_access": 3,
                            }
                        ]
                    }
                )
            },
            180.0,
        ),
        ({"X-App-Usage": '{"call_count": 80, "total_time": 94, "total_cputime": 1}'}, None),
        ({"X-App-Usage": "not json"}, None),
    ],
)
def test_usage_headers_throttle_before_sending(
    graph: GraphServer, headers: dict[str, str], paused_for: float | None
) -> None:
    ch = channel(graph)
    now = [1000.0]
    ch.clock = lambda: now[0]
    graph.usage_headers = headers
    ch.publish(R, KEY)
    if paused_for is None:
        ch.publish(R, "other-key-1")
        assert len(graph.posts) == 2
        return
    with pytest.raises(RateLimited) as info:
        ch.publish(R, "other-key-1")
    assert info.value.retry_after == paused_for
    assert graph.count("POST", "feed") == 1  # refused before the call, not by Facebook
    graph.usage_headers = {}
    now[0] += paused_for + 1
    ch.publish(R, "other-key-1")
    assert len(graph.posts) == 2


def test_usage_header_parsing_takes_the_highest_figure() -> None:
    assert usage_from_headers({}) == (None, None)
    assert usage_from_headers({"X-App-Usage": '{"call_count": 12}'}) == (12.0, None)


def test_timeout_is_retryable_and_the_retry_finds_the_post(graph: GraphServer) -> None:
    ch = channel(graph, "&timeout=0.2")
    graph.fail_next("feed", delay=0.6, commit=True)  # stored, but the answer comes too late
    with pytest.raises(RetryableError, match=r"timed out after 0\.2 s"):
        ch.publish(R, KEY)
    receipt = ch.publish(R, KEY)
    (post,) = graph.posts
    assert receipt.external_id == post["id"]
    assert receipt.url == post["permalink_url"]
    assert graph.count("POST", "feed") == 1


def test_a_refusal_is_not_looked_up_again(graph: GraphServer) -> None:
    ch = channel(graph)
    graph.fail_next("feed", code=4)
    with pytest.raises(RateLimited):
        ch.publish(R, KEY)
    ch.publish(R, KEY)
    assert graph.count("GET", "posts") == 0


def test_duplicate_506_reconciles_and_never_posts_twice(graph: GraphServer) -> None:
    channel(graph).publish(R, KEY)
    receipt = channel(graph).publish(R, KEY)  # a fresh process: it does not know it posted
    (post,) = graph.posts
    assert receipt.external_id == post["id"]
    assert graph.count("GET", "posts") == 1


def test_duplicate_506_not_yet_listed_is_retried_later(graph: GraphServer) -> None:
    graph.fail_next("feed", code=506)
    with pytest.raises(RetryableError, match="duplicate") as info:
        channel(graph).publish(R, KEY)
    assert info.value.retry_after == 60
    assert graph.posts == []


@pytest.mark.parametrize(("posted", "found"), [(True, True), (False, False)])
def test_reconcile_finds_the_post_by_its_marker(
    graph: GraphServer, posted: bool, found: bool
) -> None:
    graph.add_post("Một bài khác\n\nMã tin: bt-0000000000")
    if posted:
        graph.add_post(f"Bài đã đăng\n\n{marker(KEY)}")
    receipt = channel(graph).reconcile(R, KEY)
    assert (receipt is not None) == found
    (call,) = [c for c in graph.calls if c.endpoint == "posts"]
    assert call.query == {"fields": "id,message,permalink_url,created_time", "limit": "50"}


def test_revoked_token_is_an_auth_error(graph: GraphServer) -> None:
    graph.revoke_token(subcode=460)
    with pytest.raises(AuthError, match="password"):
        channel(graph).publish(R, KEY)


def test_user_token_on_the_feed_says_what_to_fix(
    graph: GraphServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FB_TOKEN_BAOVL", graph.user_token)
    with pytest.raises(PermanentError, match=r"Page access token .*\(not a user token\)"):
        channel(graph).publish(R, KEY)


@pytest.mark.parametrize(("token", "ok"), [("page", True), ("user", False), ("revoked", False)])
def test_check_reports_what_the_token_can_do(
    graph: GraphServer, monkeypatch: pytest.MonkeyPatch, token: str, ok: bool
) -> None:
    monkeypatch.setenv("FB_TOKEN_BAOVL", graph.user_token if token == "user" else graph.page_token)
    if token == "revoked":
        graph.revoke_token(subcode=463)
    report = channel(graph).check()
    assert report["ok"] is ok
    if token == "page":
        assert report["page"] == "Báo Vĩnh Long" and report["page_token"] is True
    elif token == "user":
        assert report["token_of"] == "Nguyễn Văn Thử" and "not a Page token" in report["hint"]
    else:
        assert "expired" in report["error"]


def test_connection_refused_is_retryable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FB_TOKEN_BAOVL", "t")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"facebook://{PAGE}?token=env:FB_TOKEN_BAOVL&base=http://127.0.0.1:{port}"
    with pytest.raises(RetryableError, match="connection failed"):
        open_channel("fb", url).publish(R, KEY)


def test_connection_reset_is_retryable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FB_TOKEN_BAOVL", "t")
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def reset_once() -> None:
        conn, _ = srv.accept()
        conn.recv(65536)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()

    t = threading.Thread(target=reset_once, daemon=True)
    t.start()
    url = f"facebook://{PAGE}?token=env:FB_TOKEN_BAOVL&base=http://127.0.0.1:{srv.getsockname()[1]}"
    try:
        with pytest.raises(RetryableError):
            open_channel("fb", url).publish(R, KEY)
    finally:
        t.join(timeout=5)
        srv.close()


def test_missing_token_names_the_variable(
    graph: GraphServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FB_TOKEN_BAOVL")
    with pytest.raises(ConfigError, match="FB_TOKEN_BAOVL is not set"):
        channel(graph).publish(R, KEY)


def test_the_token_never_reaches_logs_or_errors(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    token = "EAABsbCS1iHgBOZBexample"
    monkeypatch.setenv("FB_TOKEN_BAOVL", token)
    echo = {"error": {"code": 100, "message": f"bad access_token={token}"}, "t": token}
    httpserver.expect_request(f"/v21.0/{PAGE}/feed").respond_with_json(echo, status=400)
    caplog.set_level(logging.DEBUG)
    url = f"facebook://{PAGE}?token=env:FB_TOKEN_BAOVL&base={httpserver.url_for('/')}"
    with pytest.raises(PermanentError) as info:
        open_channel("fb-baovl", url).publish(R, KEY)
    assert token not in caplog.text and token not in str(info.value)
    assert "facebook fb-baovl: POST" in caplog.text


@pytest.mark.slow
def test_chaos_30_publications_none_posted_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    server = GraphServer(PAGE, chaos=0.4, late=0.5, detect_duplicates=False, seed=6)
    monkeypatch.setenv("FB_TOKEN_BAOVL", server.page_token)
    with server:
        ch = channel(server, "&timeout=0.25")
        keys = [f"{i:02d}c0ffee{i:02d}" + "0" * 22 for i in range(30)]
        receipts = {}
        for key in keys:
            for _attempt in range(40):
                try:
                    receipts[key] = ch.publish(replace(R, title=f"Tin số {key[:2]}"), key)
                    break
                except RetryableError:
                    continue
        assert len(receipts) == 30, "every publication eventually went out"
        by_marker = {k: [p for p in server.posts if marker(k) in p["message"]] for k in keys}
        assert all(len(posts) == 1 for posts in by_marker.values()), "none posted twice"
        assert {r.external_id for r in receipts.values()} == {p["id"] for p in server.posts}
        served = {f.split(":")[1] for f in server.faults_served}
        assert served == set(CHAOS_FAULTS), "every kind of fault was served at least once"


@pytest.mark.parametrize(
    ("base", "error"),
    [
        ("http://169.254.169.254", "cloud metadata"),
        ("http://10.0.0.5:8080", "private address"),
        ("http://graph.example.vn", "needs https"),
    ],
)
def test_a_base_that_would_leak_the_token_is_refused_when_added(
    base: str, error: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANTIN_OUTBOUND_ALLOW", "")
    with pytest.raises(ConfigError, match=error):
        open_channel("fb", f"facebook://{PAGE}?token=env:FB&base={base}")
