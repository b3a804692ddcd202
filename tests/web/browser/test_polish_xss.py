"""The planted payloads (tests/web/xss_support.py) in a real Chromium: the main pages of
the admin, an editor and culture staff raise no script error and open no dialog."""

from __future__ import annotations

from typing import Any

import pytest

from bantin.core.db import Database
from tests.web.xss_support import plant

PAGES = [
    "/",
    "/lich",
    "/lich?view=week&day=2026-12-03",
    "/lich?view=agenda&day=2026-12-03",
    "/bai/{failed}",
    "/bai/{rejected}",
    "/bai/{aired}",
    "/soan-bai",
    "/chien-dich",
    "/chien-dich/chuyen-muc-cds",
    "/duyet",
    "/duyet/{pending}/sua",
    "/kenh",
    "/canh-bao",
    "/van-hoa/to-in/29641/2026-12-03",
]


@pytest.mark.parametrize("username", ["quan.tri", "bien.tap", "vh.cainhum"])
def test_payloads_run_nowhere_in_the_browser(
    page: Any, login: Any, db: Database, username: str
) -> None:
    ids = plant(db, people=False)  # desk_url added the accounts
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    login(page, username)
    seen = 0
    for path in PAGES:
        url = path.format(**ids)
        if page.request.get(url).status != 200:
            continue  # not this role's page
        page.goto(url)
        page.wait_for_load_state("load")
        seen += 1
        assert page.locator("img[src=x]").count() == 0, url
    assert seen >= 5
    assert dialogs == []
    assert missing == []
    assert page.js_errors == []
