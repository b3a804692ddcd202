"""The smoke test of the browser kit: a person logs in through the real form in Chromium
and lands on their home page with the menu; the CSP lets the page run without errors."""

from __future__ import annotations

from typing import Any


def test_editor_logs_in_with_chromium_and_sees_their_name(page: Any, login: Any) -> None:
    login(page, "bien.tap")
    assert "Nguyễn Biên Tập" in page.inner_text("header")
    assert page.js_errors == []


def test_wrong_password_stays_on_the_login_page(page: Any) -> None:
    page.goto("/dang-nhap")
    page.fill("input[name=username]", "bien.tap")
    page.fill("input[name=password]", "sai-mat-khau")
    page.click("button[type=submit]")
    assert "không đúng" in page.inner_text("main")
