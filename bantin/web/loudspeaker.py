"""Loudspeaker pull: what commune culture staff fetch, print and confirm.

URLs (docs/loudspeakers.md), `<ai>` being `don-vi/<unit code>` or `nhom/<group name>`:

    GET  /loa/<ai>/feed.atom?token=…[&days=3]   Atom feed of the radio scripts to air
    GET  /loa/<ai>/<YYYY-MM-DD>.html?token=…    printable script sheet for one day
    GET  /loa/<ai>/am-thanh/<key>.<ext>?token=… a recording placed in $BANTIN_HOME/audio/
    POST /loa/receipts                  "we aired it" (web.receipts: needs a unit token)
    GET  /loa/receipts/form?token=…     the form for a browser (web.receipts)

Views stay thin: the list comes from `web.radio_scripts`, the feed from `web.atom`. Absolute
links come from `web.security.link` (the configured public URL, never the Host header).
The clock is `app.config["CLOCK"]`.

Every one of them needs a live feed token of exactly that unit or group
(`bantin.records.feed_tokens`; loudspeaker software cannot send headers, so it is in the
query): without one, or with a revoked or another audience's token, the answer is the
same 404 as for a unit that does not exist. The links inside carry the token on.
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
from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.accounts import scope
from bantin.campaigns import timeline
from bantin.content import audio_links, vietnamese
from bantin.core.models import PUBLICATION_STATES, Publication
from bantin.records import feed_tokens
from bantin.records.calendar import CalFilters
from bantin.records.calendar_ics import feed as calendar_feed
from bantin.web import atom
from bantin.web.context import database as _db
from bantin.web.context import now as _now
from bantin.web.context import settings as _settings
from bantin.web.radio_scripts import (
    AUDIO_EXTENSIONS,
    HIDDEN_STATES,
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


def _sheet_url(audience: Audience, token: str) -> Callable[[date], str]:
    def url(day: date) -> str:
        return link(
            "loa.sheet", kind=audience.kind, key=audience.key, day=day.isoformat(), token=token
        )

    return url


def _audio_url(audience: Audience, token: str) -> Callable[[ScriptItem], str]:
    def url(item: ScriptItem) -> str:
        name = item.audio.path.name if item.audio and item.audio.path else item.key
        return link("loa.audio", kind=audience.kind, key=audience.key, filename=name, token=token)

    return url


def _opened(session: Session, kind: str, key: str) -> tuple[Audience, str] | None:
    """The audience and the token when the request's token opens exactly this URL."""
    token = request.args.get("token", "")
    reader = feed_tokens.authenticate(session, token, _now())
    if reader is None or not reader.opens(kind, key):
        return None
    audience = find_audience(session, kind, key)
    return None if audience is None else (audience, token)


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
        opened = _opened(s, kind, key)
        if opened is None:
            return _not_found(kind, key)
        audience, token = opened
        window = load_window(s, list(audience.units), start, end)
        items = script_items(s, window, audience, settings.timezone, settings.home / "audio")
        left = last_exit(s, list(audience.units), start, LOOKBACK)
    modified = atom.last_modified(window, items, now, end - now, left)
    # The self link repeats only the token and `days`, never other query text or the Host.
    asked = {"days": days} if "days" in request.args else {}
    links = atom.FeedLinks(
        self_url=link("loa.feed", kind=kind, key=key, token=token, **asked),
        sheet_url=_sheet_url(audience, token),
        audio_url=_audio_url(audience, token),
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
    with _db().session() as s:
        opened = _opened(s, kind, key)
        if opened is None:
            return _not_found(kind, key)
        audience, token = opened
        html = sheet_html(s, audience, d, link("loa.feed", kind=kind, key=key, token=token))
    resp = Response(html, content_type="text/html; charset=utf-8")
    resp.cache_control.no_store = True  # the page names its token
    return resp


def sheet_html(session: Session, audience: Audience, d: date, feed_url: str) -> str:
    """The printable sheet of `audience` for day `d` (also the desk's culture page uses it)."""
    settings = _settings()
    tz = settings.timezone
    start = datetime.combine(d, time.min, tz)
    end = datetime.combine(d + timedelta(days=1), time.min, tz)
    window = load_window(session, list(audience.units), start, end)
    items = script_items(session, window, audience, tz, settings.home / "audio")
    # Beyond the materialisation horizon: what the campaigns will air, marked "dự kiến".
    expected = timeline.expected_scripts(session, list(audience.units), start, end)
    planned = timeline.planned_on(start, timedelta(days=settings.horizon_days))
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
        expected=[
            (e.due_at.astimezone(tz), audience.units[e.unit_code], e.title) for e in expected
        ],
        planned_text=vietnamese.format_date(planned.date()),
        feed_url=feed_url,
    )
    return vietnamese.nfc(html)


@bp.get(f"/loa/{AUDIENCE}/am-thanh/<filename>")
def audio(kind: str, key: str, filename: str) -> Any:
    """A recording in $BANTIN_HOME/audio/ (named after the publication's key) of a bulletin
    of this audience; only audio, not the bookkeeping files that may sit beside it."""
    stem, dot, _ = filename.rpartition(".")
    missing = error(404, f"Không có tệp âm thanh {filename}", f"no audio file {filename}")
    if not dot or not filename.lower().endswith(AUDIO_EXTENSIONS):
        return missing
    with _db().session() as s:
        opened = _opened(s, kind, key)
        if opened is None or not _owns(s, opened[0], stem):
            return missing
    return send_from_directory(_settings().home / "audio", filename, conditional=True)


def _owns(session: Session, audience: Audience, stem: str) -> bool:
    """Is `stem` the key of a bulletin of `audience` near now (what its feed links)?

    The time bounds keep the lookup on the (status, due_at) index."""
    now = _now()
    found = session.execute(
        select(Publication.id)
        .where(
            Publication.status.in_(sorted(set(PUBLICATION_STATES) - HIDDEN_STATES)),
            Publication.due_at >= now - timedelta(days=8),
            Publication.due_at <= now + timedelta(days=MAX_DAYS + 1),
            Publication.idempotency_key == stem,
            Publication.unit_code.in_(list(audience.units)),
        )
        .limit(1)
    ).first()
    return found is not None


@bp.get(f"/loa/{AUDIENCE}/lich.ics")
def unit_calendar(kind: str, key: str) -> Any:
    """The audience's bulletins as an iCalendar feed, for a culture officer's phone or
    Outlook: the desk calendar's grouped slots of these units only (issue 10, "per agency
    or unit, behind a token"). Opens with the audience's read token like the Atom feed;
    the token is looked up in a short write (its last use), the feed built from a read."""
    settings = _settings()
    with _db().session() as s:
        opened = _opened(s, kind, key)
        if opened is None:
            return _not_found(kind, key)
        audience = opened[0]
    p = scope.Principal(f"feed token {kind}/{key}", "culture", units=frozenset(audience.units))
    with _db().read() as s:
        body = calendar_feed(s, p, CalFilters(), _now(), settings.timezone)
    resp = Response(body, content_type="text/calendar; charset=utf-8")
    resp.headers["Content-Disposition"] = 'inline; filename="lich-phat-thanh.ics"'
    resp.cache_control.private = True
    resp.cache_control.max_age = 300
    return resp


@bp.get("/loa/am-thanh/<path:filename>")
def pushed_audio(filename: str) -> Any:
    """The recording URL push channels hand to a loudspeaker vendor (content.audio writes
    it into `meta.audio_url` at send time, with no reader token to give). The key in the
    name can be guessed from the schedule, so the URL carries an expiry and an HMAC
    (`content.audio_links`); without a valid one the answer is the same 404 as for a
    missing file. Only audio files are served (docs/security.md)."""
    missing = error(404, f"Không có tệp âm thanh {filename}", f"no audio file {filename}")
    if not filename.lower().endswith(AUDIO_EXTENSIONS):
        return missing
    args, home = request.args, _settings().home
    if not audio_links.valid(filename, args.get("exp"), args.get("sig"), home, _now()):
        return missing
    return send_from_directory(home / "audio", filename, conditional=True)
