"""Every route of the URL map, walked as outsiders: an editor of another agency, culture
staff of another commune, an API token of another agency (all scopes) and an anonymous
visitor. None of them may see a marker planted in BAOVL's publications and campaigns and
in the radio scripts of unit 29641, nor download BAOVL's reports, nor change anything.

Routes come from `app.url_map`, so a route added later is walked without a change here;
a route argument this file cannot fill fails the test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from bantin.core.db import Database
from bantin.core.models import Alert, BroadcastReceipt, Campaign, Publication
from tests.web.conftest import NOW
from tests.web.desk_support import add_people, api_token, form_csrf, log_in

AGENCY_MARK = "DAU-BAOVL-7Q"
UNIT_MARK = "DAU-XA-29641-7Q"
#: Loudspeaker feeds, day sheets and recordings need a feed token of their unit (none of
#: the walkers has one), and the push channels' recording URL a signature, so the unit
#: marker is checked everywhere.
ARGS = {
    "kind": None,
    "key": "29641",
    "day": "2026-12-03",
    "filename": "x.mp3",
    "year": "2026",
    "fmt": "json",
    "campaign_id": "chuyen-muc-cds",  # a BAOVL campaign (its title carries the mark)
    "unit": "29641",
    "name": "baovl-fanpage",
    "alert_id": "1",
    "token": "bantin_not-a-live-token",
}


@pytest.fixture
def marked(db: Database, thursday_morning_sent: None) -> dict[str, int]:
    add_people(db)
    with db.session() as s:
        s.execute(
            update(Publication)
            .where(Publication.agency_code == "BAOVL")
            .values(title=AGENCY_MARK, body=AGENCY_MARK)
        )
        s.execute(update(Campaign).where(Campaign.agency_code == "BAOVL").values(title=AGENCY_MARK))
        alert = Alert(at=NOW, agency_code="BAOVL", kind="broken", message=AGENCY_MARK)
        s.add(alert)
        s.flush()
        assert alert.id == int(ARGS["alert_id"] or 0)
        s.execute(
            update(Publication)
            .where(Publication.unit_code == "29641")
            .values(title=UNIT_MARK, body=UNIT_MARK)
        )
        agency_pub = s.scalars(
            select(Publication.id).where(Publication.agency_code == "BAOVL")
        ).first()
        unit_pub = s.scalars(
            select(Publication.id).where(
                Publication.unit_code == "29641", Publication.status == "published"
            )
        ).first()
    assert agency_pub and unit_pub
    return {"agency": agency_pub, "unit": unit_pub}


def _urls(app: Flask, pub_id: int) -> Iterator[tuple[str, str, str]]:
    query = f"?agency=BAOVL&unit=29641&year=2026&publication={pub_id}&by=unit"
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values: dict[str, Any] = {}
        for arg in rule.arguments:
            if arg == "kind":
                values[arg] = (
                    "don-vi"
                    if rule.rule.startswith("/loa/")
                    else "annual"
                    if "bao-cao" in rule.rule
                    else "output"
                )
            elif arg == "pub_id":
                values[arg] = pub_id
            else:
                assert arg in ARGS, f"{rule.rule}: add a sample value for <{arg}>"
                values[arg] = ARGS[arg]
        with app.test_request_context():
            from flask import url_for

            path = url_for(rule.endpoint, **values)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule.rule, method, path + query


def _walk(
    app: Flask, client: FlaskClient, ids: dict[str, int], headers: dict[str, str], csrf: str | None
) -> list[str]:
    leaks = []
    for which, pub_id in ids.items():
        for rule, method, url in _urls(app, pub_id):
            data = {"publication": str(pub_id), "csrf_token": csrf or "", "unit": "29641"}
            if method == "POST" and rule.startswith("/api/"):
                resp = client.post(url, json={"publication": pub_id}, headers=headers)
            else:
                resp = client.open(
                    url, method=method, data=data if method == "POST" else None, headers=headers
                )
            body = resp.get_data(as_text=True)
            if AGENCY_MARK in body or UNIT_MARK in body:
                leaks.append(f"{method} {url} ({which}): mark in the answer")
            if ("bao-cao" in rule or "/reports/" in rule) and resp.status_code == 200:
                leaks.append(f"{method} {url}: a report of BAOVL was served")
    return leaks


def _no_changes(db: Database) -> None:
    with db.read() as s:
        assert s.scalar(select(Alert.resolved_at)) is None
        assert s.scalar(select(func.count()).select_from(BroadcastReceipt)) == 0
        assert (
            s.scalar(
                select(func.count()).select_from(Campaign).where(Campaign.title == AGENCY_MARK)
            )
            > 0
        )


@pytest.mark.parametrize("username", ["khac.coquan", "vh.traon", None])
def test_outsiders_reach_nothing_of_baovl_or_of_another_commune(
    app: Flask, client: FlaskClient, db: Database, marked: dict[str, int], username: str | None
) -> None:
    csrf = None
    if username:
        assert log_in(client, username) == 302
        csrf = form_csrf(client, "/")
    assert _walk(app, client, marked, {}, csrf) == []
    _no_changes(db)


def test_a_token_of_another_agency_reaches_nothing_of_baovl(
    app: Flask, client: FlaskClient, db: Database, marked: dict[str, int]
) -> None:
    token = api_token(db, "SKHCN", ("read", "write", "receipts"))
    assert _walk(app, client, marked, {"Authorization": f"Bearer {token}"}, None) == []
    _no_changes(db)


def test_the_marks_are_visible_to_the_people_they_belong_to(
    client: FlaskClient, db: Database, marked: dict[str, int]
) -> None:
    """The walk can fail: the same pages do show the marks to their owners."""
    log_in(client, "bien.tap")
    assert AGENCY_MARK in client.get("/").get_data(as_text=True)
    token = api_token(db, "BAOVL")
    body = client.get(
        f"/api/v1/publications/{marked['agency']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert AGENCY_MARK in body.get_data(as_text=True)
    client.post("/dang-xuat", data={"csrf_token": form_csrf(client, "/")})
    log_in(client, "vh.cainhum")
    assert UNIT_MARK in client.get("/").get_data(as_text=True)
