"""/soan-bai: the composer, as an editor uses it, and as outsiders cannot."""

from __future__ import annotations

import io
import json
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select

from bantin.core.db import Database
from bantin.core.models import AuditEvent, Campaign, Publication
from tests.web.compose_support import DUE_THURSDAY, PAYLOADS, escaped, signed_in
from tests.web.desk_support import add_people, log_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _form(csrf: str, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "csrf_token": csrf,
        "title": "Mời dự hội nghị chuyển đổi số",
        "text": "Sáng thứ Năm, hội nghị chuyển đổi số diễn ra tại Hội trường tỉnh.",
        "channels": ["baovl-fanpage", "baovl-portal"],
        "kind": "post",
        "task": "1.1",
        "when": DUE_THURSDAY,
        "action": "save",
    }
    data.update(changes)
    return data


def test_the_form_offers_only_the_agencys_channels(client: FlaskClient, db: Database) -> None:
    signed_in(client, db, "bien.tap")
    body = client.get("/soan-bai").get_data(as_text=True)
    assert 'value="baovl-fanpage"' in body and 'value="baovl-portal"' in body
    assert 'value="loa-xa"' not in body
    assert "compose/compose.js" in body


def test_culture_staff_and_the_auditor_get_404(client: FlaskClient, db: Database) -> None:
    add_people(db)
    for user in ("vh.cainhum", "kiem.tra"):
        log_in(client, user)
        assert client.get("/soan-bai").status_code == 404


def test_saving_schedules_one_publication_per_channel(
    client: FlaskClient, db: Database, home: Path
) -> None:
    csrf = signed_in(client, db, "bien.tap", "/soan-bai")
    resp = client.post("/soan-bai", data=_form(csrf))
    assert resp.status_code == 302 and "/chien-dich/bai-20261203-0930-" in resp.location
    campaign_id = resp.location.rsplit("/", 1)[1]
    with db.read() as s:
        channels = s.scalars(
            select(Publication.channel_name).where(Publication.campaign_id == campaign_id)
        ).all()
        actors = s.scalars(
            select(AuditEvent.actor).where(AuditEvent.entity_id == campaign_id)
        ).all()
    assert sorted(channels) == ["baovl-fanpage", "baovl-portal"]
    assert set(actors) == {"user bien.tap"}
    assert (home / "campaigns" / "web" / "BAOVL" / f"{campaign_id}.yaml").is_file()


def test_a_channel_of_another_agency_is_ignored(client: FlaskClient, db: Database) -> None:
    csrf = signed_in(client, db, "bien.tap", "/soan-bai")
    resp = client.post("/soan-bai", data=_form(csrf, channels=["loa-xa"]))
    assert resp.status_code == 422
    assert "hãy chọn ít nhất một kênh" in resp.get_data(as_text=True)


def test_errors_are_shown_by_field_and_nothing_is_saved(client: FlaskClient, db: Database) -> None:
    csrf = signed_in(client, db, "bien.tap", "/soan-bai")
    with db.read() as s:
        before = s.scalar(select(Campaign.id).order_by(Campaign.id.desc()))
    resp = client.post("/soan-bai", data=_form(csrf, when="31/02/2026 08:00", title=""))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'id="err-when"' in body and 'id="err-title"' in body
    with db.read() as s:
        assert s.scalar(select(Campaign.id).order_by(Campaign.id.desc())) == before


def test_the_form_needs_its_csrf_token(client: FlaskClient, db: Database) -> None:
    signed_in(client, db, "bien.tap")
    assert client.post("/soan-bai", data=_form("")).status_code == 400


def test_the_preview_endpoint_needs_the_csrf_header(client: FlaskClient, db: Database) -> None:
    csrf = signed_in(client, db, "bien.tap", "/soan-bai")
    data = _form(csrf, action="preview")
    del data["csrf_token"]
    assert client.post("/soan-bai/xem-truoc", data=data).status_code == 400
    resp = client.post("/soan-bai/xem-truoc", data=data, headers={"X-CSRFToken": csrf})
    answer = json.loads(resp.get_data(as_text=True))
    assert [c["channel"] for c in answer["channels"]] == ["baovl-fanpage", "baovl-portal"]
    assert all("hội nghị chuyển đổi số" in c["text"] for c in answer["channels"])


def test_the_preview_button_works_without_script(client: FlaskClient, db: Database) -> None:
    csrf = signed_in(client, db, "bien.tap", "/soan-bai")
    body = client.post("/soan-bai", data=_form(csrf, action="preview")).get_data(as_text=True)
    assert body.count('class="pv"') == 2


def test_a_radio_preview_shows_the_read_time(client: FlaskClient, db: Database) -> None:
    csrf = signed_in(client, db, "bien.tap", "/soan-bai")
    data = _form(csrf, action="preview", kind="radio_script", target="29641")
    body = client.post("/soan-bai", data=data).get_data(as_text=True)
    assert "Thời lượng đọc ước tính" in body and "giây" in body


def test_payloads_in_title_and_text_are_escaped(client: FlaskClient, db: Database) -> None:
    csrf = signed_in(client, db, "bien.tap", "/soan-bai")
    for payload in PAYLOADS:
        for action in ("preview", "save"):
            data = _form(csrf, title=payload, text=payload, when=payload, action=action)
            body = client.post("/soan-bai", data=data).get_data(as_text=True)
            assert escaped(body), action
            assert "&lt;script&gt;" in body or "&#34;&gt;&lt;img" in body  # shown, escaped


def test_a_png_is_stored_in_the_media_folder_under_a_new_name(
    client: FlaskClient, db: Database, home: Path
) -> None:
    csrf = signed_in(client, db, "bien.tap", "/soan-bai")
    data = _form(csrf, image=(io.BytesIO(PNG), "../../etc/anh.png"))
    resp = client.post("/soan-bai", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302
    stored = list((home / "media" / "soan-bai").rglob("*.png"))
    assert len(stored) == 1 and "anh" not in stored[0].name


def test_a_file_that_is_not_an_image_is_refused(
    client: FlaskClient, db: Database, home: Path
) -> None:
    csrf = signed_in(client, db, "bien.tap", "/soan-bai")
    fake = (io.BytesIO(b"<svg onload=alert(1)>"), "anh.png")
    resp = client.post(
        "/soan-bai", data=_form(csrf, image=fake), content_type="multipart/form-data"
    )
    assert resp.status_code == 422 and "chỉ nhận ảnh PNG, JPEG hoặc WebP" in resp.get_data(
        as_text=True
    )
    assert not (home / "media" / "soan-bai").exists()
