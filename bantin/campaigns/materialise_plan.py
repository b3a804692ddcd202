"""The decisions of materialisation, apart from the database: which rows are new, which
are stale (to cancel), which come back, which must be rendered and approved again.

Pure functions over plain values, so every rule is a table test (tests/campaigns/
test_materialise_plan.py) and `materialise` only reads rows, asks here, and applies.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bantin.core import statemachine

CHUNK = 5000  # new rows, and rows already there judged, per write transaction
MAX_SLICE = timedelta(days=31)  # and at most a month of the window per transaction
SCHEDULE_CANCEL = "no longer in the campaign's schedule"

Key = tuple[str, str | None, datetime]  # (channel, unit, due_at): a publication's place


@dataclass(frozen=True)
class ExistingRow:
    """What the plan needs to know of a row already in the window."""

    id: int
    channel: str
    unit: str | None
    due_at: datetime
    status: str
    content_hash: str | None
    status_reason: str | None

    @property
    def key(self) -> Key:
        return (self.channel, self.unit, self.due_at)


@dataclass(frozen=True)
class SlicePlan:
    """What to do in one slice: rows to insert (in due order) and row ids to move."""

    new: list[Key]
    stale: list[int]
    revive: list[int]
    rerender: list[int]


def desired_keys(
    channels: Iterable[str], units: Iterable[str | None], times: Iterable[datetime]
) -> set[Key]:
    """Every place the campaign publishes at these times: channels × targets × times."""
    chs, us = list(channels), list(units)
    return {(ch, u, t) for t in times for ch in chs for u in us}


def plan_slice(desired: set[Key], existing: Iterable[ExistingRow], content_hash: str) -> SlicePlan:
    """Compare the desired places with the unsent or cancelled rows that exist there.

    Only rows this very mechanism cancelled come back; a reviewer's rejection or a
    cancelled campaign is a person's decision and stays. A rendered-but-unsent row whose
    text came from an older version of the campaign goes back to be rendered again."""
    have = {r.key: r for r in existing}
    stale = [r.id for k, r in have.items() if k not in desired and r.status in statemachine.UNSENT]
    revive = [
        r.id
        for k, r in have.items()
        if k in desired and r.status == "cancelled" and r.status_reason == SCHEDULE_CANCEL
    ]
    rerender = [
        r.id
        for k, r in have.items()
        if k in desired
        and r.status in ("pending_approval", "approved")
        and r.content_hash is not None
        and r.content_hash != content_hash
    ]
    new = sorted((k for k in desired if k not in have), key=lambda k: (k[2], k[0], k[1] or ""))
    return SlicePlan(new, stale, revive, rerender)


def slices(
    times: Sequence[datetime], lo: datetime, hi: datetime, per_time: int
) -> Iterator[tuple[datetime, datetime, Sequence[datetime]]]:
    """Cover [lo, hi) with consecutive slices of at most MAX_SLICE and about CHUNK new
    rows, so each write transaction stays short (`cut` bounds the rows already there)."""
    start = lo
    while start < hi:
        end, part = next_slice(times, start, hi, per_time)
        yield start, end, part
        start = end


def next_slice(
    times: Sequence[datetime], lo: datetime, hi: datetime, per_time: int
) -> tuple[datetime, Sequence[datetime]]:
    """The end of the slice starting at `lo` and its due times (`times` sorted): at most
    MAX_SLICE of the window and about CHUNK new rows (a due time's rows stay together)."""
    most = max(1, CHUNK // max(per_time, 1))
    i = bisect_left(times, lo)
    end = min(hi, lo + MAX_SLICE)
    j = bisect_left(times, end, lo=i)
    if j - i > most:
        j = i + most
        end = times[j]
    return end, times[i:j]


def cut(existing_due: Sequence[datetime], lo: datetime, hi: datetime) -> datetime:
    """Where a slice [lo, hi) ends so that it judges at most CHUNK rows already there,
    given the due times of up to CHUNK + 1 of them in due order: `hi` when they fit,
    else the first due time past CHUNK rows. Rows due at `lo` itself are never split
    from each other, so a slice always moves on."""
    if len(existing_due) <= CHUNK:
        return hi
    first_over = existing_due[CHUNK]
    return first_over if first_over > lo else hi
