"""The publication calendar: which time window a view shows, and the publications in it
grouped per campaign slot, for the desk's /lich pages and the iCalendar feed alike.

A month of 124 communes × 2 bulletins a day is ~7,000 rows: a day cell listing them one
by one is unreadable, and an iCalendar feed with 7,000 events floods a phone. So rows are
grouped in SQL per (campaign, channel, due time) with counts per state — one `Slot` —
and only the agenda view lists single publications (with a LIMIT).

Every query takes the asker's `Principal` and applies `scope.publications(p)`; the date
arithmetic is pure and tested with tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from bantin.accounts import scope
from bantin.core.models import (
    PUBLICATION_STATES,
    Agency,
    Campaign,
    Channel,
    Publication,
    Task,
    Unit,
)

VIEWS = ("month", "week", "agenda")
#: The state a group is coloured by: the most urgent one among its rows comes first.
STATE_ORDER = (
    "failed",
    "unknown",
    "missed",
    "retry_wait",
    "pending_approval",
    "sending",
    "claimed",
    "approved",
    "planned",
    "published",
    "cancelled",
)
WEEKDAYS = {
    "vi": ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
AGENDA_LIMIT = 300
SLOT_LIMIT = 5000  # (campaign, channel, time) groups in one window: a month has ~100s


@dataclass(frozen=True)
class CalFilters:
    """The calendar's GET form; empty values mean "any"."""

    agency: str | None = None
    channel: str | None = None
    unit: str | None = None
    task: str | None = None
    state: str | None = None
    campaign: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> CalFilters:
        """From request arguments: unknown states are ignored, values trimmed and capped."""

        def val(name: str) -> str | None:
            v = (args.get(name) or "").strip()[:64]
            return v or None

        state = val("state")
        return cls(
            agency=val("agency"),
            channel=val("channel"),
            unit=val("unit"),
            task=val("task"),
            state=state if state in PUBLICATION_STATES else None,
            campaign=val("campaign"),
        )

    def conditions(self) -> list[ColumnElement[bool]]:
        pairs: list[tuple[Any, str | None]] = [
            (Publication.agency_code, self.agency),
            (Publication.channel_name, self.channel),
            (Publication.unit_code, self.unit),
            (Publication.task_code, self.task),
            (Publication.campaign_id, self.campaign),
        ]
        found = [col == value for col, value in pairs if value]
        # `status IN (...)` always: it lets the (status, due_at) index serve the time range
        # for people who see every agency (the same trick as the loudspeaker feed).
        found.append(Publication.status.in_([self.state] if self.state else PUBLICATION_STATES))
        return found

    def query(self) -> dict[str, str]:
        """The non-empty filters, for links that keep them."""
        return {k: v for k, v in vars(self).items() if v}


# -- the window a view shows (pure) ---------------------------------------------------


def window(view: str, anchor: date) -> tuple[date, date]:
    """[first day, day after the last) shown by `view` around `anchor`: whole Monday-first
    weeks covering the month, the Monday-first week, or the day itself (agenda: one day
    of one campaign is already 124 communes × 2 bulletins)."""
    if view == "month":
        first = anchor.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        start = first - timedelta(days=first.weekday())
        end = nxt + timedelta(days=(7 - nxt.weekday()) % 7)
        return start, end
    if view == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=7)
    return anchor, anchor + timedelta(days=1)


def step(view: str, anchor: date, direction: int) -> date:
    """The anchor of the previous (-1) or next (+1) page of `view`."""
    if view == "month":
        month = anchor.year * 12 + anchor.month - 1 + direction
        return date(month // 12, month % 12 + 1, 1)
    return anchor + timedelta(days=(7 if view == "week" else 1) * direction)


def weeks(start: date, end: date) -> list[list[date]]:
    """The days of [start, end) in rows of seven (a month grid)."""
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    return [days[i : i + 7] for i in range(0, len(days), 7)]


def utc_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnights of `start` and `end` as UTC instants (how due times are stored)."""
    return (
        datetime.combine(start, time.min, tzinfo=tz).astimezone(UTC),
        datetime.combine(end, time.min, tzinfo=tz).astimezone(UTC),
    )


def day_label(d: date, lang: str = "vi") -> str:
    """ "Thứ Năm, 03/12/2026", as officials write a date with its weekday."""
    return f"{WEEKDAYS.get(lang, WEEKDAYS['vi'])[d.weekday()]}, {d:%d/%m/%Y}"


def parse_day(text: str | None, default: date) -> date:
    """`YYYY-MM-DD` from a URL, or `default` when missing or not a real date."""
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


# -- grouped slots ----------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """The publications of one campaign on one channel at one due time."""

    campaign_id: str
    title: str
    channel: str
    due_at: datetime  # UTC
    counts: dict[str, int] = field(default_factory=dict)
    units: int = 0  # how many of them are for a unit (a commune) rather than page-wide
    only_id: int | None = None  # the publication, when the slot has exactly one

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def state(self) -> str:
        """The state the slot is coloured and labelled by (the most urgent present)."""
        return next((s for s in STATE_ORDER if self.counts.get(s)), "planned")

    def local(self, tz: ZoneInfo) -> datetime:
        return self.due_at.astimezone(tz)

    def uid(self, suffix: str = "") -> str:
        """Stable across feed fetches: the same slot always has the same UID."""
        stamp = self.due_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"{self.campaign_id}.{self.channel}.{stamp}{suffix}@bantin"


class Found(list[Slot]):
    """Slots, and whether the query hit its LIMIT (the page then says it is partial)."""

    cut: bool = False


def fold(rows: Iterable[tuple[str, str, str, datetime, str, int, int, int]]) -> list[Slot]:
    """(campaign, title, channel, due, status, count, unit count, min id) rows -> slots."""
    acc: dict[tuple[str, str, datetime], dict[str, Any]] = {}
    for campaign, title, channel, due, status, n, n_units, min_id in rows:
        entry = acc.setdefault(
            (campaign, channel, due), {"title": title, "counts": {}, "units": 0, "ids": []}
        )
        entry["counts"][status] = entry["counts"].get(status, 0) + n
        entry["units"] += n_units
        entry["ids"].append(min_id)
    slots = []
    for (campaign, channel, due), e in acc.items():
        total = sum(e["counts"].values())
        only = e["ids"][0] if total == 1 else None
        slots.append(Slot(campaign, e["title"], channel, due, e["counts"], e["units"], only))
    slots.sort(key=lambda s: (s.due_at, s.title, s.channel))
    return slots


def slots(
    session: Session,
    p: scope.Principal,
    filters: CalFilters,
    start: datetime,
    end: datetime,
    limit: int = SLOT_LIMIT,
) -> Found:
    """The slots `p` may see due in [start, end), grouped in SQL (one statement)."""
    q = (
        select(
            Publication.campaign_id,
            Campaign.title,
            Publication.channel_name,
            Publication.due_at,
            Publication.status,
            func.count(),
            func.count(Publication.unit_code),
            func.min(Publication.id),
        )
        .join(Campaign, Campaign.id == Publication.campaign_id)
        .where(
            scope.publications(p),
            Publication.due_at >= start,
            Publication.due_at < end,
            *filters.conditions(),
        )
        .group_by(
            Publication.campaign_id,
            Campaign.title,
            Publication.channel_name,
            Publication.due_at,
            Publication.status,
        )
        .limit(limit)
    )
    rows = session.execute(q).all()
    found = Found(fold(rows))
    found.cut = len(rows) >= limit
    return found


def by_day(found: Iterable[Slot], tz: ZoneInfo) -> dict[date, list[Slot]]:
    """Slots keyed by their local day, in time order within a day."""
    days: dict[date, list[Slot]] = {}
    for s in found:
        days.setdefault(s.local(tz).date(), []).append(s)
    return days


# -- the agenda: single publications ---------------------------------------------------


def agenda(
    session: Session,
    p: scope.Principal,
    filters: CalFilters,
    start: datetime,
    end: datetime,
    limit: int = AGENDA_LIMIT,
) -> list[dict[str, Any]]:
    """Single publications in time order (at most `limit`; the page says when cut)."""
    q = (
        select(
            Publication.id,
            Publication.due_at,
            Publication.status,
            Publication.channel_name,
            Publication.title,
            Campaign.title,
            Unit.name,
        )
        .join(Campaign, Campaign.id == Publication.campaign_id)
        .outerjoin(Unit, Unit.code == Publication.unit_code)
        .where(
            scope.publications(p),
            Publication.due_at >= start,
            Publication.due_at < end,
            *filters.conditions(),
        )
        .order_by(Publication.due_at, Unit.sort_key, Publication.id)
        .limit(limit)
    )
    return [
        {
            "id": pid,
            "due_at": due,
            "status": status,
            "channel": channel,
            "title": title or campaign_title,
            "campaign": campaign_title,
            "unit": unit_name,
        }
        for pid, due, status, channel, title, campaign_title, unit_name in session.execute(q)
    ]


def options(
    session: Session, p: scope.Principal, start: datetime, end: datetime
) -> dict[str, list[tuple[str, str]]]:
    """(value, label) choices of the filter form that `p` may pick from. Culture staff
    see no agency's channel list: only the channels their communes' rows use in the
    window shown (a bounded query), so the form names nothing they may not see."""
    agencies = select(Agency.code, Agency.name).order_by(Agency.code)
    channels: Any = select(Channel.name, Channel.name).order_by(Channel.name)
    units = select(Unit.code, Unit.name).order_by(Unit.sort_key)
    if p.role == "culture":
        units = units.where(Unit.code.in_(sorted(p.units)))
        used = (
            select(Publication.channel_name)
            .where(
                scope.publications(p),
                Publication.status.in_(PUBLICATION_STATES),
                Publication.due_at >= start,
                Publication.due_at < end,
            )
            .distinct()
        )
        channels = select(Channel.name, Channel.name).where(Channel.name.in_(used))
    elif not p.sees_everything:
        channels = channels.where(Channel.agency_code == (p.agency or ""))
    tasks = select(Task.code, Task.title).order_by(Task.code)
    return {
        "agency": [(c, n) for c, n in session.execute(agencies)] if p.sees_everything else [],
        "channel": [(c, n) for c, n in session.execute(channels.order_by(Channel.name))],
        "unit": [(c, n) for c, n in session.execute(units)],
        "task": [(c, n) for c, n in session.execute(tasks)],
        "state": [(s, s) for s in STATE_ORDER],
    }
