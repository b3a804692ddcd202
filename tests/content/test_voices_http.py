"""HTTP voices against local servers speaking each service's documented shapes.

FPT.AI (docs.fpt.ai): raw text body, `api_key`/`voice`/`speed` headers, JSON with an
`async` link polled until the file exists. Viettel AI (viettelgroup.ai/document/tts):
JSON body with a `token` header, the audio as the answer. Zalo AI: form body with an
`apikey` header, JSON `{"error_code", "data": {"url"}}`. Each: success, refusal, quota
(429, retried with backoff), timeouts, and the cache proven by request counts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bantin.content.voices import VoiceError, engine_for, parse_voice
from bantin.content.voices.base import cached
from bantin.content.voices.http import Limits

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")

KEY = "khoa-bi-mat-123456"


@pytest.fixture(scope="module")
def mp3() -> bytes:
    """1.5 s of tone as MP3: what a service sends back, measurable by ffprobe."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
         "sine=frequency=440:duration=1.5", "-ac", "1", "-f", "mp3", "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    return out.stdout


@pytest.fixture
def waits() -> list[float]:
    return []


def _engine(name: str, url: str, monkeypatch: pytest.MonkeyPatch, waits: list[float]):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TTS_KEY", KEY)
    env = {f"BANTIN_TTS_{name.upper()}_KEY": "env:TTS_KEY", f"BANTIN_TTS_{name.upper()}_URL": url}
    engine = engine_for(parse_voice(f"{name}:x"), 233, env=env)
    # No rate limit here (its own test below): every recorded wait is a backoff.
    engine.limits = Limits(per_second=0, retries=2, backoff=0.5, timeout=2, sleep=waits.append)  # type: ignore[attr-defined]
    return engine


# -- FPT.AI ---------------------------------------------------------------------------


def test_fpt_speaks_polls_the_async_link_and_caches(
    httpserver: HTTPServer,
    mp3: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    waits: list[float],
) -> None:
    seen: list[Request] = []
    polls = {"n": 0}

    def synth(request: Request) -> Response:
        seen.append(request)
        link = httpserver.url_for("/audio/abc.mp3")
        doc = {"async": link, "error": 0, "message": "ok", "request_id": "r1"}
        return Response(json.dumps(doc),
                        content_type="application/json")  # fmt: skip

    def audio(request: Request) -> Response:
        polls["n"] += 1  # not there yet on the first poll, as the docs warn
        return Response(mp3, content_type="audio/mpeg") if polls["n"] > 1 else Response("", 404)

    httpserver.expect_request("/hmi/tts/v5", method="POST").respond_with_handler(synth)
    httpserver.expect_request("/audio/abc.mp3").respond_with_handler(audio)
    engine = _engine("fpt", httpserver.url_for("/hmi/tts/v5"), monkeypatch, waits)
    engine.speed = -1
    first = cached(engine, "Kính thưa bà con.", "lannhi", tmp_path)
    again = cached(engine, "Kính thưa bà con.", "lannhi", tmp_path)
    assert first == again and first.seconds == pytest.approx(1.5, abs=0.1)
    assert len(seen) == 1 and polls["n"] == 2  # synthesised once, polled until ready
    request = seen[0]
    assert request.get_data().decode() == "Kính thưa bà con."
    assert request.headers["api-key"] == KEY and request.headers["voice"] == "lannhi"
    assert request.headers["speed"] == "-1"
    cached(engine, "Kính thưa bà con!", "lannhi", tmp_path)  # another text: another request
    assert len(seen) == 2


def test_fpt_error_code_and_refused_key_are_one_sentence_without_the_key(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, waits: list[float]
) -> None:
    body = {"error": 1, "message": f"Invalid voice for key {KEY}", "request_id": "r2"}
    httpserver.expect_ordered_request("/hmi/tts/v5").respond_with_json(body)
    httpserver.expect_ordered_request("/hmi/tts/v5").respond_with_json(
        {"message": "no"}, status=401
    )
    engine = _engine("fpt", httpserver.url_for("/hmi/tts/v5"), monkeypatch, waits)
    with pytest.raises(VoiceError, match=r"FPT\.AI could not speak the text") as err:
        engine.synthesise("Kính thưa bà con.", "nobody", tmp_path)
    assert KEY not in str(err.value) and "for key ***" in str(err.value)  # echoed key masked
    with pytest.raises(VoiceError, match=r"^FPT.AI refused the API key \(HTTP 401\)$"):
        engine.synthesise("Kính thưa bà con.", "banmai", tmp_path)


def test_fpt_quota_is_retried_with_backoff_then_given_up(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, waits: list[float]
) -> None:
    httpserver.expect_request("/hmi/tts/v5").respond_with_json({"message": "quota"}, status=429)
    engine = _engine("fpt", httpserver.url_for("/hmi/tts/v5"), monkeypatch, waits)
    with pytest.raises(VoiceError) as err:
        engine.synthesise("Kính thưa bà con.", "banmai", tmp_path)
    assert str(err.value) == (
        "FPT.AI answered HTTP 429 (rate limit or quota exceeded), after 3 attempts"
    )
    assert len([r for r, _ in httpserver.log if r.path == "/hmi/tts/v5"]) == 3
    assert waits == [0.5, 1.0]  # exponential backoff


def test_a_short_retry_after_is_honoured(
    httpserver: HTTPServer,
    mp3: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    waits: list[float],
) -> None:
    httpserver.expect_ordered_request("/syn").respond_with_response(
        Response("busy", 503, headers={"Retry-After": "7"})
    )
    httpserver.expect_ordered_request("/syn").respond_with_data(mp3, content_type="audio/mpeg")
    engine = _engine("viettel", httpserver.url_for("/syn"), monkeypatch, waits)
    result = engine.synthesise("Kính thưa bà con.", "hcm-minhquan", tmp_path)
    assert waits == [7.0] and result.seconds == pytest.approx(1.5, abs=0.1)


def test_a_service_that_does_not_answer_in_time_is_a_timeout(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, waits: list[float]
) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.6)  # the server is slow; the client's timeout is what is tested
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    engine = _engine("zalo", httpserver.url_for("/slow"), monkeypatch, waits)
    engine.limits.timeout = 0.2
    engine.limits.retries = 1
    with pytest.raises(
        VoiceError, match=r"^Zalo AI did not answer within 0.2 s, after 2 attempts$"
    ):
        engine.synthesise("Kính thưa bà con.", "1", tmp_path)


# -- Viettel AI -----------------------------------------------------------------------


def test_viettel_sends_the_documented_json_and_caches(
    httpserver: HTTPServer,
    mp3: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    waits: list[float],
) -> None:
    httpserver.expect_request("/voice/api/tts/v1/rest/syn", method="POST").respond_with_data(
        mp3, content_type="audio/mpeg"
    )
    engine = _engine(
        "viettel", httpserver.url_for("/voice/api/tts/v1/rest/syn"), monkeypatch, waits
    )
    for _ in range(3):
        result = cached(engine, "Kính thưa bà con.", "hcm-minhquan", tmp_path)
    synth = [r for r, _ in httpserver.log if r.path == "/voice/api/tts/v1/rest/syn"]
    assert len(synth) == 1 and result.voice == "viettel:hcm-minhquan"
    request = synth[0]
    body = request.get_json()
    assert request.headers["token"] == KEY
    assert body["text"] == "Kính thưa bà con." and body["voice"] == "hcm-minhquan"
    assert body["speed"] == 1.0 and body["tts_return_option"] == 3
    assert body["without_filter"] is False


def test_viettel_refusals(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, waits: list[float]
) -> None:
    httpserver.expect_ordered_request("/syn").respond_with_json(
        {"msg": "token invalid"}, status=401
    )
    httpserver.expect_ordered_request("/syn").respond_with_json(
        {"message": "voice not found"}, status=400
    )
    engine = _engine("viettel", httpserver.url_for("/syn"), monkeypatch, waits)
    with pytest.raises(VoiceError, match=r"^Viettel AI refused the token \(HTTP 401\)$"):
        engine.synthesise("Kính thưa bà con.", "x", tmp_path)
    with pytest.raises(
        VoiceError, match=r"^Viettel AI could not speak the text \(HTTP 400\): voice not found$"
    ):
        engine.synthesise("Kính thưa bà con.", "x", tmp_path)


# -- Zalo AI --------------------------------------------------------------------------


def test_zalo_posts_the_form_fetches_the_link_and_caches(
    httpserver: HTTPServer,
    mp3: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    waits: list[float],
) -> None:
    link = httpserver.url_for("/files/tts.mp3")
    httpserver.expect_request("/v1/tts/synthesize", method="POST").respond_with_json(
        {"error_code": 0, "error_message": "Successful.", "data": {"url": link}}
    )
    httpserver.expect_request("/files/tts.mp3").respond_with_data(mp3, content_type="audio/mpeg")
    engine = _engine("zalo", httpserver.url_for("/v1/tts/synthesize"), monkeypatch, waits)
    first = cached(engine, "Kính thưa bà con.", "3", tmp_path)
    assert cached(engine, "Kính thưa bà con.", "3", tmp_path) == first
    paths = [r.path for r, _ in httpserver.log]
    assert paths.count("/v1/tts/synthesize") == 1 and paths.count("/files/tts.mp3") == 1
    request = next(r for r, _ in httpserver.log if r.path == "/v1/tts/synthesize")
    assert request.headers["apikey"] == KEY
    assert request.form["input"] == "Kính thưa bà con." and request.form["speaker_id"] == "3"
    assert request.form["speed"] == "1" and request.form["encode_type"] == "1"


def test_zalo_error_code_is_reported(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, waits: list[float]
) -> None:
    httpserver.expect_request("/tts").respond_with_json(
        {"error_code": -7, "error_message": "Exceeded quota of requests"}
    )
    engine = _engine("zalo", httpserver.url_for("/tts"), monkeypatch, waits)
    with pytest.raises(VoiceError) as err:
        engine.synthesise("Kính thưa bà con.", "1", tmp_path)
    assert str(err.value) == (
        "Zalo AI could not speak the text (HTTP 200, error_code -7): Exceeded quota of requests"
    )


# -- keys -----------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["fpt", "viettel", "zalo"])
def test_a_key_written_inline_is_refused(engine: str) -> None:
    env = {f"BANTIN_TTS_{engine.upper()}_KEY": KEY}
    with pytest.raises(VoiceError, match="must be a secret:NAME or env:VAR reference"):
        engine_for(parse_voice(f"{engine}:x"), 233, env=env)


def test_a_missing_key_names_the_setting() -> None:
    with pytest.raises(VoiceError, match=r"^BANTIN_TTS_FPT_KEY is not set"):
        engine_for(parse_voice("fpt:banmai"), 233, env={})


def test_an_unknown_engine_is_named() -> None:
    with pytest.raises(VoiceError, match="unknown voice engine 'vbee'"):
        engine_for(parse_voice("vbee:x"), 233, env={})


@pytest.mark.parametrize("engine_name", ["fpt", "viettel", "zalo"])
def test_a_voice_service_on_an_internal_address_is_refused_without_a_request(
    engine_name: str,
    httpserver: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    waits: list[float],
) -> None:
    """Speech services go through the one outbound policy, like channels and feeds."""
    engine = _engine(engine_name, httpserver.url_for("/tts"), monkeypatch, waits)
    monkeypatch.setenv("BANTIN_OUTBOUND_ALLOW", "")
    with pytest.raises(VoiceError, match=r"refus|internal|loopback"):
        cached(engine, "Kính thưa bà con.", "x", tmp_path)
    assert httpserver.log == []


def test_the_rate_limit_spaces_requests_by_the_services_rate() -> None:
    """Two requests a second: the second and third wait half a second each, on a clock the
    test moves (nothing sleeps)."""
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limits = Limits(per_second=2, sleep=sleep, monotonic=lambda: now[0])
    for _ in range(3):
        limits.wait_turn()
    assert slept == [0.5, 0.5]
    now[0] += 10  # a quiet spell: the next request goes at once
    limits.wait_turn()
    assert slept == [0.5, 0.5]
