"""The composer and the approval queue in a real Chromium: an editor composes a post for
two channels, watches both previews follow their typing (the page's script), schedules
it and finds it on their campaign list, home page and that day's calendar; an approver
edits and approves a pending article, and after the dispatcher's pass at its due time the
outbox channel holds the edited text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bantin.config import Settings
from bantin.core.db import Database
from tests.web.compose_support import pending_article
from tests.web.conftest import dispatch_at

ARTICLE_DUE = datetime(2026, 12, 3, 0, 0, 5, tzinfo=UTC)  # just after Thursday 07:00
EDITED = "Bài chuyên mục đã được người duyệt sửa lại trước khi đăng."


def test_editor_composes_for_two_channels_with_live_previews(page: Any, login: Any) -> None:
    login(page, "bien.tap")
    page.goto("/soan-bai")
    page.fill("#title", "Hội nghị chuyển đổi số tỉnh")
    page.check("input[name=channels][value=baovl-fanpage]")
    page.check("input[name=channels][value=baovl-portal]")
    page.fill("#when", "03/12/2026 09:30")
    page.fill("#text", "Sáng nay khai mạc hội nghị.")
    fanpage = page.locator("#previews .pv[data-channel=baovl-fanpage] pre")
    portal = page.locator("#previews .pv[data-channel=baovl-portal] pre")
    fanpage.filter(has_text="khai mạc hội nghị").wait_for()
    portal.filter(has_text="khai mạc hội nghị").wait_for()
    page.fill("#text", "Sáng nay khai mạc hội nghị. Mời bà con theo dõi trực tiếp.")
    fanpage.filter(has_text="theo dõi trực tiếp").wait_for()  # updated as they type
    portal.filter(has_text="theo dõi trực tiếp").wait_for()
    page.click("button[value=save]")
    page.wait_for_url("**/chien-dich/bai-20261203-0930-**")
    campaign_id = page.url.rsplit("/", 1)[1]
    assert "Đã lên lịch" in page.inner_text("main")
    page.goto("/chien-dich")
    assert "Hội nghị chuyển đổi số tỉnh" in page.inner_text("main")
    page.goto("/")  # the home page lists upcoming publications by campaign
    assert page.locator("main td", has_text=campaign_id).count() == 2
    page.goto("/lich?view=agenda&day=2026-12-03")  # the flow ends on that day's calendar
    entries = page.locator("main a", has_text="Hội nghị chuyển đổi số tỉnh")
    assert entries.count() >= 1
    assert "09:30" in page.inner_text("main")
    entries.first.click()  # and the entry opens the post's own page
    page.wait_for_url("**/bai/*")
    assert "Hội nghị chuyển đổi số tỉnh" in page.inner_text("main h1")
    assert page.js_errors == []


def test_approver_edits_and_the_outbox_receives_the_edited_text(
    page: Any, login: Any, db: Database, settings: Settings, home: Path
) -> None:
    pub_id = pending_article(db)
    login(page, "duyet.bai")
    page.goto("/duyet")
    page.click(f"#pub-{pub_id} a.button")
    page.fill("#body", EDITED)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/duyet")
    assert f"#{pub_id}" in page.inner_text("main")
    assert page.js_errors == []
    assert dispatch_at(db, settings, ARTICLE_DUE) >= 1
    portal = [p for p in (home / "outbox" / "baovl-portal").rglob("*") if p.is_file()]
    texts = [p.read_text(encoding="utf-8") for p in portal]
    assert any(EDITED in text for text in texts), texts
    assert not any("Chính quyền số đến gần người dân" in text for text in texts)
