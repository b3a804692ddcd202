"""/duyet: the approval queue — approvers approve, edit then approve, or reject with a
reason; editors only look; other agencies never see a thing."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select, update

from bantin.core.db import Database
from bantin.core.models import AuditEvent, Publication
from tests.web.compose_support import PAYLOADS, escaped, pending_article, signed_in


def _pub(db: Database, pub_id: int) -> Publication:
    with db.read() as s:
        pub = s.get_one(Publication, pub_id)
        s.expunge(pub)
    return pub


def test_the_approver_sees_the_pending_article_with_its_buttons(
    client: FlaskClient, db: Database
) -> None:
    pub_id = pending_article(db)
    signed_in(client, db, "duyet.bai")
    body = client.get("/duyet").get_data(as_text=True)
    assert f'id="pub-{pub_id}"' in body and f"/duyet/{pub_id}/duyet" in body


def test_an_editor_sees_the_queue_read_only_and_cannot_approve(
    client: FlaskClient, db: Database
) -> None:
    pub_id = pending_article(db)
    csrf = signed_in(client, db, "bien.tap")
    body = client.get("/duyet").get_data(as_text=True)
    assert f'id="pub-{pub_id}"' in body and f"/duyet/{pub_id}/duyet" not in body
    assert client.post(f"/duyet/{pub_id}/duyet", data={"csrf_token": csrf}).status_code == 404
    assert client.get(f"/duyet/{pub_id}/sua").status_code == 404
    assert _pub(db, pub_id).status == "pending_approval"


def test_another_agency_sees_nothing(client: FlaskClient, db: Database) -> None:
    pub_id = pending_article(db)
    csrf = signed_in(client, db, "khac.coquan")
    assert f"pub-{pub_id}" not in client.get("/duyet").get_data(as_text=True)
    assert client.get(f"/duyet/{pub_id}/sua").status_code == 404
    data = {"csrf_token": csrf, "reason": "x"}
    assert client.post(f"/duyet/{pub_id}/tu-choi", data=data).status_code == 404


def test_approve_records_the_user(client: FlaskClient, db: Database) -> None:
    pub_id = pending_article(db)
    csrf = signed_in(client, db, "duyet.bai")
    assert client.post(f"/duyet/{pub_id}/duyet", data={"csrf_token": csrf}).status_code == 302
    pub = _pub(db, pub_id)
    assert (pub.status, pub.approved_by) == ("approved", "user duyet.bai")


def test_approve_needs_csrf(client: FlaskClient, db: Database) -> None:
    pub_id = pending_article(db)
    signed_in(client, db, "duyet.bai")
    assert client.post(f"/duyet/{pub_id}/duyet").status_code == 400
    assert _pub(db, pub_id).status == "pending_approval"


def test_edit_then_approve_stores_the_edited_text(client: FlaskClient, db: Database) -> None:
    pub_id = pending_article(db)
    csrf = signed_in(client, db, "duyet.bai")
    data = {"csrf_token": csrf, "title": "Tiêu đề mới", "body": "<p>Nội dung đã sửa.</p>"}
    assert client.post(f"/duyet/{pub_id}/sua", data=data).status_code == 302
    pub = _pub(db, pub_id)
    assert (pub.status, pub.title, pub.body) == (
        "approved",
        "Tiêu đề mới",
        "<p>Nội dung đã sửa.</p>",
    )
    with db.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "publication.edited")).one()
    assert event.actor == "user duyet.bai"


def test_an_empty_edit_is_refused_and_shown(client: FlaskClient, db: Database) -> None:
    pub_id = pending_article(db)
    csrf = signed_in(client, db, "duyet.bai")
    resp = client.post(f"/duyet/{pub_id}/sua", data={"csrf_token": csrf, "title": "", "body": " "})
    assert resp.status_code == 422 and "không được để trống" in resp.get_data(as_text=True)
    assert _pub(db, pub_id).status == "pending_approval"


def test_reject_needs_a_reason(client: FlaskClient, db: Database) -> None:
    pub_id = pending_article(db)
    csrf = signed_in(client, db, "duyet.bai")
    client.post(f"/duyet/{pub_id}/tu-choi", data={"csrf_token": csrf, "reason": "  "})
    assert _pub(db, pub_id).status == "pending_approval"
    client.post(f"/duyet/{pub_id}/tu-choi", data={"csrf_token": csrf, "reason": "sai số liệu"})
    pub = _pub(db, pub_id)
    assert pub.status == "cancelled" and "sai số liệu" in (pub.status_reason or "")


def test_payloads_in_the_reason_and_the_text_are_escaped(client: FlaskClient, db: Database) -> None:
    pub_id = pending_article(db)
    with db.session() as s:
        s.execute(
            update(Publication)
            .where(Publication.id == pub_id)
            .values(title=PAYLOADS[0], body=PAYLOADS[1])
        )
    csrf = signed_in(client, db, "duyet.bai")
    assert escaped(client.get("/duyet").get_data(as_text=True))
    assert escaped(client.get(f"/duyet/{pub_id}/sua").get_data(as_text=True))
    data = {"csrf_token": csrf, "title": PAYLOADS[1], "body": ""}
    assert escaped(client.post(f"/duyet/{pub_id}/sua", data=data).get_data(as_text=True))
    reason = PAYLOADS[0] + PAYLOADS[1]
    resp = client.post(
        f"/duyet/{pub_id}/tu-choi",
        data={"csrf_token": csrf, "reason": reason},
        follow_redirects=True,
    )
    assert escaped(resp.get_data(as_text=True))
    assert "&lt;script&gt;" in resp.get_data(as_text=True)
