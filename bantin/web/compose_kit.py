"""What the composer, campaign and approval pages share: the page response, who may write,
dates as officials write them, and the larger request bodies two forms need."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, abort, render_template, request

from bantin.accounts import scope
from bantin.web.auth import current
from bantin.web.i18n import lang

WRITERS = ("editor", "approver", "admin")
APPROVERS = ("approver", "admin")
WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def principal() -> scope.Principal:
    p = current()
    assert p is not None  # login_required ran first
    return p


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A logged-in user's page: never cached, varies with the session cookie."""
    resp = Response(
        render_template(template, **context), status, content_type="text/html; charset=utf-8"
    )
    resp.cache_control.no_store = True
    resp.headers["Vary"] = "Cookie"
    return resp


def require_role(roles: Iterable[str]) -> scope.Principal:
    """The user, when their role is one of `roles`; 404 otherwise (no hint a page exists)."""
    p = principal()
    if p.role not in roles:
        abort(404)
    return p


def day_text(d: datetime, tz: ZoneInfo) -> str:
    """ "Thứ Năm, 03/12/2026" (or "Thursday, 03/12/2026" in English)."""
    local = d.astimezone(tz)
    names = WEEKDAYS_EN if lang() == "en" else WEEKDAYS_VI
    return f"{names[local.weekday()]}, {local:%d/%m/%Y}"


def when_text(d: datetime, tz: ZoneInfo) -> str:
    """ "Thứ Năm, 03/12/2026 07:00"."""
    return f"{day_text(d, tz)} {d.astimezone(tz):%H:%M}"


def allow_larger_bodies(bp: Blueprint, endpoints: dict[str, int]) -> None:
    """Let `endpoints` (blueprint-local names) take bodies up to their byte limit.

    The app refuses bodies over 16 KB before any view runs, and CSRF reads the form in
    the app's first before-request hook, so the limit is raised in a hook placed ahead
    of it, for these endpoints only."""
    full = {f"{bp.name}.{name}": size for name, size in endpoints.items()}

    def raise_limit() -> None:
        size = full.get(request.endpoint or "")
        if size is not None:
            request.max_content_length = size

    def install(state: Any) -> None:
        app: Flask = state.app
        app.before_request_funcs.setdefault(None, []).insert(0, raise_limit)

    bp.record_once(install)
