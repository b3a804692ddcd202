"""The loudspeaker pull side: Atom feeds, conditional GET, the printable day sheet, and the
culture staff's whole morning against a real server on 127.0.0.1."""

from __future__ import annotations

import html
import json
import threading
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import feedparser
import pytest
import requests
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.serving import make_server

from bantin.config import Settings
from bantin.content import audio_links
from bantin.core import statemachine
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import Publication
from bantin.web import create_app
from tests.conftest import EXAMPLES, Cli
from tests.helpers import apply, write_campaign
from tests.web.conftest import GROUP_READ, NOW, PILOTS, UNIT_READ, dispatch_at

GROUP_FEED = f"/loa/nhom/thi-diem/feed.atom?token={GROUP_READ}"
UNIT_FEED = f"/loa/don-vi/29641/feed.atom?token={UNIT_READ}"
GROUP_SHEET = "/loa/nhom/thi-diem/{day}.html?token=" + GROUP_READ
UNIT_SHEET = "/loa/don-vi/29641/{day}.html?token=" + UNIT_READ


@pytest.fixture(autouse=True)
def _readers(feed_readers: None) -> None:
    """Every test here reads with the live feed tokens of 29641 and thi-diem."""


THURSDAY = "thứ Năm, ngày 3 tháng 12 năm 2026"


def parse(body: bytes) -> feedparser.FeedParserDict:
    doc = feedparser.parse(body)
    assert not doc.bozo, doc.get("bozo_exception")
    return doc


def slots(doc: feedparser.FeedParserDict) -> list[str]:
    return [e.loa_slot for e in doc.entries]


def cancel_storm_warning(db: Database, at: datetime) -> None:
    """The province withdraws Cái Nhum's 10:00 emergency bulletin."""
    with db.session() as s:
        pub = s.execute(
            select(Publication).where(
                Publication.unit_code == "29641", Publication.campaign_id == "canh-bao-mua-lon"
            )
        ).scalar_one()
        statemachine.move(s, pub, "cancelled", at, "test", "hết nguy cơ mưa lớn")


def test_group_feed_has_every_pilot_units_scripts_with_priority_and_duration(
    client: FlaskClient,
) -> None:
    resp = client.get(GROUP_FEED + "&days=1")
    assert resp.status_code == 200
    assert resp.content_type == "application/atom+xml; charset=utf-8"
    doc = parse(resp.data)
    assert doc.feed.title == "Kịch bản phát thanh – Các xã, phường thí điểm"
    assert {e.loa_unit for e in doc.entries} == set(PILOTS)
    morning = [e for e in doc.entries if e.loa_slot == "2026-12-03T05:30:00+07:00"]
    assert sorted(e.title for e in morning) == sorted(
        f"Bản tin Chuyển đổi số – {name}" for name in PILOTS.values()
    )
    slot = yaml.safe_load((EXAMPLES / "loa-cds.yaml").read_text(encoding="utf-8"))["slot_minutes"]
    for entry in morning:
        assert entry.loa_priority == "normal" and entry.loa_minutes == f"{slot:g}"
        assert abs(int(entry.loa_duration) - slot * 60) <= slot * 60 * 0.03 + 1  # ±3%, rounded up
        assert entry.content[0].value.startswith("Kính thưa bà con nhân dân")
        assert {"term": "normal", "scheme": "urn:bantin:loa:priority", "label": "Thường"} in (
            entry.tags
        )
        assert "Thời lượng ước tính:" in entry.summary


def test_emergency_bulletin_is_marked_emergency_in_the_feed(client: FlaskClient) -> None:
    doc = parse(client.get(UNIT_FEED + "&days=1").data)
    (storm,) = [e for e in doc.entries if e.loa_priority == "emergency"]
    assert storm.title == "Thông báo khẩn về mưa lớn – Xã Cái Nhum"
    assert storm.loa_slot == "2026-12-03T10:00:00+07:00"
    assert (storm.loa_minutes, storm.loa_duration) == ("1", "60")
    assert storm.summary.endswith(
        "Mức ưu tiên: Khẩn cấp · Thời lượng ước tính: 1 phút (khung 1 phút)"
    )


def noon_bulletin(db: Database, home: Path, folder: Path, template: str) -> None:
    """A one-off script for Cái Nhum at 12:00 on 3/12, from `template`, with no slot."""
    path = folder / "tin-trua.txt.j2"
    path.write_text(template, encoding="utf-8")
    campaign = write_campaign(
        folder,
        "tin-trua.yaml",
        f"""
        id: tin-trua
        title: Tin buổi trưa
        task: "1.3"
        agency: COMMUNES
        kind: radio_script
        period: {{start: 2026-12-03, end: 2026-12-03}}
        schedule: [{{at: 2026-12-03T12:00}}]
        targets: ["29641"]
        channels: [loa-xa]
        template: {path.name}
        """,
    )
    apply(db, [campaign], NOW, home, days=1)


def test_script_without_a_slot_has_no_minutes_element(
    client: FlaskClient, db: Database, home: Path, tmp_path: Path
) -> None:
    noon_bulletin(db, home, tmp_path, "Kính thưa bà con! Trưa nay mất điện từ 13 giờ.")
    doc = parse(client.get(UNIT_FEED + "&days=1").data)
    (noon,) = [e for e in doc.entries if e.loa_slot == "2026-12-03T12:00:00+07:00"]
    assert "loa_minutes" not in noon and int(noon.loa_duration) > 0


def test_entry_id_is_the_publications_idempotency_key(client: FlaskClient, db: Database) -> None:
    doc = parse(client.get(UNIT_FEED).data)
    with db.session() as s:
        keys = {
            str(p.id): p.idempotency_key
            for p in s.execute(select(Publication).where(Publication.unit_code == "29641"))
            .scalars()
            .all()
        }
    for entry in doc.entries:
        assert entry.id == "urn:bantin:pub:" + keys[entry.loa_publication]
    assert [e.id for e in parse(client.get(UNIT_FEED).data).entries] == [e.id for e in doc.entries]


def test_feed_window_is_now_to_days_ahead_plus_the_last_day(
    client: FlaskClient, clock: FixedClock
) -> None:
    one_day = slots(parse(client.get(UNIT_FEED + "&days=1").data))
    assert one_day == [
        "2026-12-02T05:30:00+07:00",  # published yesterday morning, 22.5 h ago
        "2026-12-02T17:00:00+07:00",  # not sent (no dispatcher ran), not yet recorded missed
        "2026-12-03T05:30:00+07:00",
        "2026-12-03T10:00:00+07:00",
        "2026-12-03T17:00:00+07:00",
    ]
    three_days = slots(parse(client.get(UNIT_FEED).data))
    assert "2026-12-05T06:00:00+07:00" in three_days  # Saturday's public-service guide
    clock.set(NOW + timedelta(hours=2))  # 06:00: yesterday 05:30 is now over a day old
    assert "2026-12-02T05:30:00+07:00" not in slots(parse(client.get(UNIT_FEED).data))


def test_cancelled_script_leaves_the_feed(client: FlaskClient, db: Database) -> None:
    cancel_storm_warning(db, NOW)
    doc = parse(client.get(UNIT_FEED + "&days=1").data)
    assert "emergency" not in {e.loa_priority for e in doc.entries}


def test_same_etag_again_is_304_with_no_body(client: FlaskClient) -> None:
    first = client.get(GROUP_FEED)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = client.get(GROUP_FEED, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag


def test_if_modified_since_last_modified_is_304(client: FlaskClient) -> None:
    first = client.get(GROUP_FEED)
    again = client.get(GROUP_FEED, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 304


def test_etag_ignores_the_feeds_own_updated_stamp(client: FlaskClient, clock: FixedClock) -> None:
    clock.set(datetime.fromisoformat("2027-06-01T12:00:00+07:00"))  # nothing scheduled
    first = client.get(UNIT_FEED)
    clock.advance(minutes=1)  # an empty feed is stamped with the time of the request
    again = client.get(UNIT_FEED)
    assert b"2027-06-01T05:01:00" in again.data and b"2027-06-01T05:01:00" not in first.data
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_change_to_a_script_gives_a_new_etag_and_last_modified(
    client: FlaskClient, db: Database, clock: FixedClock
) -> None:
    first = client.get(UNIT_FEED)
    cancel_storm_warning(db, clock.advance(minutes=5))
    again = client.get(UNIT_FEED, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert again.last_modified == clock.now().replace(microsecond=0)


def test_a_script_entering_the_window_defeats_if_modified_since(
    client: FlaskClient, clock: FixedClock
) -> None:
    first = client.get(UNIT_FEED + "&days=1")
    clock.set(NOW + timedelta(hours=2))  # tomorrow 05:30 is now within a day
    again = client.get(
        UNIT_FEED + "&days=1", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert again.status_code == 200
    assert "2026-12-04T05:30:00+07:00" in slots(parse(again.data))


def test_audio_file_in_home_becomes_an_enclosure(
    client: FlaskClient, home: Path, db: Database
) -> None:
    entry = parse(client.get(UNIT_FEED + "&days=0").data).entries[0]
    key = entry.id.removeprefix("urn:bantin:pub:")
    (home / "audio").mkdir()
    (home / "audio" / f"{key}.mp3").write_bytes(b"ID3" + b"\0" * 997)
    entry = parse(client.get(UNIT_FEED + "&days=0").data).entries[0]
    (enclosure,) = entry.enclosures
    assert enclosure.type == "audio/mpeg" and enclosure.length == "1000"
    audio = client.get(enclosure.href.removeprefix("http://localhost"))
    assert audio.status_code == 200 and audio.data.startswith(b"ID3")


def test_audio_route_serves_only_audio_files(
    client: FlaskClient, home: Path, clock: FixedClock
) -> None:
    (home / "audio").mkdir()
    (home / "audio" / "abc.json").write_text('{"seconds": 60}', encoding="utf-8")
    (home / "audio" / "abc.ogg").write_bytes(b"OggS")

    def signed(name: str) -> str:  # a valid signature, so only the file kind decides
        return audio_links.signed_url("/loa/am-thanh", name, home, clock.now())

    assert client.get(signed("abc.json")).status_code == 404
    assert client.get(signed("abc.ogg")).data == b"OggS"
    assert client.get(signed("../bantin.db")).status_code == 404


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/loa/don-vi/99999/feed.atom", 404),
        ("/loa/nhom/khong-co/feed.atom", 404),
        (UNIT_FEED + "&days=-1", 400),
        (UNIT_FEED + "&days=ba", 400),
        (UNIT_SHEET.format(day="2026-13-40"), 400),
        ("/loa/don-vi/99999/2026-12-03.html", 404),
    ],
)
def test_bad_addresses_answer_with_a_reason(client: FlaskClient, url: str, status: int) -> None:
    resp = client.get(url)
    assert resp.status_code == status
    doc = resp.get_json()
    assert doc["loi"] and doc["error"]


def test_day_sheet_of_a_group_has_the_vietnamese_date_and_every_script(
    client: FlaskClient,
) -> None:
    scripts = [
        e.content[0].value
        for e in parse(client.get(GROUP_FEED + "&days=1").data).entries
        if e.loa_slot.startswith("2026-12-03")
    ]
    resp = client.get(GROUP_SHEET.format(day="2026-12-03"))
    assert resp.status_code == 200 and resp.content_type == "text/html; charset=utf-8"
    page = resp.data.decode("utf-8")
    assert page == unicodedata.normalize("NFC", page)
    assert page.count(f'<p class="date">{THURSDAY}</p>') == len(PILOTS)  # a page per commune
    text = html.unescape(page)
    assert len(scripts) == 15 and all(script in text for script in scripts)
    assert text.count("Đã phát lúc: ____") == 15
    assert "Khẩn cấp" in text and "@media print" in text


def test_day_with_nothing_says_so(client: FlaskClient) -> None:
    page = client.get(UNIT_SHEET.format(day="2027-02-07")).data.decode()
    assert "Không có bản tin nào trong ngày này." in page
    assert "Chủ nhật, ngày 7 tháng 2 năm 2027" in page


def test_sheet_escapes_markup_from_campaign_files(
    client: FlaskClient, db: Database, home: Path, tmp_path: Path
) -> None:
    noon_bulletin(
        db,
        home,
        tmp_path,
        '{% set title = "<b>Tin</b> " ~ unit.name %}Bà con chú ý <script>alert(1)</script>',
    )
    page = client.get(UNIT_SHEET.format(day="2026-12-03")).data.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;Tin&lt;/b&gt;" in page


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(timeout=5)


def test_culture_staff_pull_print_confirm_and_see_it_in_the_records(
    server: str, clock: FixedClock, run_cli: Cli, db: Database, settings: Settings
) -> None:
    # A culture centre's PC subscribes to its group's feed.
    resp = requests.get(server + GROUP_FEED, timeout=10)
    assert resp.status_code == 200
    doc = parse(resp.content)
    assert {e.loa_unit for e in doc.entries} == set(PILOTS)
    assert {e.loa_priority for e in doc.entries} == {"normal", "emergency"}
    assert all(int(e.loa_duration) > 0 for e in doc.entries)

    # Polling again costs nothing while nothing changed.
    again = requests.get(server + GROUP_FEED, headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""

    # The morning's sheet is printed for the announcers.
    sheet = requests.get(server + GROUP_SHEET.format(day="2026-12-03"), timeout=10)
    assert sheet.status_code == 200
    text = html.unescape(sheet.text)
    assert THURSDAY in text
    cai_nhum = [
        e for e in doc.entries if e.loa_unit == "29641" and e.loa_slot.startswith("2026-12-03")
    ]
    assert all(e.content[0].value in text for e in cai_nhum)

    # The DIC gave Cái Nhum a receipt token; after the 05:30 bulletin it confirms from a phone.
    made = run_cli("receipts", "token", "create", "--unit", "29641", "--json")
    token = json.loads(made.output)["token"]
    dispatch_at(db, settings, datetime.fromisoformat("2026-12-03T05:30:02+07:00"))
    clock.set(datetime.fromisoformat("2026-12-03T05:40:00+07:00"))
    morning = next(e for e in cai_nhum if e.loa_slot == "2026-12-03T05:30:00+07:00")
    posted = requests.post(
        server + "/loa/receipts",
        json={
            "key": morning.id,
            "unit": "29641",
            "aired_at": "2026-12-03T05:31",
            "duration": 62,
            "reported_by": "Nguyễn Thị Lan",
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    receipt = posted.json()
    assert receipt["publication_id"] == int(morning.loa_publication)
    assert receipt["aired_local"] == "2026-12-03T05:31:00+07:00"
    assert receipt["source"] == "api"

    # The DIC sees it in the records.
    out = run_cli(
        "records", "--unit", "29641", "--from", "2026-12-03", "--to", "2026-12-03", "--json"
    )
    rows = {row["id"]: row for row in json.loads(out.output)}
    confirmed = rows[receipt["publication_id"]]
    assert confirmed["receipts"] == 1 and confirmed["confirmed"] is True
    assert [r["id"] for r in rows.values() if r["confirmed"]] == [receipt["publication_id"]]


def test_app_uses_the_injected_clock_not_the_system_time(settings: Settings, db: Database) -> None:
    """One database, two injected clocks: the feed follows the clock it was given (the
    system's time, years from either, would give the same answer to both)."""

    def feed_at(now: datetime) -> list[str]:
        client = create_app(settings, clock=FixedClock(now), db=db).test_client()
        return slots(parse(client.get(UNIT_FEED + "&days=1").data))

    assert "2026-12-03T05:30:00+07:00" in feed_at(NOW)
    assert feed_at(datetime.fromisoformat("2027-06-01T12:00:00+07:00")) == []
