"""The channels and alerts pages and the culture page at desktop and phone width: usable
without sideways scrolling, no script errors; screenshots for the docs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bantin.core.db import Database
from bantin.core.models import Alert

SHOTS = Path(__file__).parent / "shots"


@pytest.fixture
def an_alert(db: Database) -> None:
    with db.session() as s:
        s.add(
            Alert(
                at=datetime(2026, 12, 2, 20, tzinfo=UTC),
                agency_code="BAOVL",
                kind="channel_broken",
                message="Kênh baovl-fanpage: mã truy cập hết hạn (HTTP 401)",
                channel_name="baovl-fanpage",
            )
        )


@pytest.mark.parametrize(("user", "path"), [("duyet.bai", "/kenh"), ("duyet.bai", "/canh-bao")])
def test_channel_and_alert_pages_fit_a_phone(
    phone: Any, page: Any, login: Any, an_alert: None, user: str, path: str
) -> None:
    SHOTS.mkdir(exist_ok=True)
    for which, browser in (("phone", phone), ("desktop", page)):
        login(browser, user)
        browser.goto(path)
        assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        name = path.strip("/")
        browser.screenshot(path=str(SHOTS / f"roles-{name}-{which}.png"), full_page=True)
        assert browser.js_errors == []


def test_the_resolve_form_works_from_the_keyboard(page: Any, login: Any, an_alert: None) -> None:
    login(page, "duyet.bai")
    page.goto("/canh-bao")
    page.fill("input[name=note]", "Đã cấp lại mã")
    page.press("input[name=note]", "Enter")
    page.wait_for_load_state()
    assert "đã xử lý" in page.inner_text("main")
