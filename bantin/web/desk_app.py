"""Plugs the desk into the app: sessions and CSRF, login, the role home pages, the JSON
API, `/healthz`, and problem-details errors under `/api/`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from bantin import health
from bantin.web import (
    api,
    approve_pages,
    auth,
    camp_pages,
    channels_page,
    compose_pages,
    culture,
    desk,
)
from bantin.web import calendar as desk_calendar
from bantin.web import publication as desk_publication


def _blueprints() -> list[Blueprint]:
    """The desk's page modules, one blueprint each (each adds its own menu entries and
    words at import). A new page module is one line here."""
    return [
        desk.bp,
        desk_calendar.bp,
        desk_publication.bp,
        culture.bp,
        channels_page.bp,
        compose_pages.bp,
        camp_pages.bp,
        approve_pages.bp,
    ]


def install(app: Flask) -> None:
    auth.install(app)
    for bp in _blueprints():
        app.register_blueprint(bp)
    app.register_blueprint(api.bp)
    # Bearer-only (no cookie): a cross-site request carries no credential (see auth.py).
    auth.protect.exempt(api.bp)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.register_error_handler(HTTPException, _errors)


def _errors(exc: HTTPException) -> Any:
    if request.path.startswith("/api/"):
        return api.http_problem(exc)
    return exc


def healthz() -> Response:
    """200 when the database answers, a runner beat lately and nothing due is stuck;
    503 otherwise. Shows no publication content, only ages, counts and channel names."""
    settings = current_app.config["BANTIN_SETTINGS"]
    state = health.check(
        current_app.config["BANTIN_DB"],
        current_app.config["CLOCK"].now(),
        settings.safety_interval_seconds,
    )
    resp = jsonify({"ok": state.ok, "checks": state.checks, "problems": state.problems})
    resp.status_code = 200 if state.ok else 503
    resp.cache_control.no_store = True
    return resp


def protect_receipts(receipts_bp: Any) -> None:
    """`/loa/receipts` keeps its own CSRF: an HMAC token bound to the unit token and an
    Origin check, with no session cookie involved, so Flask-WTF's check is not applied
    (its form field has the same name and would refuse every browser receipt)."""
    auth.protect.exempt(receipts_bp)
