"""The desk's router: a home page per role, and report downloads. Views only ask
`bantin.accounts.scope` and call the library.

- editors and approvers: their agency's upcoming publications;
- culture staff: `web.culture` (scripts, recordings, one-tap receipts, feed URLs);
- the auditor (and admin): `web.dashboard`, with every report download.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    render_template,
    request,
)

from bantin.accounts import scope
from bantin.records.query import Filters, list_publications
from bantin.records.reports import FORMATS, render
from bantin.web import culture, dashboard, report_docs
from bantin.web.auth import current, login_required
from bantin.web.context import database as _db
from bantin.web.context import now as _now
from bantin.web.context import settings as _settings
from bantin.web.i18n import lang

bp = Blueprint("desk", __name__)
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


def _principal() -> scope.Principal:
    p = current()
    assert p is not None  # login_required ran first
    return p


@bp.get("/")
@login_required
def home() -> Any:
    p = _principal()
    if p.role == "culture":
        return culture.home_page(p)
    if p.sees_everything:
        return dashboard.home_page(p)
    with _db().read() as s:
        rows = list_publications(s, Filters(agency=p.agency, start=_now()), limit=50)
    return _page("desk/home_agency.html", rows=rows)


def _page(template: str, **context: Any) -> Response:
    resp = Response(render_template(template, **context), content_type="text/html; charset=utf-8")
    resp.cache_control.no_store = True  # pages of a logged-in user stay out of caches
    resp.headers["Vary"] = "Cookie"
    return resp


@bp.get("/bao-cao/<kind>-<int:year>.<fmt>")
@login_required
def report(kind: str, year: int, fmt: str) -> Any:
    """A report download; `?agency=` for an agency's output or annual report."""
    p, agency = _principal(), request.args.get("agency") or None
    if fmt not in FORMATS or not 2000 <= year <= 2100:
        abort(404)
    with _db().read() as s:
        try:
            doc = report_docs.build(
                s, p, kind, year, agency, tz=_settings().timezone, now=_now(), lang=lang()
            )
        except (report_docs.NotAllowed, KeyError, ValueError):
            abort(404)
        body = render(doc, fmt)
    resp = Response(body, content_type=CONTENT_TYPES[fmt])
    name = f"{kind}-{agency or 'tinh'}-{year}.{fmt}"
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    resp.cache_control.no_store = True
    return resp
