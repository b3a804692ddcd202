"""/kenh and /canh-bao: an agency's channels and alerts for its people, everything for the
auditor, the test button and the resolve form as audited changes; escaped, scoped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from bantin.core.db import Database
from bantin.core.models import Alert, AuditEvent, Channel
from tests.web.desk_support import add_people, form_csrf, log_in

PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
AT = datetime(2026, 12, 2, 20, tzinfo=UTC)


@pytest.fixture(autouse=True)
def people(db: Database) -> None:
    add_people(db)


def _alert(db: Database, agency: str, message: str) -> int:
    with db.session() as s:
        row = Alert(at=AT, agency_code=agency, kind="channel_broken", message=message)
        s.add(row)
        s.flush()
        return row.id


def test_editors_see_their_agencys_channels_only(client: FlaskClient) -> None:
    log_in(client, "bien.tap")
    page = client.get("/kenh").data.decode()
    assert "baovl-fanpage" in page and "loa-xa" not in page
    assert "Gửi thử" in page
    client.post("/dang-xuat", data={"csrf_token": form_csrf(client, "/")})
    log_in(client, "khac.coquan")
    assert "baovl-fanpage" not in client.get("/kenh").data.decode()


def test_the_auditor_sees_every_channel_but_cannot_test(client: FlaskClient) -> None:
    log_in(client, "kiem.tra")
    page = client.get("/kenh").data.decode()
    assert "baovl-fanpage" in page and "loa-xa" in page and "Gửi thử" not in page
    resp = client.post("/kenh/baovl-fanpage/thu", data={"csrf_token": form_csrf(client, "/kenh")})
    assert resp.status_code == 404


def test_culture_staff_have_no_channel_or_alert_pages(client: FlaskClient) -> None:
    log_in(client, "vh.cainhum")
    assert client.get("/kenh").status_code == 404
    assert client.get("/canh-bao").status_code == 404


def test_test_button_checks_an_outbox_channel_and_is_audited(
    client: FlaskClient, db: Database
) -> None:
    log_in(client, "bien.tap")
    resp = client.post(
        "/kenh/baovl-fanpage/thu",
        data={"csrf_token": form_csrf(client, "/kenh")},
        follow_redirects=True,
    )
    assert "Kênh baovl-fanpage: kiểm tra thành công." in resp.data.decode()
    with db.read() as s:
        actor = s.scalar(select(AuditEvent.actor).where(AuditEvent.action == "channel.tested"))
    assert actor == "user bien.tap"


def test_test_button_needs_the_csrf_token(client: FlaskClient) -> None:
    log_in(client, "bien.tap")
    assert client.post("/kenh/baovl-fanpage/thu").status_code == 400


def test_another_agencys_channel_cannot_be_tested(client: FlaskClient) -> None:
    log_in(client, "khac.coquan")
    resp = client.post("/kenh/baovl-fanpage/thu", data={"csrf_token": form_csrf(client, "/kenh")})
    assert resp.status_code == 404


@pytest.mark.parametrize("payload", PAYLOADS)
def test_broken_reasons_and_alert_texts_are_escaped(
    client: FlaskClient, db: Database, payload: str
) -> None:
    with db.session() as s:
        s.execute(
            update(Channel)
            .where(Channel.name == "baovl-fanpage")
            .values(status="broken", status_reason=payload)
        )
    _alert(db, "BAOVL", payload)
    log_in(client, "duyet.bai")
    for url in ("/kenh", "/canh-bao"):
        page = client.get(url).data.decode()
        assert payload not in page and "&lt;" in page


def test_an_approver_resolves_an_alert_with_a_note(client: FlaskClient, db: Database) -> None:
    alert = _alert(db, "BAOVL", "Kênh baovl-fanpage hỏng")
    log_in(client, "duyet.bai")
    assert "Kênh baovl-fanpage hỏng" in client.get("/canh-bao").data.decode()
    resp = client.post(
        f"/canh-bao/{alert}/xu-ly",
        data={"note": "Đã cấp lại mã truy cập", "csrf_token": form_csrf(client, "/canh-bao")},
    )
    assert resp.status_code == 302
    with db.read() as s:
        ev = s.execute(select(AuditEvent).where(AuditEvent.action == "alert.resolved")).scalar_one()
        assert s.get_one(Alert, alert).resolved_at is not None
    assert ev.actor == "user duyet.bai" and ev.data == {"note": "Đã cấp lại mã truy cập"}
    assert "Kênh baovl-fanpage hỏng" not in client.get("/canh-bao").data.decode()


def test_editors_and_other_agencies_cannot_resolve(client: FlaskClient, db: Database) -> None:
    alert = _alert(db, "BAOVL", "x")
    log_in(client, "bien.tap")
    csrf = form_csrf(client, "/canh-bao")
    assert client.post(f"/canh-bao/{alert}/xu-ly", data={"csrf_token": csrf}).status_code == 404
    with db.read() as s:
        assert s.get_one(Alert, alert).resolved_at is None


def test_the_auditor_reads_every_agencys_alerts(client: FlaskClient, db: Database) -> None:
    _alert(db, "BAOVL", "một")
    _alert(db, "SKHCN", "hai")
    log_in(client, "kiem.tra")
    page = client.get("/canh-bao").data.decode()
    assert "một" in page and "hai" in page and "Đã xử lý" not in page
