"""Screenshots of the composer, campaign and approval pages at desktop and phone width
(tests/web/browser/shots/, not committed; the chosen ones are in docs/img/desk/). Each
page is also checked for horizontal scrolling at 390 px: wide parts scroll in their box."""

from __future__ import annotations

from typing import Any

import pytest

from bantin.core.db import Database
from tests.web.browser.conftest import SHOTS
from tests.web.compose_support import pending_article

BAD_YAML = "id: thu-nghiem\ntitle: Thử\ntask: '1.1'\nagency: BAOVL\nschedule:\n  - cron: mỗi ngày\n"


def _compose(page: Any) -> None:
    page.goto("/soan-bai")
    page.fill("#title", "Hội nghị chuyển đổi số tỉnh Vĩnh Long")
    page.check("input[name=channels][value=baovl-fanpage]")
    page.check("input[name=channels][value=baovl-portal]")
    page.fill("#when", "03/12/2026 09:30")
    page.fill("#text", "Sáng nay khai mạc hội nghị chuyển đổi số.\n\nMời bà con theo dõi.")
    page.locator("#previews .pv[data-channel=baovl-portal]").wait_for()


def _upload_errors(page: Any) -> None:
    page.goto("/chien-dich/tai-len")
    page.fill("#yaml", BAD_YAML)
    page.click("main form button[type=submit]")
    page.locator(".issues").wait_for()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_screens(width: str, page: Any, phone: Any, login: Any, db: Database) -> None:
    tab = page if width == "desktop" else phone
    pending_article(db)
    login(tab, "duyet.bai")
    SHOTS.mkdir(exist_ok=True)
    steps = {
        "compose": _compose,
        "campaigns": lambda p: p.goto("/chien-dich"),
        "campaign": lambda p: p.goto("/chien-dich/chuyen-muc-cds"),
        "upload-errors": _upload_errors,
        "approval": lambda p: p.goto("/duyet"),
    }
    for name, go in steps.items():
        go(tab)
        tab.screenshot(path=str(SHOTS / f"compose-{name}-{width}.png"), full_page=True)
        scroll = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert scroll <= 0, f"{name} scrolls sideways at {width} width"
    # the refused upload answers 422 on purpose; the console names it, nothing else may err
    assert [e for e in tab.js_errors if "status of 422" not in e] == []
