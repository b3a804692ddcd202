"""Radio scripts are recorded ahead of time; dispatch attaches the recording it finds."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from bantin.audio_prep import presynthesise
from bantin.config import Settings
from bantin.content import audio_links
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.dispatch import Dispatcher
from tests.conftest import T0
from tests.helpers import add_channels, apply, write_campaign

DUE = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # 17:00 in Vĩnh Long


@pytest.fixture
def received(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    monkeypatch.setenv("LOA_SECRET", "bi-mat")
    got: list[dict[str, object]] = []

    def handler(request: Request) -> Response:
        got.append(json.loads(request.get_data()))
        return Response('{"id": "x"}', 201, content_type="application/json")

    httpserver.expect_request("/loa").respond_with_handler(handler)
    return got


def setup(db: Database, home: Path, tmp_path: Path, httpserver: HTTPServer) -> None:
    url = "webhook+" + httpserver.url_for("/loa") + "?secret=env:LOA_SECRET"
    add_channels(db, T0, [("loa-push", url, "COMMUNES")], home)
    path = write_campaign(
        tmp_path / "c",
        "a.yaml",
        f"""
        id: loa-am-thanh
        title: Bản tin có âm thanh
        task: "1.3"
        agency: COMMUNES
        kind: radio_script
        period: {{start: 2026-11-28, end: 2026-11-28}}
        schedule:
          - at: {DUE.isoformat()}
        targets: [29641]
        channels: [loa-push]
        template: radio/ban-tin-demo.txt.j2
    """,
    )
    apply(db, [path], T0, home)


def test_recorded_ahead_and_linked_in_the_push(
    db: Database,
    settings: Settings,
    home: Path,
    tmp_path: Path,
    httpserver: HTTPServer,
    received: list[dict[str, object]],
) -> None:
    setup(db, home, tmp_path, httpserver)
    assert presynthesise(db, DUE - timedelta(hours=1), home) == 1
    recordings = list((home / "audio").glob("*.mp3")) + list((home / "audio").glob("*.wav"))
    assert len(recordings) == 1
    public = dataclasses.replace(settings, public_url="http://127.0.0.1:8080")
    Dispatcher(db, public, FixedClock(DUE), "t").run_pass()
    meta = received[0]["meta"]
    assert isinstance(meta, dict)
    url = str(meta["audio_url"])  # signed at send time: expiry and HMAC (audio_links)
    assert url.startswith(f"http://127.0.0.1:8080/loa/am-thanh/{recordings[0].name}?exp=")
    query = url.split("?", 1)[1].split("&")
    exp, sig = (q.split("=", 1)[1] for q in query)
    assert audio_links.valid(recordings[0].name, exp, sig, home, DUE)
    assert meta["audio_seconds"] > 5


def test_nothing_due_soon_records_nothing(
    db: Database,
    home: Path,
    tmp_path: Path,
    httpserver: HTTPServer,
    received: list[dict[str, object]],
) -> None:
    setup(db, home, tmp_path, httpserver)
    assert presynthesise(db, DUE - timedelta(hours=5), home) == 0


def test_without_a_recording_the_push_goes_out_as_text(
    db: Database,
    settings: Settings,
    home: Path,
    tmp_path: Path,
    httpserver: HTTPServer,
    received: list[dict[str, object]],
) -> None:
    setup(db, home, tmp_path, httpserver)
    Dispatcher(db, settings, FixedClock(DUE), "t").run_pass()
    meta = received[0]["meta"]
    assert isinstance(meta, dict) and "audio_url" not in meta
