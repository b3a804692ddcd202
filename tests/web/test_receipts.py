"""Broadcast receipts: the web form (`POST /loa/receipts`), the CLI (`bantin receipts`),
and the records that show them. Both entry points share `bantin.records.receipts`."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import AuditEvent, BroadcastReceipt, Campaign, Publication
from tests.conftest import Cli
from tests.web.conftest import make_token

AFTER_MORNING = datetime.fromisoformat("2026-12-03T05:40:00+07:00")


def morning_bulletin(db: Database, unit: str = "29641") -> Publication:
    """The 05:30 loa-cds bulletin of 3/12 for one unit."""
    with db.session() as s:
        return s.execute(
            select(Publication).where(
                Publication.campaign_id == "loa-cds",
                Publication.unit_code == unit,
                Publication.due_at == datetime.fromisoformat("2026-12-03T05:30:00+07:00"),
            )
        ).scalar_one()


@pytest.fixture(autouse=True)
def after_the_morning_bulletin(clock: FixedClock, thursday_morning_sent: None) -> None:
    clock.set(AFTER_MORNING)


@pytest.fixture
def client(client: FlaskClient, unit_token: str) -> FlaskClient:
    """Every request of these tests carries Cái Nhum's receipt token."""
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {unit_token}"
    return client


def confirm(client: FlaskClient, **fields: object) -> tuple[int, dict[str, object]]:
    body = {"unit": "29641", "reported_by": "Nguyễn Thị Lan", **fields}
    resp = client.post("/loa/receipts", json=body)
    return resp.status_code, resp.get_json()


def test_posting_a_receipt_creates_it(client: FlaskClient, db: Database) -> None:
    pub = morning_bulletin(db)
    status, doc = confirm(
        client, publication=pub.id, aired_at="2026-12-03T05:31", duration=62, note="phát đủ"
    )
    assert status == 201
    assert doc["publication_id"] == pub.id and doc["unit"] == "29641"
    assert doc["unit_name"] == "Xã Cái Nhum"
    assert doc["aired_at"] == "2026-12-02T22:31:00+00:00"
    assert doc["duration_seconds"] == 62.0 and doc["note"] == "phát đủ"
    with db.session() as s:
        row = s.execute(select(BroadcastReceipt)).scalar_one()
        assert (row.publication_id, row.agency_code, row.source) == (pub.id, "COMMUNES", "api")
        assert row.recorded_at == AFTER_MORNING


def test_aired_at_defaults_to_the_apps_clock(client: FlaskClient, db: Database) -> None:
    _, doc = confirm(client, publication=morning_bulletin(db).id)
    assert doc["aired_local"] == "2026-12-03T05:40:00+07:00"


def test_form_body_by_feed_entry_id_with_a_bearer_token_is_an_api_receipt(
    client: FlaskClient, db: Database
) -> None:
    pub = morning_bulletin(db)
    resp = client.post(
        "/loa/receipts",
        data={
            "key": f"urn:bantin:pub:{pub.idempotency_key}",
            "unit": "29641",
            "reported_by": "Lan",
        },
    )
    assert resp.status_code == 201
    assert resp.get_json()["source"] == "api" and resp.get_json()["key"] == pub.idempotency_key


def test_second_receipt_for_the_same_unit_is_409_with_the_first(
    client: FlaskClient, db: Database
) -> None:
    pub = morning_bulletin(db)
    assert confirm(client, publication=pub.id)[0] == 201
    status, doc = confirm(client, publication=pub.id, reported_by="Trần Văn Minh")
    assert status == 409
    assert "đã được xác nhận" in doc["loi"] and "already confirmed" in doc["error"]
    assert doc["receipt"]["reported_by"] == "Nguyễn Thị Lan"


def test_unit_not_targeted_by_the_publication_is_400_in_both_languages(
    client: FlaskClient, db: Database
) -> None:
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {make_token(db, '29821', 'Trà Ôn')}"
    status, doc = confirm(client, publication=morning_bulletin(db).id, unit="29821")
    assert status == 400
    assert doc["loi"].startswith("Bản tin") and "không dành cho Xã Trà Ôn" in doc["loi"]
    assert "is for unit 29641, not 29821" in doc["error"]


def test_publication_that_is_not_a_radio_script_is_400(client: FlaskClient, db: Database) -> None:
    with db.session() as s:
        post = s.execute(
            select(Publication.id)
            .join(Campaign, Campaign.id == Publication.campaign_id)
            .where(Campaign.kind != "radio_script")
            .limit(1)
        ).scalar_one()
    status, doc = confirm(client, publication=post)
    assert status == 400
    assert "không phải kịch bản phát thanh" in doc["loi"] and "not a radio script" in doc["error"]


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"publication": 99_999_999}, 404, "no publication"),
        ({"key": "khong-co"}, 404, "no publication"),
        ({}, 400, "exactly one of publication"),
        ({"publication": "mot"}, 400, "must be a number"),
        ({"publication": "PUB", "reported_by": ""}, 400, "reported_by is required"),
        ({"publication": "PUB", "duration": "dài"}, 400, "is not seconds"),
        ({"publication": "PUB", "aired_at": "sáng nay"}, 400, "not an ISO date-time"),
        ({"publication": "PUB", "aired_at": "2026-12-03T09:00"}, 400, "in the future"),
        ({"publication": "PUB", "unit": "00000"}, 403, "this token is for unit 29641, not 00000"),
    ],
)
def test_bad_receipts_are_refused_with_the_reason(
    client: FlaskClient, db: Database, fields: dict[str, object], status: int, says: str
) -> None:
    if fields.get("publication") == "PUB":
        fields = {**fields, "publication": morning_bulletin(db).id}
    got, doc = confirm(client, **fields)
    assert got == status and says in doc["error"]
    with db.session() as s:
        assert s.execute(select(BroadcastReceipt)).first() is None


def test_a_json_body_that_is_not_an_object_is_400(client: FlaskClient) -> None:
    resp = client.post("/loa/receipts", data="[1, 2]", content_type="application/json")
    assert resp.status_code == 400


def test_each_receipt_is_an_audit_event_and_the_chain_holds(
    client: FlaskClient, db: Database, run_cli: Cli
) -> None:
    pub = morning_bulletin(db)
    _, doc = confirm(client, publication=pub.id)
    with db.session() as s:
        event = s.execute(
            select(AuditEvent).where(AuditEvent.action == "broadcast.confirmed")
        ).scalar_one()
    assert (event.entity, event.entity_id, event.actor) == (
        "publication",
        str(pub.id),
        "unit 29641 token #1 (Cán bộ VH)",
    )
    assert event.data["reported_by"] == "Nguyễn Thị Lan"
    assert event.data["id"] == doc["id"] and event.data["unit"] == "29641"
    verified = run_cli("audit", "verify")
    assert verified.exit_code == 0, verified.output


def test_cli_add_then_list(run_cli: Cli, db: Database) -> None:
    pub = morning_bulletin(db)
    added = run_cli(
        "receipts", "add", "--publication", str(pub.id), "--unit", "29641",
        "--aired-at", "2026-12-03T05:32", "--duration", "61", "--actor", "ntlan",
        "--now", "2026-12-03T05:45",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "aired in Xã Cái Nhum (29641) at 2026-12-03T05:32:00+07:00" in added.output
    listed = run_cli("receipts", "list", "--unit", "29641", "--from", "2026-12-03", "--json")
    (row,) = json.loads(listed.output)
    assert (row["publication_id"], row["reported_by"], row["source"]) == (pub.id, "ntlan", "cli")
    assert json.loads(run_cli("receipts", "list", "--unit", "29821", "--json").output) == []


def test_cli_add_by_key_twice_fails_the_second_time(run_cli: Cli, db: Database) -> None:
    key = morning_bulletin(db).idempotency_key
    args = ("receipts", "add", "--key", key, "--unit", "29641", "--now", "2026-12-03T05:45")
    assert run_cli(*args).exit_code == 0
    again = run_cli(*args)
    assert again.exit_code == 1 and "đã được xác nhận" in again.output


def test_cli_needs_exactly_one_of_publication_and_key(run_cli: Cli) -> None:
    result = run_cli("receipts", "add", "--unit", "29641")
    assert result.exit_code == 2 and "exactly one of --publication or --key" in result.output


def test_records_json_and_table_show_receipts(run_cli: Cli, db: Database) -> None:
    pub = morning_bulletin(db)
    run_cli(
        "receipts",
        "add",
        "--publication",
        str(pub.id),
        "--unit",
        "29641",
        "--now",
        "2026-12-03T05:45",
    )
    rows = json.loads(
        run_cli("records", "--campaign", "loa-cds", "--unit", "29641", "--json").output
    )
    by_id = {r["id"]: r for r in rows}
    assert (by_id[pub.id]["receipts"], by_id[pub.id]["confirmed"]) == (1, True)
    assert all(r["receipts"] == 0 and not r["confirmed"] for i, r in by_id.items() if i != pub.id)
    header = run_cli("records", "--unit", "29641", "--limit", "1", "--csv").output.splitlines()[0]
    assert header.endswith(",attempts,receipts")


def test_serve_binds_loopback_by_default(run_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, int]] = []

    class Idle:  # a server that returns at once
        def run(self) -> None: ...
        def close(self) -> None: ...

    def fake(app: object, host: str, port: int) -> Idle:
        calls.append((host, port))
        return Idle()

    monkeypatch.setattr("bantin.web.serving.make_server", fake)
    result = run_cli("serve")
    assert result.exit_code == 0 and calls == [("127.0.0.1", 8080)]
    assert "warning" not in result.output


def test_serve_warns_when_listening_beyond_loopback(
    run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Idle:  # a server that returns at once
        def run(self) -> None: ...
        def close(self) -> None: ...

    monkeypatch.setattr("bantin.web.serving.make_server", lambda *a, **kw: Idle())
    result = run_cli("serve", "--host", "0.0.0.0", "--port", "8081")
    assert "without authentication" in result.output


def test_a_bulletin_due_days_later_cannot_be_confirmed_yet(
    client: FlaskClient, db: Database
) -> None:
    with db.session() as s:
        later = s.execute(
            select(Publication)
            .where(
                Publication.campaign_id == "loa-cds",
                Publication.unit_code == "29641",
                Publication.due_at > datetime.fromisoformat("2026-12-03T12:00:00+07:00"),
            )
            .order_by(Publication.due_at.desc())
            .limit(1)
        ).scalar_one()
    assert later.due_at > datetime.fromisoformat("2026-12-04T06:31:00+07:00")
    with db.session() as s:  # even once published, a receipt must match its slot
        s.get_one(Publication, later.id).status = "published"
    status, doc = confirm(client, publication=later.id, aired_at="2026-12-03T05:31")
    assert status == 400 and "outside the publication's slot" in json.dumps(doc)


def test_a_failed_bulletin_cannot_be_confirmed(client: FlaskClient, db: Database) -> None:
    pub = morning_bulletin(db)
    with db.session() as s:
        s.get_one(Publication, pub.id).status = "failed"
    status, doc = confirm(client, publication=pub.id, aired_at="2026-12-03T05:31")
    assert status == 400 and "cannot have been aired" in json.dumps(doc)


def test_receipt_list_csv_neutralises_formula_cells(run_cli: Cli, db: Database) -> None:
    pub = morning_bulletin(db)
    added = run_cli(
        "receipts", "add", "--publication", str(pub.id), "--unit", "29641",
        "--note", '=HYPERLINK("http://evil.example/","bấm")', "--actor", "@SUM(A1)",
        "--now", "2026-12-03T05:45",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    out = run_cli("receipts", "list", "--unit", "29641", "--csv").output
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert row["note"] == '\'=HYPERLINK("http://evil.example/","bấm")'
    assert row["reported_by"] == "'@SUM(A1)"


def test_cli_token_create_shows_the_token_once_and_stores_only_its_hash(
    run_cli: Cli, db: Database, home: Path
) -> None:
    made = run_cli("receipts", "token", "create", "--unit", "29641", "--label", "Cán bộ VH")
    assert made.exit_code == 0, made.output
    token = next(line for line in made.output.splitlines() if line.startswith("loa_"))
    assert "/loa/receipts/form?token=" + token in made.output
    listed = run_cli("receipts", "token", "list", "--json").output
    assert token not in listed and hashlib.sha256(token.encode()).hexdigest() not in listed
    rows = json.loads(listed)
    assert [(r["id"], r["unit"], r["label"]) for r in rows][-1][1:] == ("29641", "Cán bộ VH")
    db.dispose()
    with sqlite3.connect(home / "bantin.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert token.encode() not in (home / "bantin.db").read_bytes()


def test_cli_token_revoke_stops_web_receipts_and_is_audited(
    run_cli: Cli, db: Database, client: FlaskClient, unit_token: str
) -> None:
    revoked = run_cli("receipts", "token", "revoke", "1", "--actor", "dic-admin")
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert confirm(client, publication=morning_bulletin(db).id)[0] == 401
    assert run_cli("receipts", "token", "revoke", "1").exit_code == 1  # already revoked
    assert json.loads(run_cli("receipts", "token", "list", "--json").output) == []
    (row,) = json.loads(run_cli("receipts", "token", "list", "--all", "--json").output)
    assert row["revoked_local"] and row["revoked_by"] == "dic-admin"
    with db.session() as s:
        actions = s.execute(
            select(AuditEvent.action, AuditEvent.actor).where(AuditEvent.entity == "receipt_token")
        ).all()
    assert ("receipt_token.revoked", "dic-admin") in actions


def test_cli_token_create_for_an_unknown_unit_is_a_clear_error(run_cli: Cli) -> None:
    result = run_cli("receipts", "token", "create", "--unit", "00000")
    assert result.exit_code == 1 and "no unit with code 00000" in result.output


def test_serve_warns_about_a_missing_public_url_beyond_loopback(
    run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Idle:  # a server that returns at once
        def run(self) -> None: ...
        def close(self) -> None: ...

    monkeypatch.setattr("bantin.web.serving.make_server", lambda *a, **kw: Idle())
    assert "BANTIN_PUBLIC_URL is not set" in run_cli("serve", "--host", "0.0.0.0").output
    monkeypatch.setenv("BANTIN_PUBLIC_URL", "https://loa.vinhlong.example")
    assert "BANTIN_PUBLIC_URL" not in run_cli("serve", "--host", "0.0.0.0").output


def test_serve_keeps_receipt_tokens_out_of_the_access_log() -> None:
    from bantin.web.serving import redact

    line = "GET /loa/receipts/form?token=loa_SECRET&x=1 HTTP/1.1"
    assert redact(line) == "GET /loa/receipts/form?token=***&x=1 HTTP/1.1"
    assert redact("GET /loa/receipts/form?a=1&token=loa_S HTTP/1.1").count("loa_S") == 0
