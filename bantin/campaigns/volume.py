"""How many publications a campaign asks for, checked before any row is written.

Counting walks the due times once (never the rows: times × targets × channels is a
product) and stops past a ceiling, so a hostile schedule costs milliseconds to refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bantin.campaigns import limits
from bantin.campaigns.occurrences import count_times, period_bounds, shortest_gap
from bantin.campaigns.spec import CampaignSpec

Add = Callable[[tuple[str | int, ...], str], None]


def _describe(gap: timedelta) -> str:
    seconds = int(gap.total_seconds())
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{seconds // 60} minute{'s' if seconds >= 120 else ''}"


def check_intervals(spec: CampaignSpec, add: Add) -> bool:
    """Each cron or rrule entry fires at most once every MIN_INTERVAL; False if not."""
    ok = True
    for i, entry in enumerate(spec.schedule):
        gap = shortest_gap(entry, spec)
        if gap is not None and gap < limits.MIN_INTERVAL:
            field = "cron" if entry.cron is not None else "rrule"
            add(
                ("schedule", i, field),
                f"fires every {_describe(gap)}; the shortest interval allowed is "
                f"{_describe(limits.MIN_INTERVAL)}",
            )
            ok = False
    return ok


def volume_problem(
    spec: CampaignSpec, targets: Sequence[str | None], lo: datetime, hi: datetime
) -> str | None:
    """Why the campaign would make too many publications in [lo, hi), or None."""
    cap = limits.max_publications()
    per_time = max(len(targets), 1) * max(len(spec.channels), 1)
    p_start, p_end = period_bounds(spec)
    lo, hi = max(lo, p_start), min(hi, p_end)
    if lo >= hi:
        return None
    ceiling = limits.MAX_COUNTED_TIMES
    times = count_times(spec, lo, hi, ceiling)
    total = times * per_time
    if total <= cap:
        return None
    days = -(-(hi - lo) // timedelta(days=1))
    more = "more than " if times > ceiling else ""
    return (
        f"this campaign would make {more}{total:,} publications in {days} days "
        f"({times:,} times × {len(targets)} target(s) × {len(spec.channels)} channel(s)); "
        f"the limit is {cap:,} (setting {limits.MAX_PUBLICATIONS_ENV})"
    )


def check(spec: CampaignSpec, targets: Sequence[str | None], add: Add) -> None:
    """Validation's share: intervals, then the count over the first window of the period."""
    if not check_intervals(spec, add):
        return
    start, _ = period_bounds(spec)
    problem = volume_problem(
        spec, targets, start, start + timedelta(days=limits.VALIDATE_WINDOW_DAYS)
    )
    if problem:
        add(("schedule",), problem)
