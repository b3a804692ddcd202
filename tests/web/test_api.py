"""`/api/v1`: bearer tokens with scopes, paging, problem details, campaigns, receipts,
reports, and an OpenAPI document that matches the routes exactly."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bantin.core.account_models import ApiToken
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import Publication
from bantin.web.api.openapi import openapi_path
from tests.web.desk_support import api_token


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_without_a_token_the_answer_is_a_401_problem(client: FlaskClient) -> None:
    resp = client.get("/api/v1/publications")
    assert resp.status_code == 401
    assert resp.content_type == "application/problem+json"
    assert resp.json["status"] == 401 and resp.json["title"] == "Unauthorized"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_api_path_is_a_404_problem(client: FlaskClient) -> None:
    resp = client.get("/api/v1/khong-co")
    assert resp.status_code == 404 and resp.content_type == "application/problem+json"


def test_publications_are_only_the_tokens_agency_and_paged(
    client: FlaskClient, db: Database
) -> None:
    token = api_token(db, "BAOVL")
    first = client.get("/api/v1/publications?limit=3", headers=_auth(token)).json
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = client.get(
        f"/api/v1/publications?limit=3&cursor={first['next_cursor']}", headers=_auth(token)
    ).json
    assert {p["id"] for p in first["items"]}.isdisjoint(p["id"] for p in second["items"])
    assert {p["agency"] for p in first["items"] + second["items"]} == {"BAOVL"}


def test_another_agencys_publication_is_not_found(client: FlaskClient, db: Database) -> None:
    with db.read() as s:
        theirs = s.scalars(select(Publication.id).where(Publication.agency_code == "BAOVL")).first()
    resp = client.get(f"/api/v1/publications/{theirs}", headers=_auth(api_token(db, "SKHCN")))
    assert resp.status_code == 404
    assert (
        client.get(
            f"/api/v1/publications/{theirs}", headers=_auth(api_token(db, "BAOVL"))
        ).status_code
        == 200
    )


def test_a_bad_limit_names_the_field(client: FlaskClient, db: Database) -> None:
    resp = client.get("/api/v1/publications?limit=0", headers=_auth(api_token(db, "BAOVL")))
    assert resp.status_code == 400 and resp.json["field"] == "limit"


def test_last_use_is_recorded_and_a_revoked_token_stops(
    client: FlaskClient, db: Database, clock: FixedClock
) -> None:
    from bantin.accounts.api_tokens import revoke

    token = api_token(db, "BAOVL")
    client.get("/api/v1/campaigns", headers=_auth(token))
    with db.session() as s:
        row = s.scalars(select(ApiToken)).one()
        assert row.last_used_at == clock.now()
        assert row.token_hash != token and token not in row.token_hash
        revoke(s, row.id, "test", clock.now())
    assert client.get("/api/v1/campaigns", headers=_auth(token)).status_code == 401


def test_a_read_token_cannot_apply(client: FlaskClient, db: Database) -> None:
    resp = client.post(
        "/api/v1/campaigns/apply", data="id: x", headers=_auth(api_token(db, "BAOVL"))
    )
    assert resp.status_code == 403


BAD_CAMPAIGN = """id: thu-api
title: Thử API
task: "1.3"
agency: BAOVL
kind: post
period: {start: 2026-12-05, end: 2026-12-06}
schedule:
  - at: 2026-12-05T08:00
channels: [baovl-fanpage]
template: khong-co.j2
"""


def test_an_invalid_campaign_names_line_and_field(client: FlaskClient, db: Database) -> None:
    resp = client.post(
        "/api/v1/campaigns/validate", data=BAD_CAMPAIGN, headers=_auth(api_token(db, "BAOVL"))
    )
    assert resp.status_code == 422 and resp.content_type == "application/problem+json"
    errors = resp.json["errors"]
    assert any(e["field"] == "template" and e["line"] == 10 for e in errors), errors


def test_another_agencys_campaign_is_refused(client: FlaskClient, db: Database) -> None:
    text = BAD_CAMPAIGN.replace("template: khong-co.j2", "template: post/thong-bao.txt.j2")
    resp = client.post(
        "/api/v1/campaigns/validate", data=text, headers=_auth(api_token(db, "SKHCN"))
    )
    assert resp.status_code in (403, 422)
    assert resp.content_type == "application/problem+json"


def test_a_report_is_json_for_the_agency(client: FlaskClient, db: Database) -> None:
    resp = client.get("/api/v1/reports/output?year=2026", headers=_auth(api_token(db, "BAOVL")))
    assert resp.status_code == 200 and resp.is_json
    assert (
        client.get(
            "/api/v1/reports/progress?year=2026", headers=_auth(api_token(db, "BAOVL"))
        ).status_code
        == 404
    )


def test_a_receipt_token_confirms_its_agencys_bulletin(
    client: FlaskClient, db: Database, clock: FixedClock, thursday_morning_sent: None
) -> None:
    clock.advance(hours=2)
    with db.read() as s:
        pub = s.scalars(
            select(Publication.id)
            .where(
                Publication.status == "published",
                Publication.agency_code == "COMMUNES",
                Publication.unit_code == "29641",
            )
            .order_by(Publication.due_at.desc())
        ).first()
    token = api_token(db, "COMMUNES", ("receipts",))
    resp = client.post(
        "/api/v1/receipts",
        json={"publication": pub, "reported_by": "Loa ABC"},
        headers=_auth(token),
    )
    assert resp.status_code == 201, resp.json
    other = api_token(db, "BAOVL", ("receipts",))
    assert (
        client.post("/api/v1/receipts", json={"publication": pub}, headers=_auth(other)).status_code
        == 404
    )


def test_every_api_route_is_documented_and_every_documented_path_is_a_route(
    app: Flask, client: FlaskClient
) -> None:
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    routes = {
        (openapi_path(r.rule.removeprefix("/api/v1")), m.lower())
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/v1")
        for m in r.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert routes == documented
