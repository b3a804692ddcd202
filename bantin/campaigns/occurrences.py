"""When a campaign publishes: its schedule expanded into UTC instants within a window.

Cron and rrule are read in the campaign's own time zone (05:30 means 05:30 in Vĩnh
Long), blackout days are local dates, and the period's end day is inclusive.

Expansion starts at the window, not at the period start: dateutil always iterates from
DTSTART, so an rrule is re-anchored to a DTSTART just before the window that keeps its
phase (a whole number of INTERVALs later). Only a rule with COUNT, which counts from the
period start, is iterated from there; COUNT is capped at validation.
"""

from __future__ import annotations

import datetime as _dt
import types
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from itertools import islice, pairwise
from typing import Any, cast

from apscheduler.triggers.cron import CronTrigger
from dateutil.rrule import (
    DAILY,
    HOURLY,
    MINUTELY,
    MONTHLY,
    SECONDLY,
    WEEKLY,
    YEARLY,
    rrule,
    rrulestr,
)

from bantin.campaigns.spec import CampaignSpec, ScheduleEntry

_UNIT_SECONDS = {SECONDLY: 1, MINUTELY: 60, HOURLY: 3600, DAILY: 86400, WEEKLY: 7 * 86400}


def period_bounds(spec: CampaignSpec) -> tuple[datetime, datetime]:
    """[start, end) of the campaign period as aware UTC datetimes."""
    tz = spec.tz
    start = datetime.combine(spec.period.start, time(0), tz)
    end = datetime.combine(spec.period.end + timedelta(days=1), time(0), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def _cron_times(expr: str, spec: CampaignSpec, lo: datetime, hi: datetime) -> Iterator[datetime]:
    trigger = CronTrigger.from_crontab(expr, timezone=spec.tz)
    # An impossible day (`0 0 31 2 *`) would be searched for until the year 9999.
    trigger.end_date = hi.astimezone(spec.tz)
    # Ask for the first fire time at or after `lo`: APScheduler fires strictly after `prev`.
    fire = trigger.get_next_fire_time(None, lo.astimezone(spec.tz))
    while fire is not None and fire < hi:
        yield fire.astimezone(UTC)
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))


_ITER: Any = cast(Any, rrule)._iter  # dateutil's own iterator, run bounded below


def _bounded(rule: rrule, last_year: int) -> Iterator[datetime]:
    """Iterate `rule`, giving up after `last_year`.

    dateutil looks for the next occurrence of a rule that can never match
    (`BYMONTH=2;BYMONTHDAY=30`) until the year 9999, and it checks UNTIL only on a
    match: a MINUTELY rule then costs most of a minute. Its own iterator, run with the
    last year it may reach lowered to ours, stops there.
    """
    limited = types.SimpleNamespace(MAXYEAR=last_year, date=_dt.date, datetime=_dt.datetime)
    scope = {**_ITER.__globals__, "datetime": limited}
    run = types.FunctionType(_ITER.__code__, scope, "_iter", _ITER.__defaults__)
    it: Iterator[datetime] = run(rule)
    return it


def reanchor(rule: rrule, dtstart: datetime, lo: datetime) -> rrule:
    """The same rule with a DTSTART a whole number of periods later, just before `lo`.

    Wall-clock arithmetic in the campaign's zone, as dateutil's own. Defaults dateutil
    derives from DTSTART (the day of month, the month) are made explicit first, so the
    new DTSTART (the 1st of a month) does not change them.
    """
    r: Any = rule  # dateutil keeps FREQ, INTERVAL and COUNT only in private attributes
    freq, interval = r._freq, r._interval
    if r._count is not None:
        return rule
    if freq in _UNIT_SECONDS:
        span = (lo.replace(tzinfo=None) - dtstart.replace(tzinfo=None)).total_seconds()
        step = _UNIT_SECONDS[freq] * interval
        periods = int(span // step) - 1
        if periods < 1:
            return rule
        return rule.replace(dtstart=dtstart + timedelta(seconds=periods * step))
    months = (lo.year - dtstart.year) * 12 + lo.month - dtstart.month
    step = interval * (12 if freq == YEARLY else 1)
    periods = months // step - 1
    if periods < 1 or freq not in (MONTHLY, YEARLY):
        return rule
    m = dtstart.month - 1 + periods * step
    new = dtstart.replace(year=dtstart.year + m // 12, month=m % 12 + 1, day=1)
    given = r._original_rule
    keep: dict[str, int] = {}
    day_rules = ("byweekno", "byyearday", "bymonthday", "byweekday", "byeaster")
    if not any(given.get(k) for k in day_rules):
        keep["bymonthday"] = dtstart.day
        if freq == YEARLY and not given.get("bymonth"):
            keep["bymonth"] = dtstart.month
    out: rrule = r.replace(dtstart=new, **keep)
    return out


def _rrule_times(rule: str, spec: CampaignSpec, lo: datetime, hi: datetime) -> Iterator[datetime]:
    tz = spec.tz
    dtstart = datetime.combine(spec.period.start, time(0), tz)
    parsed = rrulestr(rule, dtstart=dtstart)
    local_lo, local_hi = lo.astimezone(tz), hi.astimezone(tz)
    found: Iterator[datetime] = iter(parsed)
    if isinstance(parsed, rrule):
        found = _bounded(reanchor(parsed, dtstart, local_lo), local_hi.year)
    for occ in found:  # from the (re-anchored) DTSTART, so only a period or two early
        occ = occ if occ.tzinfo else occ.replace(tzinfo=tz)
        if occ >= local_hi:
            return
        if occ >= local_lo:
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


def _window(
    spec: CampaignSpec, window_start: datetime, window_end: datetime
) -> tuple[datetime, datetime]:
    p_start, p_end = period_bounds(spec)
    return max(window_start, p_start), min(window_end, p_end)


def _kept(
    entry: ScheduleEntry, spec: CampaignSpec, lo: datetime, hi: datetime
) -> Iterator[datetime]:
    """One entry's due times in [lo, hi), ascending, outside blackout days."""
    tz = spec.tz
    for t in _entry_times(entry, spec, lo, hi):
        local_day = t.astimezone(tz).date()
        if not any(b.covers(local_day) for b in spec.blackout):
            yield t.replace(microsecond=0)


def iter_times(
    spec: CampaignSpec, window_start: datetime, window_end: datetime
) -> Iterator[datetime]:
    """Due times in the window, entry by entry (not sorted, may repeat across entries)."""
    lo, hi = _window(spec, window_start, window_end)
    if lo >= hi:
        return
    for entry in spec.schedule:
        yield from _kept(entry, spec, lo, hi)


def first_time(spec: CampaignSpec, within: timedelta = timedelta(days=400)) -> datetime | None:
    """The campaign's first due time (within `within` of its start), found without
    expanding the rest: each entry's times come in order."""
    lo, hi = period_bounds(spec)
    hi = min(hi, lo + within)
    firsts = [next(_kept(e, spec, lo, hi), None) for e in spec.schedule]
    found = [t for t in firsts if t is not None]
    return min(found) if found else None


def occurrences(spec: CampaignSpec, window_start: datetime, window_end: datetime) -> list[datetime]:
    """Sorted, de-duplicated UTC due times in [window_start, window_end) ∩ the period."""
    return sorted(set(iter_times(spec, window_start, window_end)))


def count_times(
    spec: CampaignSpec, window_start: datetime, window_end: datetime, ceiling: int
) -> int:
    """How many distinct due times the window has, stopping once past `ceiling`."""
    seen: set[datetime] = set()
    for t in iter_times(spec, window_start, window_end):
        seen.add(t)
        if len(seen) > ceiling:
            break
    return len(seen)


def shortest_gap(entry: ScheduleEntry, spec: CampaignSpec, sample: int = 200) -> timedelta | None:
    """The shortest gap between the first `sample` times of one cron or rrule entry.

    Cron and rrule patterns repeat by the hour, day, week or month, so their densest
    stretch shows within the first few hundred times.
    """
    if entry.at is not None:
        return None
    lo, hi = period_bounds(spec)
    times = list(islice(_entry_times(entry, spec, lo, hi), sample))
    gaps = [b - a for a, b in pairwise(times)]
    return min(gaps) if gaps else None
