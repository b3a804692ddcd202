"""The spine end to end: the bundled examples on a fresh database, a simulated day with
an injected clock, output to the outbox and to a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from werkzeug import Request, Response

from bantin.config import Settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import Publication, Unit
from bantin.dispatch import Dispatcher
from tests.conftest import EXAMPLES, T0, Cli
from tests.helpers import OUTBOX_CHANNELS, add_channels, apply, write_campaign

SECRET = "bi-mat-e2e"
DAY = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)  # 00:00 on Thursday 3/12/2026 in Vĩnh Long

WEBHOOK_CAMPAIGN = """
id: loa-thong-minh
title: Bản tin trên loa thông minh
task: "1.3"
agency: COMMUNES
kind: radio_script
period: {start: 2026-12-01, end: 2026-12-31}
schedule:
  - cron: "30 5 * * *"
  - cron: "0 17 * * *"
targets: group:thi-diem
channels: [loa-thong-minh]
template: radio/ban-tin-demo.txt.j2
priority: priority
"""


class Receiver:
    """A loudspeaker platform: verifies signatures, deduplicates by Idempotency-Key."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.accepted: dict[str, dict[str, object]] = {}

    def __call__(self, request: Request) -> Response:
        body = request.get_data()
        ts = request.headers["X-Bantin-Timestamp"]
        good = (
            "sha256="
            + hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        )
        if request.headers["X-Bantin-Signature"] != good:
            return Response("bad signature", 401)
        key = request.headers["Idempotency-Key"]
        self.requests.append(key)
        self.accepted.setdefault(key, json.loads(body))
        return Response(json.dumps({"id": f"loa-{key[:8]}"}), 201, content_type="application/json")


@pytest.fixture
def receiver(httpserver: HTTPServer) -> Receiver:
    r = Receiver()
    httpserver.expect_request("/api/bulletins", method="POST").respond_with_handler(r)
    return r


def due_times(db: Database, lo: datetime, hi: datetime) -> list[datetime]:
    with db.session() as s:
        return sorted(
            set(
                s.execute(
                    select(Publication.due_at).where(
                        Publication.due_at >= lo, Publication.due_at < hi
                    )
                ).scalars()
            )
        )


def test_a_simulated_day_arrives_exactly_once_with_vietnamese_text(
    db: Database,
    settings: Settings,
    home: Path,
    tmp_path: Path,
    run_cli: Cli,
    httpserver: HTTPServer,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOA_SECRET", SECRET)
    webhook = "webhook+" + httpserver.url_for("/api/bulletins") + "?secret=env:LOA_SECRET"
    add_channels(db, T0, [*OUTBOX_CHANNELS, ("loa-thong-minh", webhook, "COMMUNES")], home)
    extra = write_campaign(tmp_path / "c", "loa-thong-minh.yaml", WEBHOOK_CAMPAIGN)
    apply(db, [*sorted(EXAMPLES.glob("*.yaml")), extra], DAY, home)

    # The portal column needs approval: the first pass renders it for review (24 h
    # ahead), an editor approves it from the command line.
    assert Dispatcher(db, settings, FixedClock(DAY), "e2e").run_pass().reviews == 1
    result = run_cli(
        "approve",
        "--campaign",
        "chuyen-muc-cds",
        "--until",
        "2026-12-03",
        "--actor",
        "bientap",
        "--now",
        "2026-12-03T01:00",
    )
    assert result.exit_code == 0 and "approved 1 publication" in result.output

    clock = FixedClock(DAY)
    runner = Dispatcher(db, settings, clock, "e2e")
    for t in due_times(db, DAY, DAY + timedelta(days=1)):
        clock.set(t + timedelta(seconds=2))
        runner.run_pass()
    clock.set(DAY + timedelta(days=1))
    assert runner.run_pass().claimed == 0  # nothing left over, nothing sent twice
    runner.close()

    with db.session() as s:
        day_rows = s.execute(
            select(Publication.status, func.count())
            .where(Publication.due_at >= DAY, Publication.due_at < DAY + timedelta(days=1))
            .group_by(Publication.status)
        ).all()
        units = dict(s.execute(select(Unit.code, Unit.name)).all())
    # 124 units x 2 bulletins + 1 post + 1 article + 5 smart loudspeakers x 2
    assert dict(day_rows) == {"published": 248 + 1 + 1 + 10}

    loa_files = sorted((home / "outbox" / "loa-xa" / "2026-12-03").glob("*.txt"))
    assert len(loa_files) == 248
    assert len({f.name.rsplit("-", 1)[-1] for f in loa_files}) == 248
    sample = next(f for f in loa_files if f.name.startswith("0530-loa-cds-29641-"))
    text = sample.read_text(encoding="utf-8")
    assert text == unicodedata.normalize("NFC", text)
    assert "Kính thưa bà con nhân dân xã Cái Nhum!" in text
    assert "phát vào buổi sáng thứ Năm, ngày 3 tháng 12 năm 2026" in text
    evening = next(f for f in loa_files if f.name.startswith("1700-loa-cds-29641-"))
    assert "buổi chiều" in evening.read_text(encoding="utf-8")

    post = list((home / "outbox" / "baovl-fanpage" / "2026-12-03").glob("*.txt"))
    article = list((home / "outbox" / "baovl-portal" / "2026-12-03").glob("*.txt"))
    assert len(post) == 1 and len(article) == 1
    assert "<p><strong>" in article[0].read_text(encoding="utf-8")
    assert "#ChuyenDoiSo" in post[0].read_text(encoding="utf-8")

    assert len(receiver.requests) == 10 and len(receiver.accepted) == 10
    names = {doc["unit"]["name"] for doc in receiver.accepted.values()}  # type: ignore[index]
    assert len(names) == 5 and names <= set(units.values())
    assert {doc["priority"] for doc in receiver.accepted.values()} == {"priority"}

    summary = run_cli(
        "records",
        "summary",
        "--by",
        "channel",
        "--from",
        "2026-12-03",
        "--to",
        "2026-12-03",
        "--json",
    )
    by_channel = {row["channel"]: row for row in json.loads(summary.output)}
    assert by_channel["loa-xa"]["published"] == 248
    assert by_channel["loa-thong-minh"]["published"] == 10
    verify = run_cli("audit", "verify")
    assert verify.exit_code == 0, verify.output
