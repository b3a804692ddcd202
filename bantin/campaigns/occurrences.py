"""When a campaign publishes: its schedule expanded into UTC instants within a window.

Cron and rrule are read in the campaign's own time zone (05:30 means 05:30 in Vĩnh
Long), blackout days are local dates, and the period's end day is inclusive.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

from apscheduler.triggers.cron import CronTrigger
from dateutil.rrule import rrulestr

from bantin.campaigns.spec import CampaignSpec, ScheduleEntry


def period_bounds(spec: CampaignSpec) -> tuple[datetime, datetime]:
    """[start, end) of the campaign period as aware UTC datetimes."""
    tz = spec.tz
    start = datetime.combine(spec.period.start, time(0), tz)
    end = datetime.combine(spec.period.end + timedelta(days=1), time(0), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def _cron_times(expr: str, spec: CampaignSpec, lo: datetime, hi: datetime) -> Iterator[datetime]:
    trigger = CronTrigger.from_crontab(expr, timezone=spec.tz)
    # Ask for the first fire time at or after `lo`: APScheduler fires strictly after `prev`.
    fire = trigger.get_next_fire_time(None, lo.astimezone(spec.tz))
    while fire is not None and fire < hi:
        yield fire.astimezone(UTC)
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))


def _rrule_times(rule: str, spec: CampaignSpec, lo: datetime, hi: datetime) -> Iterator[datetime]:
    tz = spec.tz
    dtstart = datetime.combine(spec.period.start, time(0), tz)
    parsed = rrulestr(rule, dtstart=dtstart)
    local_lo, local_hi = lo.astimezone(tz), hi.astimezone(tz)
    for occ in parsed.between(local_lo, local_hi, inc=True):
        occ = occ if occ.tzinfo else occ.replace(tzinfo=tz)
        if occ < local_hi:
            yield occ.astimezone(UTC)


def _entry_times(
    entry: ScheduleEntry, spec: CampaignSpec, lo: datetime, hi: datetime
) -> Iterator[datetime]:
    if entry.cron is not None:
        yield from _cron_times(entry.cron, spec, lo, hi)
    elif entry.rrule is not None:
        yield from _rrule_times(entry.rrule, spec, lo, hi)
    elif entry.at is not None:
        at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=spec.tz)
        if lo <= at < hi:
            yield at.astimezone(UTC)


def occurrences(spec: CampaignSpec, window_start: datetime, window_end: datetime) -> list[datetime]:
    """Sorted, de-duplicated UTC due times in [window_start, window_end) ∩ the period."""
    p_start, p_end = period_bounds(spec)
    lo, hi = max(window_start, p_start), min(window_end, p_end)
    if lo >= hi:
        return []
    tz = spec.tz
    found: set[datetime] = set()
    for entry in spec.schedule:
        for t in _entry_times(entry, spec, lo, hi):
            local_day = t.astimezone(tz).date()
            if not any(b.covers(local_day) for b in spec.blackout):
                found.add(t.replace(microsecond=0))
    return sorted(found)
