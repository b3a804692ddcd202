"""How much one campaign file may ask for, so no file can stall validation or the runner.

The numbers are deliberately far above what the province's plan needs (a year of every
example campaign is about 10^5 publications in all) and low enough that validating,
materialising and dispatching any accepted file stays quick:

- the period lies within `EARLIEST`..`LATEST` and spans at most `MAX_PERIOD_YEARS`;
- one cron or rrule entry fires at most once every `MIN_INTERVAL`;
- a campaign makes at most `max_publications()` publications in any materialisation
  window (35 days by default), counted without building the list of rows.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
MAX_PERIOD_YEARS = 10
MIN_INTERVAL = timedelta(minutes=5)
DEFAULT_MAX_PUBLICATIONS = 200_000
MAX_PUBLICATIONS_ENV = "BANTIN_MAX_PUBLICATIONS_PER_CAMPAIGN"
VALIDATE_WINDOW_DAYS = 35
# Occurrence times counted before giving up on an exact figure (each entry fires at most
# every MIN_INTERVAL, so 35 days of one entry is about 10^4).
MAX_COUNTED_TIMES = 100_000


def max_publications() -> int:
    """The per-campaign cap: BANTIN_MAX_PUBLICATIONS_PER_CAMPAIGN, else 200,000."""
    raw = os.environ.get(MAX_PUBLICATIONS_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_PUBLICATIONS
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{MAX_PUBLICATIONS_ENV}={raw!r} is not a whole number") from None
    return max(value, 1)


def period_problem(start: date, end: date) -> str | None:
    """Why a campaign period is out of range, or None."""
    if start < EARLIEST or end > LATEST:
        return (
            f"period {start.isoformat()}..{end.isoformat()} is outside "
            f"{EARLIEST.isoformat()}..{LATEST.isoformat()}"
        )
    if (end - start).days > MAX_PERIOD_YEARS * 366:
        return (
            f"period {start.isoformat()}..{end.isoformat()} is longer than "
            f"{MAX_PERIOD_YEARS} years; split it into several campaigns"
        )
    return None
