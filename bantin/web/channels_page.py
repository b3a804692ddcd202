"""`/kenh` (channels: state, broken reason, last success and failure, a test button) and
`/canh-bao` (open alerts, resolved with a note). Editors and approvers see their
agency's; the auditor reads everything; approvers and the admin resolve alerts; editors,
approvers and the admin may test a channel. Each change is an audit event with the user."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from sqlalchemy import select

from bantin.accounts import scope
from bantin.channels.service import test_channel
from bantin.core.audit import append as audit_append
from bantin.core.errors import BantinError
from bantin.core.models import Alert, Channel
from bantin.core.scrub import scrub
from bantin.records.alerts import resolve_alert
from bantin.records.channel_views import channel_rows, open_alerts
from bantin.web import i18n, nav
from bantin.web.auth import current, login_required
from bantin.web.context import database as _db
from bantin.web.context import now as _now
from bantin.web.context import settings as _settings
from bantin.web.i18n import t
from bantin.web.pages import page

bp = Blueprint("channels_page", __name__)
STAFF = {"editor", "approver", "auditor"}
i18n.register(
    {
        "chan_title": ("Kênh đăng tin", "Channels"),
        "chan_kind": ("Loại", "Kind"),
        "chan_reason": ("Lý do lỗi", "Broken reason"),
        "chan_last_ok": ("Gửi được lần cuối", "Last success"),
        "chan_last_bad": ("Lỗi lần cuối", "Last failure"),
        "chan_test": ("Gửi thử", "Test"),
        "chan_test_ok": ("Kênh {name}: kiểm tra thành công.", "Channel {name}: the check passed."),
        "chan_test_bad": (
            "Kênh {name}: kiểm tra lỗi: {error}",
            "Channel {name}: check failed: {error}",
        ),
        "alert_title": ("Cảnh báo", "Alerts"),
        "alert_when": ("Lúc", "When"),
        "alert_kind": ("Loại", "Kind"),
        "alert_message": ("Nội dung", "Message"),
        "alert_note": ("Ghi chú xử lý", "Resolution note"),
        "alert_resolve": ("Đã xử lý", "Resolve"),
        "alert_resolved": ("Đã đánh dấu cảnh báo #{id} là đã xử lý.", "Alert #{id} resolved."),
    }
)
nav.add("channels_page.channels", "chan_title", STAFF, 60)
nav.add("channels_page.alerts", "alert_title", STAFF, 61)


def _staff() -> scope.Principal:
    p = current()
    if p is None or not (p.sees_everything or (p.role in STAFF and p.agency)):
        abort(404)
    return p


def _agency(p: scope.Principal) -> str | None:
    return None if p.sees_everything else p.agency


@bp.get("/kenh")
@login_required
def channels() -> Any:
    p = _staff()
    with _db().read() as s:
        rows = channel_rows(s, _settings().timezone, _agency(p))
    return page("desk/channels.html", rows=rows, may_test=scope.may_write(p))


@bp.post("/kenh/<name>/thu")
@login_required
def test(name: str) -> Any:
    """Run the channel's own check (never publishes); the answer is scrubbed."""
    p = _staff()
    with _db().session() as s:
        row = s.get(Channel, name)
        if row is None or not scope.sees_agency(p, row.agency_code) or not scope.may_write(p):
            abort(404)
        audit_append(s, _now(), p.actor, "channel.tested", "channel", name, {})
    try:
        result = test_channel(_db(), name, _settings().home)
        ok, error = bool(result.get("ok", True)), str(result.get("error", ""))
    except BantinError as exc:
        ok, error = False, str(exc)
    key = "chan_test_ok" if ok else "chan_test_bad"
    flash(t(key).format(name=name, error=scrub(error)))
    return redirect(url_for("channels_page.channels"))


@bp.get("/canh-bao")
@login_required
def alerts() -> Any:
    p = _staff()
    with _db().read() as s:
        rows = open_alerts(s, _settings().timezone, _agency(p))
    may_resolve = p.role in ("approver", "admin")
    return page("desk/alerts.html", rows=rows, may_resolve=may_resolve)


@bp.post("/canh-bao/<int:alert_id>/xu-ly")
@login_required
def resolve(alert_id: int) -> Any:
    p = _staff()
    if p.role not in ("approver", "admin"):
        abort(404)
    note = " ".join(request.form.get("note", "").split())[:500] or None
    with _db().session() as s:
        agency = s.scalar(select(Alert.agency_code).where(Alert.id == alert_id))
        if agency is None or not scope.sees_agency(p, agency):
            abort(404)
        resolve_alert(s, alert_id, _now(), p.actor, note)
    flash(t("alert_resolved").format(id=alert_id))
    return redirect(url_for("channels_page.alerts"))
