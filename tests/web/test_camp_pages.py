"""/chien-dich: the campaign list, a campaign's page and its buttons, and uploading or
editing a campaign file with errors shown at their line."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select

from bantin.core.db import Database
from bantin.core.models import AuditEvent, Campaign
from tests.web.compose_support import PAYLOADS, escaped, signed_in
from tests.web.desk_support import add_people, log_in

GOOD = """\
id: ra-mat-tong-dai
title: Ra mắt tổng đài hỗ trợ
task: "1.1"
agency: BAOVL
kind: post
period: {start: 2026-12-03, end: 2026-12-03}
schedule:
  - at: 2026-12-03T10:00
channels: [baovl-fanpage]
template: posts/cds-mang-xa-hoi.txt.j2
vars:
  keu_goi: Gọi 1022.
  hashtags: ["#VinhLong"]
  thong_diep:
    - {tieu_de: Tổng đài 1022, noi_dung: Bà con gọi 1022 để được hỗ trợ.}
"""


def test_the_list_shows_the_agencys_campaigns_only(client: FlaskClient, db: Database) -> None:
    signed_in(client, db, "bien.tap")
    body = client.get("/chien-dich").get_data(as_text=True)
    assert "/chien-dich/chuyen-muc-cds" in body
    assert "/chien-dich/loa-cds" not in body  # COMMUNES'


def test_another_agencys_campaign_is_404(client: FlaskClient, db: Database) -> None:
    signed_in(client, db, "khac.coquan")
    assert client.get("/chien-dich/chuyen-muc-cds").status_code == 404
    assert client.get("/chien-dich/chuyen-muc-cds/sua").status_code == 404


def test_culture_staff_get_404(client: FlaskClient, db: Database) -> None:
    signed_in(client, db, "vh.cainhum")
    assert client.get("/chien-dich").status_code == 404


def test_the_campaign_page_shows_its_file_with_line_anchors(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db, "bien.tap")
    body = client.get("/chien-dich/chuyen-muc-cds").get_data(as_text=True)
    assert '<li id="L1">' in body and "approval: required" in body


def _status(db: Database, campaign_id: str = "chuyen-muc-cds") -> str:
    with db.read() as s:
        return s.get_one(Campaign, campaign_id).status


def test_pause_needs_the_confirmation_box(client: FlaskClient, db: Database) -> None:
    csrf = signed_in(client, db, "bien.tap", "/chien-dich/chuyen-muc-cds")
    url = "/chien-dich/chuyen-muc-cds/trang-thai"
    client.post(url, data={"csrf_token": csrf, "action": "pause"})
    assert _status(db) == "active"
    client.post(url, data={"csrf_token": csrf, "action": "pause", "confirm": "1"})
    assert _status(db) == "paused"
    with db.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "campaign.paused")).one()
    assert event.actor == "user bien.tap"


def test_cancel_cancels_the_unsent_publications(client: FlaskClient, db: Database) -> None:
    csrf = signed_in(client, db, "bien.tap", "/chien-dich/chuyen-muc-cds")
    data = {"csrf_token": csrf, "action": "cancel", "confirm": "1", "reason": "trùng lịch"}
    client.post("/chien-dich/chuyen-muc-cds/trang-thai", data=data)
    assert _status(db) == "cancelled"


def test_status_change_needs_csrf(client: FlaskClient, db: Database) -> None:
    signed_in(client, db, "bien.tap")
    data = {"action": "pause", "confirm": "1"}
    assert client.post("/chien-dich/chuyen-muc-cds/trang-thai", data=data).status_code == 400
    assert _status(db) == "active"


def test_the_auditor_reads_but_cannot_change(client: FlaskClient, db: Database) -> None:
    csrf = signed_in(client, db, "kiem.tra", "/chien-dich/chuyen-muc-cds")
    body = client.get("/chien-dich/chuyen-muc-cds").get_data(as_text=True)
    assert "trang-thai" not in body
    data = {"csrf_token": csrf, "action": "pause", "confirm": "1"}
    assert client.post("/chien-dich/chuyen-muc-cds/trang-thai", data=data).status_code == 404
    assert _status(db) == "active"


def _upload(client: FlaskClient, csrf: str, text: str) -> tuple[int, str]:
    resp = client.post("/chien-dich/tai-len", data={"csrf_token": csrf, "yaml": text})
    return resp.status_code, resp.get_data(as_text=True)


def test_a_valid_file_is_saved_and_applied(client: FlaskClient, db: Database, home: Path) -> None:
    csrf = signed_in(client, db, "bien.tap", "/chien-dich/tai-len")
    status, _ = _upload(client, csrf, GOOD)
    assert status == 302
    assert (home / "campaigns" / "web" / "BAOVL" / "ra-mat-tong-dai.yaml").is_file()
    assert _status(db, "ra-mat-tong-dai") == "active"


def test_errors_are_shown_at_their_line_and_nothing_is_saved(
    client: FlaskClient, db: Database, home: Path
) -> None:
    csrf = signed_in(client, db, "bien.tap", "/chien-dich/tai-len")
    bad = GOOD.replace("  - at: 2026-12-03T10:00", "  - cron: every day")
    status, body = _upload(client, csrf, bad)
    assert status == 422
    assert '<a href="#L8">dòng 8</a>, trường schedule' in body
    assert '<li id="L8" class="bad">' in body
    assert not list((home / "campaigns" / "web" / "BAOVL").glob("*.yaml"))
    with db.read() as s:
        assert s.get(Campaign, "ra-mat-tong-dai") is None


def test_another_agencys_file_is_refused_clearly(client: FlaskClient, db: Database) -> None:
    csrf = signed_in(client, db, "bien.tap", "/chien-dich/tai-len")
    text = GOOD.replace("agency: BAOVL", "agency: SKHCN").replace("baovl-fanpage", "loa-xa")
    status, body = _upload(client, csrf, text)
    assert status == 422
    with db.read() as s:
        assert s.get(Campaign, "ra-mat-tong-dai") is None
    assert "dòng 4" in body and "SKHCN" in body


def test_an_existing_id_of_another_agency_cannot_be_taken(
    client: FlaskClient, db: Database
) -> None:
    csrf = signed_in(client, db, "bien.tap", "/chien-dich/tai-len")
    status, body = _upload(client, csrf, GOOD.replace("ra-mat-tong-dai", "loa-cds"))
    assert status == 422 and "cơ quan khác" in body
    with db.read() as s:
        assert s.get_one(Campaign, "loa-cds").agency_code == "COMMUNES"


def test_payloads_in_the_yaml_are_escaped(client: FlaskClient, db: Database) -> None:
    csrf = signed_in(client, db, "bien.tap", "/chien-dich/tai-len")
    for payload in PAYLOADS:
        text = GOOD.replace("Ra mắt tổng đài hỗ trợ", payload).replace("cds-mang", payload)
        status, body = _upload(client, csrf, text)
        assert status == 422 and escaped(body)


def test_a_saved_title_with_a_payload_is_escaped_on_the_pages(
    client: FlaskClient, db: Database
) -> None:
    csrf = signed_in(client, db, "bien.tap", "/chien-dich/tai-len")
    title = "'" + PAYLOADS[1].replace("'", "") + PAYLOADS[0] + "'"
    status, _ = _upload(client, csrf, GOOD.replace("Ra mắt tổng đài hỗ trợ", title))
    assert status == 302
    for url in ("/chien-dich", "/chien-dich/ra-mat-tong-dai", "/chien-dich/ra-mat-tong-dai/sua"):
        assert escaped(client.get(url).get_data(as_text=True)), url


def test_upload_needs_csrf(client: FlaskClient, db: Database) -> None:
    add_people(db)
    log_in(client, "bien.tap")
    assert client.post("/chien-dich/tai-len", data={"yaml": GOOD}).status_code == 400


def _statements(db: Database, client: FlaskClient, url: str) -> int:
    from sqlalchemy import event

    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_list_costs_the_same_statements_whatever_the_campaign_count(
    client: FlaskClient, db: Database
) -> None:
    """Counts by state come from one grouped query, never one per campaign."""
    signed_in(client, db, "kiem.tra")  # the auditor sees every campaign
    everything = _statements(db, client, "/chien-dich")
    log_in(client, "bien.tap")  # a new login replaces the session
    assert _statements(db, client, "/chien-dich") == everything


def test_pages_speak_english_on_request(client: FlaskClient, db: Database) -> None:
    signed_in(client, db, "bien.tap")
    body = client.get("/chien-dich?lang=en").get_data(as_text=True)
    assert "Your agency&#39;s campaigns" in body or "Your agency's campaigns" in body
