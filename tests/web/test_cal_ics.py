"""The calendar feed /lich/<token>.ics: only live calendar tokens open it, it parses back
with `icalendar`, groups like the month view, and carries a VTIMEZONE and stable UIDs."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from icalendar import Calendar

from bantin.accounts import api_tokens
from bantin.accounts.api_tokens import ApiTokenError
from bantin.core.db import Database
from tests.web.conftest import APPLIED_AT
from tests.web.desk_support import add_people, api_token, form_csrf, log_in


def _feed(client: FlaskClient, token: str, query: str = "") -> Calendar:
    resp = client.get(f"/lich/{token}.ics{query}")
    assert resp.status_code == 200
    assert resp.mimetype == "text/calendar"
    return Calendar.from_ical(resp.data)


def _events(cal: Calendar) -> list:  # type: ignore[type-arg]
    return [c for c in cal.walk("VEVENT")]


def test_feed_parses_with_timezone_and_grouped_events(client: FlaskClient, db: Database) -> None:
    token = api_token(db, "COMMUNES", ("calendar",))
    cal = _feed(client, token)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    events = _events(cal)
    # 124 communes × 2 bulletins a day are one event per slot, not one per commune.
    assert 0 < len(events) < 40
    morning = next(e for e in events if "124 đơn vị" in str(e["SUMMARY"]))
    start = morning.decoded("DTSTART")
    assert isinstance(start, datetime) and str(start.tzinfo) == "Asia/Ho_Chi_Minh"
    assert morning["DTSTART"].params["TZID"] == "Asia/Ho_Chi_Minh"
    assert "DTSTAMP" in morning
    assert any("124 đã đăng" in str(e["DESCRIPTION"]) for e in events)  # 05:30 on 2/12


def test_uids_are_stable_between_fetches(client: FlaskClient, db: Database) -> None:
    token = api_token(db, "COMMUNES", ("calendar",))
    first = sorted(str(e["UID"]) for e in _events(_feed(client, token)))
    again = sorted(str(e["UID"]) for e in _events(_feed(client, token)))
    assert first == again and len(set(first)) == len(first)


def test_unit_and_channel_filters(client: FlaskClient, db: Database) -> None:
    token = api_token(db, "COMMUNES", ("calendar",))
    events = _events(_feed(client, token, "?unit=29641"))
    assert events and all("đơn vị" not in str(e["SUMMARY"]) for e in events)
    assert _events(_feed(client, token, "?channel=baovl-fanpage")) == []


def test_feed_shows_only_the_tokens_agency(client: FlaskClient, db: Database) -> None:
    token = api_token(db, "BAOVL", ("calendar",))
    text = client.get(f"/lich/{token}.ics").get_data(as_text=True)
    assert "mạng xã hội" in text.replace("\r\n ", "")
    assert "Bản tin Chuyển đổi số trên hệ thống" not in text.replace("\r\n ", "")


def test_long_lines_are_folded_and_commas_escaped(client: FlaskClient, db: Database) -> None:
    token = api_token(db, "COMMUNES", ("calendar",))
    raw = client.get(f"/lich/{token}.ics").data
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert b"\r\n " in raw  # some line was long enough to fold


@pytest.mark.parametrize("scopes", [("read",), ("read", "write", "receipts")])
def test_other_tokens_get_404(client: FlaskClient, db: Database, scopes: tuple[str, ...]) -> None:
    token = api_token(db, "COMMUNES", scopes)
    assert client.get(f"/lich/{token}.ics").status_code == 404


def test_revoked_and_unknown_tokens_get_404(client: FlaskClient, db: Database) -> None:
    token = api_token(db, "COMMUNES", ("calendar",))
    with db.session() as s:
        row = s.scalar(
            api_tokens.select(api_tokens.ApiToken).where(
                api_tokens.ApiToken.token_hash == api_tokens.token_hash(token)
            )
        )
        assert row is not None
        api_tokens.revoke(s, row.id, "test", APPLIED_AT)
    assert client.get(f"/lich/{token}.ics").status_code == 404
    assert client.get("/lich/bantin_nothing.ics").status_code == 404


def test_a_calendar_token_opens_no_api_route(client: FlaskClient, db: Database) -> None:
    token = api_token(db, "COMMUNES", ("calendar",))
    resp = client.get("/api/v1/publications", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code in (401, 403, 404)


def test_calendar_scope_cannot_be_mixed(db: Database) -> None:
    with db.session() as s, pytest.raises(ApiTokenError, match="calendar"):
        api_tokens.create(s, "BAOVL", "x", ["calendar", "read"], "test", APPLIED_AT)


def test_cli_creates_a_calendar_token(home: object, db: Database) -> None:
    from bantin.cli import cli

    out = CliRunner().invoke(
        cli, ["token", "create", "--agency", "BAOVL", "--label", "Lịch", "--scope", "calendar"]
    )
    assert out.exit_code == 0, out.output
    assert "(calendar)" in out.output and "/lich/bantin_" in out.output


def test_editor_creates_a_subscription_shown_once(client: FlaskClient, db: Database) -> None:
    add_people(db)
    log_in(client, "bien.tap")
    csrf = form_csrf(client, "/lich")
    html = client.post("/lich/dang-ky", data={"csrf_token": csrf}).get_data(as_text=True)
    url = re.search(r"http://[^\"<]+/lich/(bantin_[A-Za-z0-9_-]+)\.ics", html)
    assert url, html[-800:]
    assert client.get(f"/lich/{url.group(1)}.ics").status_code == 200
    assert url.group(1) not in client.get("/lich").get_data(as_text=True)


def test_subscription_needs_csrf_and_an_agency_role(client: FlaskClient, db: Database) -> None:
    add_people(db)
    log_in(client, "bien.tap")
    assert client.post("/lich/dang-ky", data={}).status_code == 400
    client.post("/dang-xuat", data={"csrf_token": form_csrf(client, "/")})
    log_in(client, "kiem.tra")
    csrf = form_csrf(client, "/")
    assert client.post("/lich/dang-ky", data={"csrf_token": csrf}).status_code == 404


def test_titles_with_commas_semicolons_and_newlines_parse_back(
    client: FlaskClient, db: Database
) -> None:
    from sqlalchemy import update

    from bantin.core.models import Campaign

    title = "Bản tin, sáng; số 1\n<b>Dòng 2</b>"
    with db.session() as s:
        s.execute(update(Campaign).where(Campaign.id == "loa-cds").values(title=title))
    token = api_token(db, "COMMUNES", ("calendar",))
    summaries = {str(e["SUMMARY"]) for e in _events(_feed(client, token))}
    assert f"{title} · 124 đơn vị" in summaries
