"""Culture staff on a phone (390×844) open today's scripts, confirm one as aired, and the
receipt is in the records with their full name; the page never scrolls sideways."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bantin.config import Settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.records.receipts import list_receipts

AFTER_MORNING = datetime(2026, 12, 2, 22, 40, tzinfo=UTC)  # 05:40 on Thursday 3/12
SHOTS = Path(__file__).parent / "shots"


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_culture_staff_confirm_a_script_on_a_phone(
    phone: Any,
    login: Any,
    clock: FixedClock,
    thursday_morning_sent: None,
    db: Database,
    settings: Settings,
) -> None:
    clock.set(AFTER_MORNING)
    login(phone, "vh.cainhum")
    assert "Thứ Năm, 03/12/2026" in phone.inner_text("h1")
    body = phone.locator(".culture-script pre").first
    assert float(body.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 20
    _no_sideways_scroll(phone)
    SHOTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(SHOTS / "roles-culture-phone.png"))
    phone.get_by_role("button", name="Đã phát lúc 05:40").first.click()
    phone.wait_for_load_state()
    done = phone.locator(".culture-done").first
    assert "Đã xác nhận lúc 05:40 bởi Phạm Văn Hóa" in done.inner_text()
    _no_sideways_scroll(phone)
    done.scroll_into_view_if_needed()
    phone.screenshot(path=str(SHOTS / "roles-culture-confirmed-phone.png"))
    with db.read() as s:
        receipts = list_receipts(s, settings.timezone, unit="29641")
    assert [r["reported_by"] for r in receipts] == ["Phạm Văn Hóa"]
    assert phone.js_errors == []
