"""The desk's pages for now: a home page per role, the one-tap receipt of culture staff,
and report downloads. Views only ask `bantin.accounts.scope` and call the library.

- editors and approvers: their agency's upcoming publications;
- culture staff: today's scripts of their units, each with a one-tap "aired" form;
- the auditor (and admin): the dashboard placeholder with every report download.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from bantin.accounts import scope
from bantin.core.models import Agency, Campaign, Publication, Unit
from bantin.records.query import Filters, list_publications
from bantin.records.receipts import ReceiptError, ReceiptInput, add_receipt
from bantin.records.reports import FORMATS, render
from bantin.web import report_docs
from bantin.web.auth import current, login_required
from bantin.web.context import database as _db
from bantin.web.context import now as _now
from bantin.web.context import settings as _settings
from bantin.web.i18n import lang, t

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
        return _culture_home(p)
    if p.sees_everything:
        return _auditor_home(p)
    with _db().read() as s:
        rows = list_publications(s, Filters(agency=p.agency, start=_now()), limit=50)
    return _page("desk/home_agency.html", rows=rows)


def _page(template: str, **context: Any) -> Response:
    resp = Response(render_template(template, **context), content_type="text/html; charset=utf-8")
    resp.cache_control.no_store = True  # pages of a logged-in user stay out of caches
    resp.headers["Vary"] = "Cookie"
    return resp


def _today(tz: Any) -> tuple[datetime, datetime]:
    local = _now().astimezone(tz).date()
    start = datetime.combine(local, time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


def _culture_home(p: scope.Principal) -> Response:
    tz = _settings().timezone
    start, end = _today(tz)
    with _db().read() as s:
        pubs = s.execute(
            select(Publication, Campaign.title, Unit.name)
            .join(Campaign, Campaign.id == Publication.campaign_id)
            .join(Unit, Unit.code == Publication.unit_code)
            .where(
                scope.publications(p),
                Campaign.kind == "radio_script",
                Publication.due_at >= start,
                Publication.due_at < end,
            )
            .order_by(Publication.due_at, Unit.sort_key)
        ).all()
        items = [
            {
                "id": pub.id,
                "when": pub.due_at.astimezone(tz).strftime("%H:%M %d/%m/%Y"),
                "unit": unit_name,
                "title": pub.title or title,
                "body": pub.body,
                "status": pub.status,
            }
            for pub, title, unit_name in pubs
        ]
    return _page("desk/home_culture.html", items=items)


def _auditor_home(p: scope.Principal) -> Response:
    year = _now().astimezone(_settings().timezone).year
    with _db().read() as s:
        agencies = list(s.scalars(select(Agency.code).order_by(Agency.code)))
    return _page("desk/home_auditor.html", year=year, agencies=agencies, formats=FORMATS)


@bp.post("/xac-nhan")
@login_required
def confirm() -> Any:
    """The one-tap receipt: the logged-in user is the reporter and the audit actor."""
    p = _principal()
    pub_id = request.form.get("publication", "")
    if not scope.may_post_receipts(p) or not pub_id.isdigit():
        abort(404)
    with _db().session() as s:
        pub = s.get(Publication, int(pub_id))
        if pub is None or not scope.sees_unit(p, pub.unit_code):
            abort(404)
        inp = ReceiptInput(
            unit_code=pub.unit_code or "",
            reported_by=_display_name(),
            source="web",
            publication_id=pub.id,
            actor=p.actor,
        )
        try:
            add_receipt(s, inp, _now(), _settings().timezone)
        except ReceiptError as exc:
            flash(exc.en if lang() == "en" else exc.vi)
        else:
            flash(t("receipt_saved"))
    return redirect(url_for("desk.home"))


def _display_name() -> str:
    from flask import g

    return str(g.get("user_name") or _principal().username)


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
