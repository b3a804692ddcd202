"""The desk's publication calendar (/lich: month, week and agenda views with filters), its
iCalendar feed behind a calendar token (/lich/<token>.ics), and the form that gives an
editor such a token. Queries and grouping live in `bantin.records.calendar`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for

from bantin.accounts import api_tokens, scope
from bantin.records import calendar as cal
from bantin.records.calendar_ics import STATE_WORDS, counts_text, feed, summary
from bantin.web import i18n, nav
from bantin.web.auth import current, login_required
from bantin.web.context import database as _db
from bantin.web.context import now as _now
from bantin.web.context import settings as _settings
from bantin.web.i18n import lang
from bantin.web.security import public_base

bp = Blueprint("calendar", __name__)

i18n.register(
    {
        "cal_menu": ("Lịch đăng bài", "Calendar"),
        "cal_title": ("Lịch đăng bài", "Publication calendar"),
        "cal_month": ("Tháng", "Month"),
        "cal_week": ("Tuần", "Week"),
        "cal_agenda": ("Danh sách ngày", "Day list"),
        "cal_prev": ("Trước", "Previous"),
        "cal_next": ("Sau", "Next"),
        "cal_today": ("Hôm nay", "Today"),
        "cal_filter": ("Lọc", "Filter"),
        "cal_any": ("Tất cả", "Any"),
        "cal_agency": ("Cơ quan", "Agency"),
        "cal_task": ("Nhiệm vụ", "Task"),
        "cal_legend": ("Chú giải trạng thái", "State legend"),
        "cal_units": ("đơn vị", "units"),
        "cal_cut": ("Chỉ hiện một phần: hãy lọc thêm.", "Partly shown: filter further."),
        "cal_subscribe": ("Đăng ký lịch (Outlook, điện thoại)", "Subscribe (Outlook, phone)"),
        "cal_subscribe_help": (
            "Tạo một địa chỉ lịch riêng của cơ quan (chỉ đọc). Địa chỉ chỉ hiện một lần.",
            "Create a read-only calendar address for your agency. It is shown only once.",
        ),
        "cal_subscribe_button": ("Tạo địa chỉ lịch", "Create calendar address"),
        "cal_subscribe_done": (
            "Địa chỉ lịch (sao chép ngay, sẽ không hiện lại):",
            "Calendar address (copy it now, it is not shown again):",
        ),
        "cal_weekdays": ("T2 T3 T4 T5 T6 T7 CN", "Mon Tue Wed Thu Fri Sat Sun"),
    }
)
for _state, _word in STATE_WORDS.items():
    i18n.register({f"cal_state_{_state}": (_word, _state.replace("_", " "))})
nav.add("calendar.month", "cal_menu", {"editor", "approver", "culture", "auditor"}, order=20)

ICONS = {
    "published": "✓",
    "failed": "✗",
    "missed": "⊘",
    "unknown": "?",
    "retry_wait": "↻",
    "pending_approval": "✎",
    "approved": "☑",
    "planned": "○",
    "claimed": "➜",
    "sending": "➜",
    "cancelled": "–",
}


def _principal() -> scope.Principal:
    p = current()
    assert p is not None  # login_required ran first
    return p


def _no_store(body: str) -> Response:
    resp = Response(body, content_type="text/html; charset=utf-8")
    resp.cache_control.no_store = True
    resp.headers["Vary"] = "Cookie"
    return resp


@bp.get("/lich")
@login_required
def month() -> Any:
    """The calendar; `view`, `day` (YYYY-MM-DD) and the filters come from the GET form."""
    p, tz = _principal(), _settings().timezone
    view = request.args.get("view", "month")
    view = view if view in cal.VIEWS else "month"
    today = _now().astimezone(tz).date()
    anchor = cal.parse_day(request.args.get("day"), today)
    filters = cal.CalFilters.from_args(request.args)
    first, end = cal.window(view, anchor)
    start_utc, end_utc = cal.utc_bounds(first, end, tz)
    with _db().read() as s:
        options = cal.options(s, p, start_utc, end_utc)
        if view == "agenda":
            rows, found = cal.agenda(s, p, filters, start_utc, end_utc), cal.Found()
        else:
            rows, found = [], cal.slots(s, p, filters, start_utc, end_utc)
    keep = filters.query()

    def link(**changes: Any) -> str:
        args = {"view": view, "day": anchor.isoformat(), **keep, **changes}
        return url_for("calendar.month", **{k: v for k, v in args.items() if v})

    return _no_store(
        render_template(
            "desk/cal_month.html",
            view=view,
            anchor=anchor,
            today=today,
            weeks=cal.weeks(first, end),
            days=cal.by_day(found, tz),
            rows=rows,
            cut=len(rows) >= cal.AGENDA_LIMIT or found.cut,
            filters=filters,
            options=options,
            link=link,
            prev=cal.step(view, anchor, -1),
            next=cal.step(view, anchor, 1),
            tz=tz,
            icons=ICONS,
            states=cal.STATE_ORDER,
            day_label=lambda d: cal.day_label(d, lang()),
            slot_link=lambda slot: _slot_link(slot, tz, keep),
            summary=summary,
            counts_text=counts_text,
            may_subscribe=p.role in ("editor", "approver") and p.agency is not None,
        )
    )


def _slot_link(slot: cal.Slot, tz: Any, keep: dict[str, str]) -> str:
    """A single publication's page, or the day's agenda filtered to the slot."""
    if slot.only_id is not None:
        return url_for("publication.show", pub_id=slot.only_id)
    args: dict[str, Any] = {"view": "agenda", "day": slot.local(tz).date().isoformat()}
    args.update({**keep, "campaign": slot.campaign_id, "channel": slot.channel})
    return url_for("calendar.month", **args)


@bp.post("/lich/dang-ky")
@login_required
def subscribe() -> Any:
    """Create a calendar token for the editor's agency and show its URL once."""
    p = _principal()
    if p.role not in ("editor", "approver") or p.agency is None:
        abort(404)
    with _db().session() as s:
        label = f"Lịch – {p.username}"[:64]
        _, text = api_tokens.create(s, p.agency, label, ["calendar"], p.actor, _now())
    base = public_base(_settings()) or request.host_url.rstrip("/")
    url = base + url_for("calendar.ics", token=text)
    return _no_store(render_template("desk/cal_subscribed.html", url=url))


@bp.get("/lich/<token>.ics")
def ics(token: str) -> Any:
    """The iCalendar feed of a calendar token's agency (404 for anything else)."""
    settings = _settings()
    # A short write (the token's last use), then the feed from a read session: building
    # it takes ~0.1 s and must not hold SQLite's write lock (dispatch writes meanwhile).
    with _db().session() as s:
        row = api_tokens.authenticate(s, token, _now())
        if row is None or set(row.scopes.split(",")) != {"calendar"}:
            abort(404)
        p = scope.for_token(row)
    args = {k: request.args.get(k, "") for k in ("unit", "channel")}
    filters = cal.CalFilters.from_args(args)
    with _db().read() as s:
        body = feed(s, p, filters, _now(), settings.timezone, public_base(settings) or "")
    resp = Response(body, content_type="text/calendar; charset=utf-8")
    resp.headers["Content-Disposition"] = 'inline; filename="bantin.ics"'
    resp.cache_control.private = True
    resp.cache_control.max_age = 300
    return resp
