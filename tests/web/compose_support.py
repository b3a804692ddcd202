"""Shared bits of the composer, campaign and approval page tests: payloads, the pending
article of the prepared database, and a logged-in client with the page's CSRF token."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from bantin.campaigns.approval import prepare_reviews
from bantin.core.db import Database
from bantin.core.models import Publication
from tests.web.conftest import NOW
from tests.web.desk_support import add_people, form_csrf, log_in

PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
DUE_THURSDAY = "03/12/2026 09:30"  # after NOW (04:00 Thursday 3/12)


def escaped(body: str) -> bool:
    """None of the payloads appears unescaped in `body`."""
    return all(p not in body for p in PAYLOADS) and "<img src=x" not in body


def pending_article(db: Database) -> int:
    """The Thursday 07:00 column of chuyen-muc-cds (BAOVL), rendered for review."""
    assert prepare_reviews(db, NOW, timedelta(hours=24)) >= 1
    with db.read() as s:
        pub_id = s.scalar(
            select(Publication.id).where(
                Publication.status == "pending_approval",
                Publication.campaign_id == "chuyen-muc-cds",
            )
        )
    assert pub_id is not None
    return pub_id


def signed_in(client: FlaskClient, db: Database, username: str, page: str = "/") -> str:
    """Log `username` in; returns a CSRF token for the session's forms."""
    add_people(db)
    assert log_in(client, username) == 302
    return form_csrf(client, page)
