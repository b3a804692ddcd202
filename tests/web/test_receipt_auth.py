"""Who may post a receipt (issue 8, item 7): a live token of the unit, from this site.

API clients send `Authorization: Bearer <token>` (JSON or form body). A browser uses the
form page (`/loa/receipts/form?token=…`), whose post must come from this site's origin
and carry the page's CSRF token. The audit actor is the token, never the body."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from bantin.config import Settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import AuditEvent, BroadcastReceipt, Publication
from bantin.records.receipt_tokens import revoke_token
from bantin.web import create_app
from tests.web.conftest import make_token
from tests.web.test_receipts import AFTER_MORNING, morning_bulletin

ORIGIN = "http://localhost"  # the test client's own origin
FORGED = "Chủ tịch UBND (forged)"


def post_json(client: FlaskClient, token: str | None, **fields: object) -> TestResponse:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/loa/receipts", json=fields, headers=headers)


def receipts(db: Database) -> list[BroadcastReceipt]:
    with db.session() as s:
        return list(s.execute(select(BroadcastReceipt)).scalars())


def form_page(client: FlaskClient, token: str) -> tuple[TestResponse, str]:
    page = client.get(f"/loa/receipts/form?token={token}")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.data.decode())
    return page, found.group(1) if found else ""


def post_form(
    client: FlaskClient, fields: dict[str, str], *, origin: str | None = ORIGIN
) -> TestResponse:
    headers = {"Origin": origin} if origin else {}
    return client.post("/loa/receipts", data=fields, headers=headers)


def test_a_receipt_without_a_token_is_401_and_not_recorded(
    client: FlaskClient, db: Database
) -> None:
    resp = post_json(client, None, publication=morning_bulletin(db).id, reported_by="Lan")
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert "token" in resp.get_json()["error"] and receipts(db) == []


@pytest.mark.parametrize("token", ["loa_not-a-real-one", "x" * 5000, "Basic abc"])
def test_an_unknown_token_is_401(client: FlaskClient, db: Database, token: str) -> None:
    resp = post_json(client, token, publication=morning_bulletin(db).id, reported_by="Lan")
    assert resp.status_code == 401 and receipts(db) == []


def test_a_revoked_token_is_401(client: FlaskClient, db: Database, unit_token: str) -> None:
    with db.session() as s:
        revoke_token(s, 1, "test", AFTER_MORNING)
    resp = post_json(client, unit_token, publication=morning_bulletin(db).id, reported_by="Lan")
    assert resp.status_code == 401 and receipts(db) == []


def test_the_audit_actor_is_the_token_never_the_body(
    client: FlaskClient, db: Database, unit_token: str
) -> None:
    resp = post_json(
        client, unit_token, publication=morning_bulletin(db).id, reported_by=FORGED, actor=FORGED
    )
    assert resp.status_code == 201
    with db.session() as s:
        event = s.execute(
            select(AuditEvent).where(AuditEvent.action == "broadcast.confirmed")
        ).scalar_one()
    assert event.actor == "unit 29641 token #1 (Cán bộ VH)"
    assert resp.get_json()["unit"] == "29641"  # the unit comes from the token too


def test_a_token_cannot_confirm_for_another_unit(client: FlaskClient, db: Database) -> None:
    tra_on = make_token(db, "29821", "Trà Ôn")
    pub = morning_bulletin(db).id
    named = post_json(client, tra_on, publication=pub, unit="29641", reported_by="Lan")
    assert named.status_code == 403 and "29821" in named.get_json()["error"]
    implied = post_json(client, tra_on, publication=pub, reported_by="Lan")
    assert implied.status_code == 400 and "is for unit 29641, not 29821" in implied.text
    assert receipts(db) == []


@pytest.mark.parametrize("status", ["planned", "claimed", "sending", "retry_wait", "unknown"])
def test_only_a_published_bulletin_takes_a_receipt(
    client: FlaskClient, db: Database, unit_token: str, status: str
) -> None:
    pub = morning_bulletin(db)
    with db.session() as s:
        s.get_one(Publication, pub.id).status = status
    resp = post_json(client, unit_token, publication=pub.id, reported_by="Lan")
    assert resp.status_code == 400 and "not published" in resp.get_json()["error"]
    assert receipts(db) == []


@pytest.mark.parametrize(
    ("field", "length"),
    [("reported_by", 129), ("note", 1001), ("key", 129), ("unit", 17), ("aired_at", 41)],
)
def test_an_overlong_field_is_400_naming_it(
    client: FlaskClient, db: Database, unit_token: str, field: str, length: int
) -> None:
    fields: dict[str, object] = {"publication": morning_bulletin(db).id, "reported_by": "Lan"}
    fields[field] = "a" * length
    resp = post_json(client, unit_token, **fields)
    assert resp.status_code == 400 and field in resp.get_json()["error"]
    assert receipts(db) == []


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], True])
def test_a_field_that_is_not_text_or_a_number_is_400(
    client: FlaskClient, db: Database, unit_token: str, value: object
) -> None:
    resp = post_json(client, unit_token, publication=morning_bulletin(db).id, reported_by=value)
    assert resp.status_code == 400 and "reported_by" in resp.get_json()["error"]


@pytest.mark.parametrize("duration", ["nan", "inf", "86401", "-1"])
def test_a_duration_must_be_a_sane_number_of_seconds(
    client: FlaskClient, db: Database, unit_token: str, duration: str
) -> None:
    resp = post_json(
        client, unit_token, publication=morning_bulletin(db).id, reported_by="Lan",
        duration=duration,
    )  # fmt: skip
    assert resp.status_code == 400 and receipts(db) == []


def test_a_body_over_the_size_limit_is_413(
    client: FlaskClient, db: Database, unit_token: str
) -> None:
    resp = client.post(
        "/loa/receipts",
        data={"publication": str(morning_bulletin(db).id), "pad": "a" * 70_000},
        headers={"Authorization": f"Bearer {unit_token}"},
    )
    assert resp.status_code == 413 and receipts(db) == []


def test_an_api_client_may_post_a_form_body_with_a_bearer_token(
    client: FlaskClient, db: Database, unit_token: str
) -> None:
    resp = client.post(
        "/loa/receipts",
        data={"publication": str(morning_bulletin(db).id), "reported_by": "Lan"},
        headers={"Authorization": f"Bearer {unit_token}"},
    )
    assert resp.status_code == 201 and resp.get_json()["source"] == "api"


# -- the browser form ---------------------------------------------------------------------


def test_the_form_page_needs_a_live_token(client: FlaskClient, db: Database) -> None:
    assert client.get("/loa/receipts/form").status_code == 401
    assert client.get("/loa/receipts/form?token=loa_nope").status_code == 401


def test_the_form_page_offers_the_units_published_bulletins_and_is_not_cached(
    client: FlaskClient, db: Database, unit_token: str
) -> None:
    page, csrf = form_page(client, unit_token)
    assert page.status_code == 200 and csrf
    assert "no-store" in page.headers["Cache-Control"]
    html = page.data.decode()
    assert f'value="{morning_bulletin(db).id}"' in html
    assert f'value="{morning_bulletin(db, "29821").id}"' not in html  # another unit's
    assert "Xã Cái Nhum" in html


def test_a_browser_post_from_the_form_page_is_recorded_as_web(
    client: FlaskClient, db: Database, unit_token: str
) -> None:
    _, csrf = form_page(client, unit_token)
    fields = {
        "token": unit_token,
        "csrf_token": csrf,
        "publication": str(morning_bulletin(db).id),
        "reported_by": "Lan",
    }
    resp = post_form(client, fields)
    assert resp.status_code == 201, resp.text
    assert resp.get_json()["source"] == "web"


@pytest.mark.parametrize(
    ("origin", "referer"),
    [
        (None, None),
        ("https://evil.example", None),
        ("null", None),
        (None, "https://evil.example/x"),
    ],
)
def test_a_browser_post_from_another_origin_is_403(
    client: FlaskClient,
    db: Database,
    unit_token: str,
    origin: str | None,
    referer: str | None,
) -> None:
    _, csrf = form_page(client, unit_token)
    headers = {k: v for k, v in (("Origin", origin), ("Referer", referer)) if v}
    fields = {"token": unit_token, "csrf_token": csrf, "publication": "1", "reported_by": "L"}
    resp = client.post("/loa/receipts", data=fields, headers=headers)
    assert resp.status_code == 403 and receipts(db) == []


def test_a_same_origin_referer_is_enough_without_origin(
    client: FlaskClient, db: Database, unit_token: str
) -> None:
    _, csrf = form_page(client, unit_token)
    fields = {
        "token": unit_token,
        "csrf_token": csrf,
        "publication": str(morning_bulletin(db).id),
        "reported_by": "Lan",
    }
    resp = client.post("/loa/receipts", data=fields, headers={"Referer": ORIGIN + "/loa/x"})
    assert resp.status_code == 201


def test_a_browser_post_needs_the_form_pages_csrf_token(
    client: FlaskClient, db: Database, unit_token: str
) -> None:
    other = make_token(db, "29641", "máy khác")
    _, others_csrf = form_page(client, other)
    pub = str(morning_bulletin(db).id)
    for csrf in ("", "1.abc", others_csrf):
        fields = {"token": unit_token, "csrf_token": csrf, "publication": pub, "reported_by": "L"}
        assert post_form(client, fields).status_code == 403
    assert receipts(db) == []


def test_a_csrf_token_expires(
    client: FlaskClient, db: Database, unit_token: str, clock: FixedClock
) -> None:
    _, csrf = form_page(client, unit_token)
    clock.set(AFTER_MORNING + timedelta(hours=13))
    fields = {
        "token": unit_token,
        "csrf_token": csrf,
        "publication": str(morning_bulletin(db).id),
        "reported_by": "Lan",
    }
    assert post_form(client, fields).status_code == 403


def test_with_a_public_url_the_origin_must_be_that_url(
    settings: Settings, db: Database, clock: FixedClock, unit_token: str
) -> None:
    public = dataclasses.replace(settings, public_url="https://loa.vinhlong.example/bantin/")
    client = create_app(public, clock=clock, db=db).test_client()
    _, csrf = form_page(client, unit_token)
    fields = {
        "token": unit_token,
        "csrf_token": csrf,
        "publication": str(morning_bulletin(db).id),
        "reported_by": "Lan",
    }
    evil = {"Host": "evil.example", "Origin": "http://evil.example"}
    assert client.post("/loa/receipts", data=fields, headers=evil).status_code == 403
    ok = {"Origin": "https://loa.vinhlong.example"}
    assert client.post("/loa/receipts", data=fields, headers=ok).status_code == 201


@pytest.fixture(autouse=True)
def after_the_morning_bulletin(clock: FixedClock, thursday_morning_sent: None) -> None:
    clock.set(AFTER_MORNING)


def test_the_served_access_log_never_shows_the_token(
    client: FlaskClient, db: Database, unit_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import threading

    import requests

    from bantin.web.serving import make_server

    srv = make_server(client.application, "127.0.0.1", 0)  # waitress, as `bantin serve`
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="bantin.web.access"):
            url = f"http://127.0.0.1:{srv.effective_port}/loa/receipts/form?token={unit_token}"
            assert requests.get(url, timeout=10).status_code == 200
    finally:
        srv.close()
        thread.join(timeout=5)
    assert "/loa/receipts/form?token=***" in caplog.text and unit_token not in caplog.text
