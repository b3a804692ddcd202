"""Loudspeaker pull: what commune culture staff fetch, print and confirm.

URLs (docs/loudspeakers.md), `<ai>` being `don-vi/<unit code>` or `nhom/<group name>`:

    GET  /loa/<ai>/feed.atom[?days=3]   Atom feed of the radio scripts to air
    GET  /loa/<ai>/<YYYY-MM-DD>.html    printable script sheet for one day
    GET  /loa/am-thanh/<key>.<ext>      a recording placed in $BANTIN_HOME/audio/
    POST /loa/receipts                  "we aired it" (web.receipts: needs a unit token)
    GET  /loa/receipts/form?token=…     the form for a browser (web.receipts)

Views stay thin: the list comes from `web.radio_scripts`, the feed from `web.atom`. Absolute
links come from `web.security.link` (the configured public URL, never the Host header).
The clock is `app.config["CLOCK"]`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    jsonify,
    render_template,
    request,
    send_from_directory,
)

from bantin.content import vietnamese
from bantin.web import atom
from bantin.web.context import database as _db
from bantin.web.context import now as _now
from bantin.web.context import settings as _settings
from bantin.web.radio_scripts import (
    AUDIO_EXTENSIONS,
    Audience,
    ScriptItem,
    find_audience,
    last_exit,
    load_window,
    script_items,
)
from bantin.web.security import link

bp = Blueprint("loa", __name__)
AUDIENCE = "<any('don-vi', 'nhom'):kind>/<key>"
LOOKBACK = timedelta(days=1)
DEFAULT_DAYS = 3
MAX_DAYS = 31


def error(status: int, vi: str, en: str) -> tuple[Response, int]:
    """Errors in both languages: staff read the first, integrators the second."""
    return jsonify({"error": en, "loi": vi, "message": f"{vi} ({en})"}), status


def _not_found(kind: str, key: str) -> tuple[Response, int]:
    if kind == "don-vi":
        return error(404, f"Không có đơn vị mã {key}", f"no unit with code {key}")
    return error(404, f"Không có nhóm đơn vị {key}", f"no unit group named {key}")


def _sheet_url(audience: Audience) -> Callable[[date], str]:
    def url(day: date) -> str:
        return link("loa.sheet", kind=audience.kind, key=audience.key, day=day.isoformat())

    return url


def _audio_url(item: ScriptItem) -> str:
    name = item.audio.path.name if item.audio and item.audio.path else item.key
    return link("loa.audio", filename=name)


@bp.get(f"/loa/{AUDIENCE}/feed.atom")
def feed(kind: str, key: str) -> Any:
    """Scripts due from now to `days` ahead, and those of the last 24 hours."""
    raw = request.args.get("days", str(DEFAULT_DAYS))
    if not raw.isdigit() or int(raw) > MAX_DAYS:
        return error(
            400,
            f"Số ngày (days) phải là số nguyên từ 0 đến {MAX_DAYS}",
            f"days must be a whole number from 0 to {MAX_DAYS}",
        )
    days = int(raw)
    settings, now = _settings(), _now()
    start, end = now - LOOKBACK, now + timedelta(days=days)
    with _db().session() as s:
        audience = find_audience(s, kind, key)
        if audience is None:
            return _not_found(kind, key)
        window = load_window(s, list(audience.units), start, end)
        items = script_items(s, window, audience, settings.timezone, settings.home / "audio")
        left = last_exit(s, list(audience.units), start, LOOKBACK)
    modified = atom.last_modified(window, items, now, end - now, left)
    # The self link repeats only `days`, never other query text or the request's Host.
    asked = {"days": days} if "days" in request.args else {}
    links = atom.FeedLinks(
        self_url=link("loa.feed", kind=kind, key=key, **asked),
        sheet_url=_sheet_url(audience),
        audio_url=_audio_url,
    )
    today = now.astimezone(settings.timezone).date()
    body = atom.build_feed(audience, items, links, modified or now, today, days)
    resp = Response(body, content_type="application/atom+xml; charset=utf-8")
    resp.set_etag(atom.etag_for(body))
    if modified is not None:
        resp.last_modified = modified
    resp.cache_control.no_cache = True  # always revalidate: a 304 costs a few bytes
    return resp.make_conditional(request)


@bp.get(f"/loa/{AUDIENCE}/<day>.html")
def sheet(kind: str, key: str, day: str) -> Any:
    """One day's scripts on A4, with a line per item for the announcer to sign."""
    try:
        d = date.fromisoformat(day)
    except ValueError:
        return error(400, f"Ngày {day!r} không hợp lệ (YYYY-MM-DD)", f"{day!r} is not YYYY-MM-DD")
    settings = _settings()
    tz = settings.timezone
    start = datetime.combine(d, time.min, tz)
    end = datetime.combine(d + timedelta(days=1), time.min, tz)
    with _db().session() as s:
        audience = find_audience(s, kind, key)
        if audience is None:
            return _not_found(kind, key)
        window = load_window(s, list(audience.units), start, end)
        items = script_items(s, window, audience, tz, settings.home / "audio")
    # One section (one printed page) per unit: each commune signs its own sheet.
    order = {code: i for i, code in enumerate(audience.units)}
    sections: dict[str, list[ScriptItem]] = {}
    for item in sorted(items, key=lambda it: (order[it.unit_code], it.due_at)):
        sections.setdefault(item.unit_code, []).append(item)
    html = render_template(
        "loa/sheet.html",
        audience=audience,
        date_text=vietnamese.format_date(d, weekday=True),
        day=d,
        sections=[(audience.units[code], its) for code, its in sections.items()],
        feed_url=link("loa.feed", kind=kind, key=key),
    )
    return Response(vietnamese.nfc(html), content_type="text/html; charset=utf-8")


@bp.get("/loa/am-thanh/<path:filename>")
def audio(filename: str) -> Any:
    """A recording in $BANTIN_HOME/audio/ (named after the publication's key); only audio,
    not the bookkeeping files that may sit beside it."""
    if not filename.lower().endswith(AUDIO_EXTENSIONS):
        return error(404, f"Không có tệp âm thanh {filename}", f"no audio file {filename}")
    return send_from_directory(_settings().home / "audio", filename)
