"""How every desk page answers: rendered HTML that no shared cache keeps."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template


def raw_page(html: str) -> Response:
    resp = Response(html, content_type="text/html; charset=utf-8")
    resp.cache_control.no_store = True  # pages of a logged-in user stay out of caches
    resp.headers["Vary"] = "Cookie"
    return resp


def page(template: str, **context: Any) -> Response:
    return raw_page(render_template(template, **context))
