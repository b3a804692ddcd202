"""The calendar in Chromium: an editor filters by channel, follows an entry to the
publication page and sees its preview and delivery attempts; on a 390 px phone the
calendar page does not scroll sideways.

Set BANTIN_DOC_SHOTS=<folder> to also save the screenshots used in docs/web.md."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bantin.core.db import Database
from bantin.core.models import DeliveryAttempt, Publication

SHOTS = os.environ.get("BANTIN_DOC_SHOTS")
ERROR = "HTTP 503 từ máy chủ đăng bài (đã ẩn khóa)"


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"cal-{name}.png"), full_page=True)


@pytest.fixture
def failed_post(db: Database) -> int:
    """The fanpage post of 08:00 on 2/12 failed once with a (scrubbed) error."""
    with db.session() as s:
        pub_id = s.scalars(
            select(Publication.id)
            .where(Publication.channel_name == "baovl-fanpage")
            .order_by(Publication.due_at)
        ).first()
        assert pub_id is not None
        at = datetime(2026, 12, 2, 1, 0, 3, tzinfo=UTC)
        s.execute(
            update(Publication)
            .where(Publication.id == pub_id)
            .values(status="failed", status_reason=ERROR, attempts=1)
        )
        s.add(
            DeliveryAttempt(
                publication_id=pub_id,
                number=1,
                runner="test",
                started_at=at,
                ended_at=at,
                outcome="failed",
                http_status=503,
                error=ERROR,
            )
        )
    return pub_id


def test_editor_filters_follows_an_entry_and_sees_preview_and_attempts(
    page: Any, login: Any, failed_post: int
) -> None:
    login(page, "bien.tap")
    page.goto("/lich?day=2026-12-03")
    _shot(page, "month")
    page.select_option("#f-channel", "baovl-fanpage")  # calendar.js submits on change
    page.wait_for_url(lambda url: "channel=baovl-fanpage" in url)
    assert "Chuyên mục Chuyển đổi số" not in page.inner_text("table.month")
    entry = page.locator("a.ev.st-failed").first
    assert "thất bại" in entry.inner_text() or entry.get_attribute("title")
    entry.click()
    page.wait_for_url(lambda url: f"/bai/{failed_post}" in url)
    main = page.inner_text("main")
    assert "Nội dung sẽ đăng" in main and "thất bại" in main
    assert ERROR in page.inner_text("table:below(h2:has-text('Các lần gửi'))")
    _shot(page, "publication")
    assert page.js_errors == []


def test_phone_calendar_has_no_sideways_scroll(phone: Any, login: Any) -> None:
    login(phone, "kiem.tra")
    for url in (
        "/lich?day=2026-12-03",
        "/lich?view=week&day=2026-12-03",
        "/lich?view=agenda&day=2026-12-03",
    ):
        phone.goto(url)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (url, width)
    phone.goto("/lich?day=2026-12-03")
    _shot(phone, "month-phone")
    assert phone.js_errors == []


def test_phone_publication_page_has_no_sideways_scroll(
    phone: Any, login: Any, failed_post: int
) -> None:
    login(phone, "bien.tap")
    phone.goto(f"/bai/{failed_post}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(phone, "publication-phone")


def test_arrow_keys_page_through_months(page: Any, login: Any) -> None:
    login(page, "bien.tap")
    page.goto("/lich?day=2026-12-03")
    page.keyboard.press("ArrowRight")
    page.wait_for_url(lambda url: "day=2027-01-01" in url)
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(lambda url: "day=2026-12-01" in url)
    assert page.js_errors == []


def test_filter_form_works_without_javascript(chromium: Any, desk_url: str, login: Any) -> None:
    ctx = chromium.new_context(base_url=desk_url, java_script_enabled=False)
    page = ctx.new_page()
    try:
        login(page, "bien.tap")
        page.goto("/lich?day=2026-12-03")
        page.select_option("#f-channel", "baovl-portal")
        page.click("form.cal-filter button[type=submit]")
        page.wait_for_url(lambda url: "channel=baovl-portal" in url)
        assert "mạng xã hội" not in page.inner_text("table.month")
    finally:
        ctx.close()


def test_culture_staff_open_a_script_from_the_calendar_and_see_its_reading(
    page: Any, login: Any
) -> None:
    login(page, "vh.cainhum")
    page.goto("/lich?view=agenda&day=2026-12-02")
    page.locator("table a[href^='/bai/']").first.click()
    page.wait_for_url(lambda url: "/bai/" in url)
    main = page.inner_text("main")
    assert "Bản đọc" in main and "Khung giờ phát" in main and "Xã Cái Nhum" in main
    _shot(page, "radio")
    assert page.js_errors == []
