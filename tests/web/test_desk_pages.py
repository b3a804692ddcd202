"""The role home pages: what each role lands on, and the auditor's report downloads."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from bantin.core.db import Database
from tests.web.desk_support import add_people, log_in


@pytest.fixture(autouse=True)
def people(db: Database) -> None:
    add_people(db)


def test_the_auditor_lands_on_the_dashboard_with_report_links(client: FlaskClient) -> None:
    log_in(client, "kiem.tra")
    page = client.get("/").data.decode()
    assert "Bảng theo dõi" in page
    assert 'href="/bao-cao/progress-2026.pdf"' in page
    assert 'href="/bao-cao/annual-2026.xlsx?agency=BAOVL"' in page


def test_the_auditor_downloads_a_report(client: FlaskClient) -> None:
    log_in(client, "kiem.tra")
    resp = client.get("/bao-cao/annual-2026.csv?agency=BAOVL")
    assert resp.status_code == 200 and resp.content_type.startswith("text/csv")
    assert "attachment" in resp.headers["Content-Disposition"]


def test_an_editor_downloads_only_their_agencys_reports(client: FlaskClient) -> None:
    log_in(client, "bien.tap")
    assert client.get("/bao-cao/annual-2026.json?agency=BAOVL").status_code == 200
    assert client.get("/bao-cao/annual-2026.json?agency=SKHCN").status_code == 404
    assert client.get("/bao-cao/progress-2026.json").status_code == 404


def test_pages_of_a_logged_in_user_are_not_cached(client: FlaskClient) -> None:
    log_in(client, "bien.tap")
    resp = client.get("/")
    assert "no-store" in resp.headers["Cache-Control"]
    assert 'name="viewport" content="width=device-width' in resp.data.decode()


def test_culture_staff_cannot_post_for_another_commune(client: FlaskClient, db: Database) -> None:
    from sqlalchemy import select

    from bantin.core.models import Publication
    from tests.web.desk_support import form_csrf

    with db.read() as s:
        theirs = s.scalars(select(Publication.id).where(Publication.unit_code == "29641")).first()
    log_in(client, "vh.traon")
    token = form_csrf(client, "/")
    assert (
        client.post("/xac-nhan", data={"publication": theirs, "csrf_token": token}).status_code
        == 404
    )


def test_a_typed_name_is_escaped_on_the_page(client: FlaskClient, db: Database) -> None:
    from bantin.accounts.users import NewUser, add_user
    from tests.web.conftest import APPLIED_AT
    from tests.web.desk_support import PASSWORD

    with db.session() as s:
        add_user(
            s,
            NewUser("xss.name", '<script>alert(1)</script>" onx="', "editor", agency="BAOVL"),
            PASSWORD,
            "t",
            APPLIED_AT,
        )
    log_in(client, "xss.name")
    page = client.get("/").data.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
