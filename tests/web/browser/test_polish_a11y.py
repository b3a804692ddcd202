"""Every menu page of every role at 360×740 in a real Chromium: no horizontal scroll of
the page, a name for every form field, one h1, the page's language, buttons a thumb can
hit (≥ 44 px) and a main action the keyboard reaches with a visible focus ring."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bantin.core.db import Database
from bantin.core.models import Alert, Publication
from tests.web.browser.conftest import _context
from tests.web.compose_support import pending_article
from tests.web.conftest import NOW
from tests.web.xss_support import add_admin

ROLES = ["quan.tri", "kiem.tra", "bien.tap", "duyet.bai", "vh.cainhum"]

#: Runs in the page: what a phone user with a screen reader or a keyboard would trip on.
AUDIT = """() => {
  const out = [];
  const root = document.documentElement;
  if (root.scrollWidth > 360) out.push(`page scrolls sideways: ${root.scrollWidth}px`);
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) out.push(`${h1} h1`);
  const named = (el) => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return true;
    if (el.closest('label')) return true;
    return el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
  };
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.type === 'submit') continue;
    if (!named(el)) out.push(`unnamed ${el.tagName.toLowerCase()} ${el.name || el.id}`);
  }
  for (const el of document.querySelectorAll('button, input[type=submit], a.button')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.height < 43.5)
      out.push(`small button "${el.textContent.trim().slice(0, 30)}": ${box.height}px`);
  }
  return out;
}"""

#: The page's main action: its first submit button in main (a form to fill, "Duyệt",
#: "Lọc"), else its first link or field there. Marked, then looked for as focus moves.
MARK_MAIN = """(sel) => {
  const main = document.querySelector('main');
  const target = main.querySelector('button[type=submit], button') || main.querySelector(sel);
  if (!target) return false;
  target.setAttribute('data-main-action', '');
  return true;
}"""

FOCUS = """() => {
  const el = document.activeElement;
  if (!el || !el.hasAttribute('data-main-action')) return null;
  const st = getComputedStyle(el);
  const ring = (st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0)
    || st.boxShadow !== 'none';
  return {tag: el.tagName.toLowerCase(), ring: ring};
}"""


FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, summary"


@pytest.fixture
def work(db: Database, desk_url: str) -> list[str]:
    """Something on every page (a post to approve, an open alert, a failed post) and the
    pages one click below the menu that hold the main actions."""
    add_admin(db)
    pending = pending_article(db)
    with db.session() as s:
        s.add(Alert(at=NOW, agency_code="BAOVL", kind="broken", message="Kênh Facebook lỗi"))
        failed = s.scalars(
            select(Publication).where(Publication.agency_code == "BAOVL", Publication.id != pending)
        ).first()
        assert failed is not None
        failed.status, failed.status_reason = "failed", "HTTP 500"
        failed_id = failed.id
    return [
        f"/bai/{failed_id}",
        f"/duyet/{pending}/sua",
        "/chien-dich/chuyen-muc-cds",
        "/chien-dich/tai-len",
        "/lich?view=agenda&day=2026-12-03",
        "/lich?view=week&day=2026-12-03",
    ]


@pytest.fixture
def small(chromium: Any, desk_url: str) -> Iterator[Any]:
    yield from _context(chromium, desk_url, viewport={"width": 360, "height": 740})


def _menu(page: Any) -> list[str]:
    links = page.locator("nav.menu a").evaluate_all("els => els.map(a => a.pathname)")
    return list(dict.fromkeys(links)) or ["/"]


def _keyboard_reaches_main(page: Any) -> str | None:
    """Tab from the top until the main action has focus; None when it does, with a ring
    (or when main holds nothing to act on: a read-only list for this role)."""
    if not page.evaluate(MARK_MAIN, FOCUSABLE):
        return None
    page.locator("body").focus()
    for _ in range(80):
        page.keyboard.press("Tab")
        found = page.evaluate(FOCUS)
        if found is not None:
            return None if found["ring"] else f"no visible focus on <{found['tag']}>"
    return "Tab never reaches the page's main action"


def _audit(page: Any, path: str, lang: str) -> list[str]:
    page.goto(path + ("&" if "?" in path else "?") + f"lang={lang}")
    problems = [f"{path}: {p}" for p in page.evaluate(AUDIT)]
    if page.evaluate("document.documentElement.lang") != lang:
        problems.append(f"{path}: lang is not {lang}")
    if (why := _keyboard_reaches_main(page)) is not None:
        problems.append(f"{path}: {why}")
    return problems


@pytest.mark.parametrize("username", ROLES)
def test_every_menu_page_works_at_360_px(
    small: Any, login: Any, work: list[str], username: str
) -> None:
    login(small, username)
    problems: list[str] = []
    for path in _menu(small) + work:
        if small.request.get(path).status == 404:
            continue  # not this role's page (the scope walk checks that)
        problems += _audit(small, path, "vi")
        small.goto(path + ("&" if "?" in path else "?") + "lang=en")
        if small.evaluate("document.documentElement.lang") != "en":
            problems.append(f"{path}: lang is not en with ?lang=en")
    problems += _audit(small, _menu(small)[0], "en")
    assert problems == []
    assert small.js_errors == []


def test_the_audit_finds_what_it_looks_for(small: Any) -> None:
    """The checks can fail: a page with each fault is reported for each."""
    small.set_content(
        '<html lang="vi"><h1>a</h1><h1>b</h1><div style="width:500px">x</div>'
        '<input name="q"><button style="height:30px">Gửi</button></html>'
    )
    found = " | ".join(small.evaluate(AUDIT))
    for fault in ("scrolls sideways", "2 h1", "unnamed input q", 'small button "Gửi"'):
        assert fault in found


def test_the_login_page_works_at_360_px(small: Any) -> None:
    assert _audit(small, "/dang-nhap", "vi") == []
    assert _audit(small, "/dang-nhap", "en") == []
    assert small.js_errors == []


def test_the_keyboard_check_finds_a_hidden_focus(small: Any) -> None:
    small.set_content('<main><button style="outline: none">Lưu</button></main>')
    assert _keyboard_reaches_main(small) == "no visible focus on <button>"
    small.set_content('<main><button tabindex="-1">Lưu</button></main>')
    assert _keyboard_reaches_main(small) == "Tab never reaches the page's main action"
