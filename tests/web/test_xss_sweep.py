"""Every GET route of the URL map, as the admin, the auditor, an editor and culture
staff, over a database whose every user-controlled field holds script and attribute
payloads (tests/web/xss_support.py): no answer may carry one a browser would run.

Routes come from `app.url_map` with the sample values of test_scope_walk, so a page
added later is swept without a change here."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bantin.core.db import Database
from bantin.web.report_docs import KINDS
from tests.web.conftest import GROUP_READ, UNIT_READ, make_token
from tests.web.desk_support import log_in
from tests.web.test_scope_walk import _urls
from tests.web.xss_support import P, plant, problems

EXTRA = [
    "/lich?view=agenda&day=2026-12-03",
    "/lich?view=week&day=2026-12-03",
    "/lich?view=agenda&day=2026-12-02",
    "/?ngay=2026-12-03",
    "/duyet",
    "/kenh",
    "/canh-bao",
    "/chien-dich",
    "/van-hoa/to-in/29641/2026-12-03",
    *(f"/bao-cao/{kind}-2026.html{q}" for kind in KINDS for q in ("", "?agency=BAOVL")),
    f"/loa/don-vi/29641/feed.atom?token={UNIT_READ}&days=3",
    f"/loa/don-vi/29641/2026-12-03.html?token={UNIT_READ}",
    f"/loa/nhom/thi-diem/feed.atom?token={GROUP_READ}",
]


@pytest.fixture
def planted(db: Database, thursday_morning_sent: None, feed_readers: None) -> dict[str, int]:
    return plant(db)


def _gets(app: Flask, ids: dict[str, int], receipt_token: str) -> list[str]:
    urls = [*EXTRA, f"/loa/receipts/form?token={receipt_token}"]
    for pub_id in ids.values():
        urls += [url for _, method, url in _urls(app, pub_id) if method == "GET"]
        urls.append(f"/duyet/{pub_id}/sua")
    return list(dict.fromkeys(urls))


@pytest.mark.parametrize("username", ["quan.tri", "kiem.tra", "bien.tap", "vh.cainhum"])
def test_no_page_runs_a_planted_payload(
    app: Flask, client: FlaskClient, db: Database, planted: dict[str, int], username: str
) -> None:
    assert log_in(client, username) == 302
    found, shown = [], 0
    for url in _gets(app, planted, make_token(db, label=P)):
        resp = client.get(url)
        body = resp.get_data(as_text=True)
        shown += "X&lt;script&gt;" in body  # the payload is there, escaped
        found += [f"{url}: {p}" for p in problems(body, resp.content_type or "")]
    assert found == []
    assert shown >= 3, "the sweep must see the planted text somewhere"


def test_the_check_catches_an_unescaped_payload() -> None:
    """The checker can fail: raw payloads in an HTML answer are found."""
    assert problems(f"<p>{P}</p>", "text/html")
    assert problems('<a href=" javascript:alert(1)">x</a>', "text/html; charset=utf-8")
    assert not problems("<p>X&lt;script&gt;</p>", "text/html")
