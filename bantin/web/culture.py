"""The culture staff's desk (phone first): today's and the next days' scripts of their
units in large text, the recording, a one-tap receipt tied to the logged-in user, the
printable day sheet, and their unit's feed URL for loudspeaker software.

Every read is scoped by `bantin.accounts.scope`; the receipt and the feed token are the
library's (`records.receipts`, `records.feed_tokens`), with the user as audit actor.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, request, send_file, url_for
from sqlalchemy import select

from bantin.accounts import scope
from bantin.core.models import Publication, Unit
from bantin.records import feed_tokens
from bantin.records.culture_scripts import (
    DAYS_AHEAD,
    Script,
    audio_file,
    day_bounds,
    day_label,
    day_scripts,
)
from bantin.records.receipts import ReceiptError, ReceiptInput, add_receipt
from bantin.web import i18n, loudspeaker
from bantin.web.auth import current, login_required
from bantin.web.context import database as _db
from bantin.web.context import now as _now
from bantin.web.context import settings as _settings
from bantin.web.i18n import lang, t
from bantin.web.pages import page, raw_page
from bantin.web.radio_scripts import Audience, ScriptItem, find_audience, load_window, script_items
from bantin.web.security import link

bp = Blueprint("culture", __name__)
i18n.register(
    {
        "culture_days": ("Chọn ngày", "Choose a day"),
        "culture_today": ("Hôm nay", "Today"),
        "culture_print": ("In bản tin trong ngày", "Print the day sheet"),
        "culture_aired_now": ("Đã phát lúc {time} – bấm để xác nhận", "Aired at {time} – confirm"),
        "culture_confirmed": ("Đã xác nhận lúc {time} bởi {name}", "Confirmed at {time} by {name}"),
        "culture_audio": ("Bản ghi âm", "Recording"),
        "culture_not_sent": (
            "Chưa phát hành: xác nhận được sau khi bản tin được gửi tới loa.",
            "Not sent yet: it can be confirmed once it has gone to the loudspeakers.",
        ),
        "culture_feed": ("Địa chỉ nhận tin cho phần mềm loa", "Feed URL for loudspeaker software"),
        "culture_feed_help": (
            "Mỗi địa chỉ có mã riêng, chỉ hiện một lần. Tạo địa chỉ mới khi cài phần mềm loa.",
            "Each URL has its own token, shown once. Make a new one when setting up software.",
        ),
        "culture_feed_new": ("Tạo địa chỉ mới", "Make a new URL"),
        "culture_feed_made": ("Địa chỉ mới (chỉ hiện lần này):", "New URL (shown only now):"),
        "culture_feed_live": ("Địa chỉ đang dùng", "URLs in use"),
        "culture_last_use": ("Dùng lần cuối", "Last used"),
        "culture_never": ("chưa dùng", "never"),
        "culture_nothing": ("Không có bản tin nào trong ngày này.", "No scripts on this day."),
    }
)


def _principal() -> scope.Principal:
    p = current()
    if p is None or p.role not in ("culture", "admin"):
        abort(404)
    return p


def _day(raw: str | None) -> date:
    """The day asked for (`?ngay=YYYY-MM-DD`), kept to today … today + DAYS_AHEAD."""
    today = _now().astimezone(_settings().timezone).date()
    try:
        asked = date.fromisoformat(raw) if raw else today
    except ValueError:
        asked = today
    return asked if today <= asked <= today + timedelta(days=DAYS_AHEAD) else today


def home_page(p: scope.Principal) -> Response:
    """The culture home (desk.home sends culture staff here)."""
    settings, d = _settings(), _day(request.args.get("ngay"))
    today = _now().astimezone(settings.timezone).date()
    with _db().read() as s:
        scripts = day_scripts(
            s, scope.publications(p), d, settings.timezone, settings.home / "audio"
        )
        units = list(
            s.execute(
                select(Unit.code, Unit.name)
                .where(Unit.code.in_(sorted(p.units)))
                .order_by(Unit.sort_key)
            )
        )
        tokens = feed_tokens.list_tokens(s, settings.timezone, kind="don-vi", keys=sorted(p.units))
        texts = _texts(s, scripts, {str(c): str(n) for c, n in units}, d)
    days = [(today + timedelta(days=i), day_label(today + timedelta(days=i))) for i in range(4)]
    return page(
        "desk/culture.html",
        scripts=scripts,
        texts=texts,
        day=d,
        day_text=day_label(d),
        days=days,
        units=units,
        tokens=[{**tok, "last_used": _when(tok["last_used_local"])} for tok in tokens],
        now_hm=_now().astimezone(settings.timezone).strftime("%H:%M"),
    )


def _when(iso: str | None) -> str | None:
    return datetime.fromisoformat(iso).strftime("%d/%m/%Y %H:%M") if iso else None


def _texts(
    session: Any, scripts: list[Script], units: dict[str, str], d: date
) -> dict[int, ScriptItem]:
    """Each script as the loudspeaker feed renders it (a publication's stored body exists
    only once it has been sent), with the read time the sheet and the feed show."""
    if not scripts:
        return {}
    tz = _settings().timezone
    audience = Audience("don-vi", "", "", units)
    start, end = day_bounds(d, tz)
    window = load_window(session, list(units), start, end)
    items = script_items(session, window, audience, tz, _settings().home / "audio")
    return {item.publication_id: item for item in items}


@bp.post("/xac-nhan")
@login_required
def confirm() -> Any:
    """The one-tap receipt: the logged-in user is the reporter and the audit actor."""
    p = _principal()
    pub_id, day = request.form.get("publication", ""), request.form.get("ngay")
    if not scope.may_post_receipts(p) or not pub_id.isdigit():
        abort(404)
    with _db().session() as s:
        pub = s.get(Publication, int(pub_id))
        if pub is None or not scope.sees_unit(p, pub.unit_code):
            abort(404)
        inp = ReceiptInput(
            unit_code=pub.unit_code or "",
            reported_by=str(g.get("user_name") or p.username),
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
    return redirect(url_for("desk.home", ngay=day) + f"#ban-tin-{pub_id}")


@bp.get("/van-hoa/am-thanh/<int:pub_id>")
@login_required
def audio(pub_id: int) -> Any:
    """The prepared recording of a bulletin the user may see (Range requests work)."""
    p = _principal()
    with _db().read() as s:
        pub = s.get(Publication, pub_id)
        if pub is None or not scope.sees_unit(p, pub.unit_code):
            abort(404)
        key = pub.idempotency_key
    path = audio_file(_settings().home / "audio", key)
    if path is None:
        abort(404)
    return send_file(path, conditional=True)


@bp.get("/van-hoa/to-in/<unit>/<day>")
@login_required
def sheet(unit: str, day: str) -> Any:
    """The printable day sheet of one of the user's units (no feed token needed here)."""
    p = _principal()
    if not scope.sees_unit(p, unit):
        abort(404)
    try:
        d = date.fromisoformat(day)
    except ValueError:
        abort(404)
    with _db().session() as s:
        audience = find_audience(s, "don-vi", unit)
        if audience is None:
            abort(404)
        html = loudspeaker.sheet_html(s, audience, d, url_for("desk.home"))
    return raw_page(html)


@bp.post("/van-hoa/dia-chi-tin/<unit>")
@login_required
def new_feed_url(unit: str) -> Any:
    """A new feed token for one of the user's units, shown on this answer only."""
    p = _principal()
    if not scope.sees_unit(p, unit):
        abort(404)
    with _db().session() as s:
        _, token = feed_tokens.create_token(s, "don-vi", unit, f"web {p.username}", p.actor, _now())
    url = link("loa.feed", kind="don-vi", key=unit, token=token)
    if not url.startswith("http"):
        url = request.host_url.rstrip("/") + url
    return page("desk/culture_feed.html", unit=unit, url=url)
