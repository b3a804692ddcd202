"""What anyone on the network can read without logging in: `/healthz`, `/metrics`, the
OpenAPI document, the login and receipt-form pages, error pages. None of them may show
agency data: a broken channel's reason or address, an alert's text, a title, a name."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from bantin.core.db import Database
from bantin.core.models import Alert, Campaign, Channel, Publication
from tests.web.conftest import NOW
from tests.web.desk_support import add_people

MARK = "RO-RI-9Z"
ANONYMOUS = [
    "/healthz",
    "/metrics",
    "/api/v1/openapi.json",
    "/api/v1/schedule",
    "/dang-nhap",
    "/loa/receipts/form",
    "/loa/am-thanh/x.mp3",
    "/khong-co-trang-nay",
    "/dang-xuat",  # GET on a POST route: 405
    "/bai/1",
    "/kenh",
]


@pytest.fixture
def planted(db: Database) -> None:
    add_people(db)
    with db.session() as s:
        s.execute(
            update(Channel)
            .where(Channel.name == "loa-xa")
            .values(status="broken", status_reason=f"page {MARK}: token expired")
        )
        s.execute(update(Publication).values(title=MARK, body=MARK))
        s.execute(update(Campaign).values(title=MARK))
        s.add(Alert(at=NOW, agency_code="BAOVL", kind="broken", message=MARK))


@pytest.mark.parametrize("url", ANONYMOUS)
def test_an_anonymous_route_shows_no_agency_data(
    client: FlaskClient, planted: None, url: str
) -> None:
    resp = client.get(url)
    assert resp.status_code != 500  # /healthz may be 503: no runner in the test
    assert MARK not in resp.get_data(as_text=True)
