"""A real headless Chromium (Debian's, installed by scripts/system-deps.sh) driven by
Playwright against the desk served on 127.0.0.1 by a real WSGI server in a thread.

The app is the one of tests/web/conftest.py (the prepared database, an injected clock),
so a browser test sees exactly what the Flask-client tests see. `desk_url` is the base
URL; `page` is a fresh browser context (own cookies) per test; `phone` is one at
390×844. `login(page, username)` logs in through the real form."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from bantin.core.db import Database
from tests.web.desk_support import PASSWORD, add_people

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"]
SHOTS = Path(__file__).parent / "shots"  # screenshots of failing tests, not committed


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("no chromium: run scripts/system-deps.sh (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def desk_url(app: Flask, db: Database) -> Iterator[str]:
    """The desk on a loopback port, served by Werkzeug's threaded server in a thread
    (the test's injected clock and database are the app's)."""
    add_people(db)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def _context(chromium: Any, desk_url: str, **options: Any) -> Iterator[Any]:
    ctx = chromium.new_context(base_url=desk_url, locale="vi-VN", **options)
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" else None,
    )
    page.js_errors = errors  # tests may assert the page raised nothing (CSP included)
    yield page
    ctx.close()


@pytest.fixture
def page(chromium: Any, desk_url: str) -> Iterator[Any]:
    yield from _context(chromium, desk_url, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone(chromium: Any, desk_url: str) -> Iterator[Any]:
    yield from _context(
        chromium,
        desk_url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )


@pytest.fixture
def login() -> Callable[[Any, str], None]:
    def _login(page: Any, username: str) -> None:
        page.goto("/dang-nhap")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/dang-nhap" not in url)

    return _login
