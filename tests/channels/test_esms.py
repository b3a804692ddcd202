"""The eSMS brandname SMS channel against a local server speaking eSMS's JSON protocol
(POST /SendMultipleMessage_V4_post_json/, answers {"CodeResult": ..., "SMSID": ...})."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bantin.channels import channel_class, open_channel
from bantin.channels.base import (
    AuthError,
    ConfigError,
    PermanentError,
    RateLimited,
    RetryableError,
)
from bantin.channels.esms import ESMSChannel, fold, gsm_length, parts_needed
from bantin.content.limits import LimitExceeded, check_limits, measure
from bantin.content.render import Rendered

API_KEY, SECRET_KEY = "ApiKeyThuNghiem123", "SecretKeyThuNghiem456"
PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
NOTICE = Rendered(
    kind="post",
    title="Thông báo khẩn",
    body="Bão số 5 đổ bộ đêm nay. Đề nghị bà con đưa tàu thuyền vào nơi trú ẩn.",
    campaign_id="canh-bao",
    channel="sms",
    due_at=datetime(2026, 11, 30, 22, 30, tzinfo=UTC),
    priority="emergency",
    agency_code="COMMUNES",
    task_code="1.3",
)


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESMS_API_KEY", API_KEY)
    monkeypatch.setenv("ESMS_SECRET_KEY", SECRET_KEY)


def url(server: HTTPServer | None = None, extra: str = "") -> str:
    base = f"&base={server.url_for('/MainService.svc/json')}" if server else ""
    return (
        "esms://UBNDXA?to=0901234567,84912345678&api_key=env:ESMS_API_KEY"
        f"&secret_key=env:ESMS_SECRET_KEY{base}{extra}"
    )


def channel(server: HTTPServer, extra: str = "") -> ESMSChannel:
    ch = open_channel("sms", url(server, extra), Path("."))
    assert isinstance(ch, ESMSChannel)
    return ch


def answer(code: str, sms_id: str = "", message: str = "") -> dict[str, str]:
    return {"CodeResult": code, "SMSID": sms_id, "ErrorMessage": message}


# -- URLs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "error"),
    [
        (url(), None),
        (url(extra="&sandbox=1&max_parts=1&timeout=5&rate=2/s"), None),
        (url().replace("UBNDXA", "TEN-QUA-DAI-BRAND"), "registered brandname"),
        (url().replace("env:ESMS_API_KEY", "RAWKEY"), "'api_key' must be a secret reference"),
        (url().replace("env:ESMS_SECRET_KEY", "RAW"), "'secret_key' must be a secret"),
        (url().replace("&secret_key=env:ESMS_SECRET_KEY", ""), "needs \\?api_key"),
        (url().replace("0901234567", "12345"), "not a Vietnamese mobile number"),
        (url().replace("to=0901234567,84912345678", "to="), "give the numbers"),
        (url(extra="&sandbox=yes"), "sandbox must be 0 or 1"),
        (url(extra="&max_parts=0"), "max_parts must be"),
        (url(extra="&timeout=abc"), "timeout must be a positive number"),
        (url(extra="&timeout=-1"), "timeout must be a positive number"),
        (url(extra="&too=1"), "unknown parameter\\(s\\) too"),
        (url(extra="&to=0901111111"), "given twice"),
        (url(extra="&base=http://rest.example.vn"), "base"),
        (url(extra="&base=https://10.0.0.5/api"), "base"),
    ],
)
def test_urls(config: str, error: str | None) -> None:
    if error is None:
        open_channel("sms", config)
    else:
        with pytest.raises(ConfigError, match=error):
            open_channel("sms", config)


def test_the_channel_is_found_by_its_scheme_without_any_registry_edit() -> None:
    assert channel_class("esms://X") is ESMSChannel


def test_listing_hides_both_keys() -> None:
    shown = open_channel("sms", url()).url(privacy=True)
    assert "ESMS_API_KEY" not in shown and "ESMS_SECRET_KEY" not in shown


# -- text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Bão số 5 đổ bộ", "Bao so 5 do bo"),
        ("ĐÊM NAY – “khẩn”", 'DEM NAY - "khan"'),
        ("Ương, ơi, ưu tiên…", "Uong, oi, uu tien..."),
    ],
)
def test_vietnamese_is_folded_without_diacritics(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("length", "parts"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3)]
)
def test_parts_follow_gsm_concatenation(length: int, parts: int) -> None:
    assert parts_needed(length) == parts


def test_extended_characters_count_two() -> None:
    assert gsm_length("a[b]") == 6


def test_the_render_check_measures_gsm_length_from_the_class() -> None:
    long = Rendered(**{**NOTICE.__dict__, "body": "a" * 500})
    assert measure(long, "sms")[0].length > 459
    with pytest.raises(LimitExceeded, match=r"the SMS text .* is 515 characters, the limit is 459"):
        check_limits(long, "sms", template="x")


# -- sending --------------------------------------------------------------------------


def test_success_sends_one_request_per_number_with_folded_text(httpserver: HTTPServer) -> None:
    seen: list[dict[str, str]] = []

    def handler(request: Request) -> Response:
        seen.append(json.loads(request.data))
        return Response(json.dumps(answer("100", f"id{len(seen)}")), mimetype="application/json")

    httpserver.expect_request(PATH, method="POST").respond_with_handler(handler)
    receipt = channel(httpserver).publish(NOTICE, "k" * 40)
    assert receipt.external_id == "id1,id2"
    assert [s["Phone"] for s in seen] == ["0901234567", "0912345678"]
    assert seen[0]["Content"].startswith("Thong bao khan\nBao so 5 do bo dem nay")
    assert seen[0]["IsUnicode"] == "0" and seen[0]["SmsType"] == "2"
    assert seen[0]["Brandname"] == "UBNDXA" and seen[0]["ApiKey"] == API_KEY
    assert [s["RequestId"] for s in seen] == ["k" * 24 + "-0", "k" * 24 + "-1"]


def test_a_duplicate_request_id_counts_as_sent(httpserver: HTTPServer) -> None:
    httpserver.expect_request(PATH).respond_with_json(answer("124", message="Duplicate"))
    assert channel(httpserver).publish(NOTICE, "k" * 40).external_id is not None


@pytest.mark.parametrize(
    ("status", "doc", "error", "match"),
    [
        (200, answer("101"), AuthError, "ApiKey/SecretKey: check env:ESMS_API_KEY"),
        (200, answer("103"), AuthError, "balance is too low"),
        (200, answer("104"), AuthError, "brandname 'UBNDXA'"),
        (200, answer("140"), AuthError, "IP address"),
        (200, answer("146"), PermanentError, "template"),
        (200, answer("108"), PermanentError, "sent to 0 of 2.*0901\\*\\*\\*567.*108"),
        (200, answer("999", message="la"), PermanentError, "code 999\\): la"),
        (200, {"x": 1}, RetryableError, "without a CodeResult"),
        (500, {}, RetryableError, "eSMS error 500"),
        (503, {}, RetryableError, "eSMS error 503"),
        (401, {}, AuthError, "401"),
        (400, {}, PermanentError, "400"),
    ],
)
def test_errors_are_classified(
    httpserver: HTTPServer, status: int, doc: dict[str, object], error: type, match: str
) -> None:
    httpserver.expect_request(PATH).respond_with_json(doc, status=status)
    with pytest.raises(error, match=match):
        channel(httpserver).publish(NOTICE, "k" * 40)


def test_one_refused_number_does_not_stop_the_others(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(PATH).respond_with_json(answer("99"))
    httpserver.expect_ordered_request(PATH).respond_with_json(answer("100", "ok2"))
    with pytest.raises(PermanentError, match="sent to 1 of 2"):
        channel(httpserver).publish(NOTICE, "k" * 40)
    assert len(httpserver.log) == 2


def test_rate_limit_carries_retry_after(httpserver: HTTPServer) -> None:
    httpserver.expect_request(PATH).respond_with_json({}, status=429, headers={"Retry-After": "30"})
    with pytest.raises(RateLimited) as info:
        channel(httpserver).publish(NOTICE, "k" * 40)
    assert info.value.retry_after == 30.0


def test_timeout_is_retryable(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response("{}")

    httpserver.expect_request(PATH).respond_with_handler(slow)
    with pytest.raises(RetryableError, match=r"eSMS timed out after 0\.2 s"):
        channel(httpserver, "&timeout=0.2").publish(NOTICE, "k" * 40)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("a" * 470, "460 characters|4 parts"),
        ("Mưa lớn 🌧 khẩn", "characters SMS cannot carry"),
    ],
)
def test_text_that_cannot_go_out_whole_is_refused_before_sending(
    httpserver: HTTPServer, body: str, match: str
) -> None:
    with pytest.raises(PermanentError, match=match):
        channel(httpserver).publish(Rendered(**{**NOTICE.__dict__, "body": body}), "k" * 40)
    assert httpserver.log == []


def test_max_parts_is_honoured(httpserver: HTTPServer) -> None:
    long = Rendered(**{**NOTICE.__dict__, "body": "a" * 200})
    with pytest.raises(PermanentError, match="at most 1 parts"):
        channel(httpserver, "&max_parts=1").publish(long, "k" * 40)


def test_an_article_is_refused() -> None:
    ch = open_channel("sms", url())
    with pytest.raises(PermanentError, match="not a article"):
        ch.publish(Rendered(**{**NOTICE.__dict__, "kind": "article"}), "k")


def test_the_keys_never_leak_into_errors_or_logs(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    echo = f"bad key {API_KEY} / {SECRET_KEY}"
    httpserver.expect_request(PATH).respond_with_data(echo, status=400)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PermanentError) as info:
        channel(httpserver).publish(NOTICE, "k" * 40)
    for text in (str(info.value), caplog.text):
        assert API_KEY not in text and SECRET_KEY not in text
    assert all(API_KEY not in entry.url for entry, _ in httpserver.log)
