"""Schedules expand from the window, not from the period start (issue 8, item 10)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from dateutil.rrule import rrulestr

from bantin.campaigns.occurrences import occurrences, period_bounds
from bantin.campaigns.spec import CampaignSpec


def spec(rule: str, start: date, end: date) -> CampaignSpec:
    data: dict[str, Any] = {
        "id": "x",
        "title": "x",
        "task": "1.1",
        "agency": "BAOVL",
        "period": {"start": start, "end": end},
        "schedule": [{"rrule": rule}],
        "channels": ["c"],
        "template": "t.j2",
    }
    return CampaignSpec.model_validate(data)


def reference(s: CampaignSpec, lo: datetime, hi: datetime) -> list[datetime]:
    """Expansion the slow way: dateutil from the period start."""
    start, _ = period_bounds(s)
    assert s.schedule[0].rrule is not None
    rule = rrulestr(s.schedule[0].rrule, dtstart=start.astimezone(s.tz))
    out = rule.between(lo.astimezone(s.tz), hi.astimezone(s.tz), inc=True)
    return [o.astimezone(UTC) for o in out if o < hi]


def test_a_dense_rule_late_in_a_long_period_expands_quickly() -> None:
    s = spec("FREQ=MINUTELY;INTERVAL=5", date(2000, 1, 1), date(2009, 12, 31))
    lo = datetime(2009, 12, 1, tzinfo=UTC)
    started = time.monotonic()
    times = occurrences(s, lo, lo + timedelta(days=1))
    assert time.monotonic() - started < 0.5
    assert len(times) == 288


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;INTERVAL=3;BYHOUR=7;BYMINUTE=0",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;BYHOUR=6;BYMINUTE=30",
        "FREQ=HOURLY;INTERVAL=5",
        "FREQ=MINUTELY;INTERVAL=47",
        "FREQ=MONTHLY;INTERVAL=5",
        "FREQ=MONTHLY;BYDAY=1FR;BYHOUR=9;BYMINUTE=0",
        "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=-1;BYHOUR=17",
        "FREQ=YEARLY;INTERVAL=2",
        "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU;BYHOUR=8",
        "FREQ=DAILY;COUNT=900;BYHOUR=5;BYMINUTE=30",
    ],
)
def test_re_anchored_expansion_matches_the_full_one(rule: str) -> None:
    s = spec(rule, date(2026, 1, 31), date(2029, 12, 31))
    lo = datetime(2028, 3, 14, 9, 0, tzinfo=UTC)
    hi = lo + timedelta(days=70)
    assert occurrences(s, lo, hi) == reference(s, lo, hi)
