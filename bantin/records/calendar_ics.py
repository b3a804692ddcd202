"""The publication calendar as an iCalendar feed (RFC 5545) for Outlook, Thunderbird and
phones: `/lich/<token>.ics`.

One VEVENT per campaign slot (campaign, channel, due time) with its counts, exactly the
groups of the month view — never one event per commune, which would put 7,000 events a
month on a phone. Times are in Asia/Ho_Chi_Minh with its VTIMEZONE; UIDs are stable, so
a client updates an event in place when its counts change. The `icalendar` library does
the escaping and the 75-octet line folding.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.accounts import scope
from bantin.core.models import Campaign
from bantin.records.calendar import CalFilters, Slot, slots

DAYS_BACK = 30
DAYS_AHEAD = 90
DEFAULT_MINUTES = 15  # an event needs a length; a campaign's slot_minutes wins
STATE_WORDS = {
    "planned": "đã lên lịch",
    "pending_approval": "chờ duyệt",
    "approved": "đã duyệt",
    "claimed": "đã nhận xử lý",
    "sending": "đang gửi",
    "published": "đã đăng",
    "retry_wait": "chờ gửi lại",
    "failed": "thất bại",
    "unknown": "chưa rõ",
    "missed": "bị lỡ",
    "cancelled": "đã hủy",
}


def counts_text(slot: Slot) -> str:
    """ "120 đã đăng, 4 thất bại" — each state with its count, most urgent first."""
    order = sorted(slot.counts, key=lambda s: (s not in STATE_WORDS, s))
    return ", ".join(f"{slot.counts[s]} {STATE_WORDS.get(s, s)}" for s in order)


def summary(slot: Slot, units_word: str = "đơn vị") -> str:
    """ "Bản tin sáng · 124 đơn vị" (or the channel for a page-wide post)."""
    if slot.units > 1:
        return f"{slot.title} · {slot.units} {units_word}"
    return f"{slot.title} · {slot.channel}"


def _minutes(session: Session, found: Iterable[Slot]) -> dict[str, float]:
    """Each campaign's slot length in minutes (one query for the distinct campaigns)."""
    ids = sorted({s.campaign_id for s in found})
    if not ids:
        return {}
    rows = session.execute(select(Campaign.id, Campaign.spec).where(Campaign.id.in_(ids)))
    out: dict[str, float] = {}
    for cid, spec in rows:
        value = (spec or {}).get("slot_minutes")
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            out[cid] = float(value)
    return out


def feed(
    session: Session,
    p: scope.Principal,
    filters: CalFilters,
    now: datetime,
    tz: ZoneInfo,
    desk_url: str = "",
) -> bytes:
    """The calendar of what `p` may see, from DAYS_BACK before `now` to DAYS_AHEAD after."""
    found = slots(
        session, p, filters, now - timedelta(days=DAYS_BACK), now + timedelta(days=DAYS_AHEAD)
    )
    minutes = _minutes(session, found)
    cal = Calendar()
    cal.add("prodid", "-//bantin//Lich dang bai//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Lịch đăng bài bantin")
    cal.add("x-wr-timezone", str(tz.key))
    suffix = "".join(f".{k}-{v}" for k, v in sorted(filters.query().items()) if k != "agency")
    for slot in found:
        cal.add_component(_event(slot, now, tz, minutes, suffix, desk_url))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _event(
    slot: Slot, now: datetime, tz: ZoneInfo, minutes: dict[str, float], suffix: str, desk_url: str
) -> Event:
    ev = Event()
    ev.add("uid", slot.uid(suffix))
    ev.add("dtstamp", now)
    start = slot.local(tz)
    ev.add("dtstart", start)
    ev.add("dtend", start + timedelta(minutes=minutes.get(slot.campaign_id, DEFAULT_MINUTES)))
    ev.add("summary", summary(slot))
    ev.add("description", f"{slot.title}\nKênh: {slot.channel}\n{counts_text(slot)}")
    ev.add("categories", [STATE_WORDS.get(slot.state, slot.state)])
    if desk_url:
        query = {"view": "agenda", "day": start.date().isoformat()}
        query.update(campaign=slot.campaign_id, channel=slot.channel)
        ev.add("url", f"{desk_url}/lich?{urlencode(query)}")
    ev.add("transp", "TRANSPARENT")  # a publication does not make anyone busy
    return ev
