"""The auditor opens the dashboard and downloads the annual PDF; it is a PDF with
Vietnamese text."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from pypdf import PdfReader

SHOTS = Path(__file__).parent / "shots"


def test_auditor_opens_the_dashboard_and_downloads_the_annual_pdf(page: Any, login: Any) -> None:
    login(page, "kiem.tra")
    assert "Mức phủ sóng theo xã, phường" in page.inner_text("main")
    assert page.locator("svg.chart").count() > 0
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "roles-dashboard-desktop.png"))
    page.locator("table.dash-heat").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "roles-dashboard-heat-desktop.png"))
    page.locator("svg.chart").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "roles-dashboard-charts-desktop.png"))
    with page.expect_download() as info:
        page.click('a[href="/bao-cao/annual-2026.pdf?agency=BAOVL"]')
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
    assert "Báo cáo" in text or "năm" in text
    assert page.js_errors == []


def test_the_dashboard_fits_a_phone(phone: Any, login: Any) -> None:
    login(phone, "kiem.tra")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.screenshot(path=str(SHOTS / "roles-dashboard-phone.png"))
