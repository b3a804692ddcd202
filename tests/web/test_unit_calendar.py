"""A commune's calendar as iCalendar (issue 10: "per agency or unit, behind a token"):
`/loa/<don-vi|nhom>/<key>/lich.ics?token=` opens with the unit's (or group's) read token,
shows only that audience's slots, and is 404 for any other token."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar

from tests.web.conftest import GROUP_READ, UNIT_READ


@pytest.fixture(autouse=True)
def _readers(feed_readers: None) -> None:
    """Live read tokens of unit 29641 and group thi-diem."""


def _events(client: FlaskClient, url: str) -> list[str]:
    resp = client.get(url)
    assert resp.status_code == 200, resp.status
    assert resp.mimetype == "text/calendar"
    cal = Calendar.from_ical(resp.data)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    return [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]


def test_a_unit_token_opens_its_commune_calendar_of_one_unit_slots(client: FlaskClient) -> None:
    summaries = _events(client, f"/loa/don-vi/29641/lich.ics?token={UNIT_READ}")
    assert summaries and all("124 đơn vị" not in s for s in summaries)


def test_a_group_token_opens_the_group_calendar(client: FlaskClient) -> None:
    summaries = _events(client, f"/loa/nhom/thi-diem/lich.ics?token={GROUP_READ}")
    assert any("5 đơn vị" in s for s in summaries)  # the five pilot communes together


@pytest.mark.parametrize(
    "url",
    [
        "/loa/don-vi/29641/lich.ics",
        "/loa/don-vi/29641/lich.ics?token=doc_not-a-token",
        f"/loa/don-vi/29821/lich.ics?token={UNIT_READ}",  # another commune's calendar
    ],
)
def test_without_the_audience_token_the_calendar_is_not_found(
    client: FlaskClient, url: str
) -> None:
    assert client.get(url).status_code == 404
