"""Agency output: per agency × task × channel × local month, what was planned and what
became of it; and the other records each agency leaves (delivery attempts, approvals,
broadcast receipts, entries of the outside feeds it follows).

Everything is counted by GROUP BY in the database, walking the indexes of migration 0003
in order; Python only pivots and rolls up the few hundred aggregated rows.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bantin.core.models import BroadcastReceipt, Feed, FeedEntry, Publication
from bantin.core.states import OUTCOMES
from bantin.records.agencies import Agencies
from bantin.records.reports.periods import Period, local_month

# A publication is "late" when it went out at least this long after its due time: under a
# minute is the dispatcher's normal pick-up delay, not lateness a person should see.
LATE_SECONDS = 60
COUNTS = ("planned", "published", "late", "missed", "failed", "unknown", "pending")
FINAL = OUTCOMES
ACTIVITY_KEYS = ("planned", "published", "approved", "attempts", "receipts", "feed_entries")


def output_counts(
    session: Session, period: Period, codes: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """Counts per (agency of record, task, channel, local month of the due time).

    `planned` is every publication not cancelled, `pending` those not final yet, so
    planned = published + missed + failed + unknown + pending. `attempts` sums
    `publication.attempts`, written in the same transaction as each delivery_attempt
    row, which counts the attempt rows without joining a table as large again.
    """
    p = Publication
    month = local_month(p.due_at, session.get_bind().dialect.name, period.tz)
    keys = (p.agency_code, month, p.task_code, p.channel_name, p.status)
    q = (
        select(
            *keys,
            func.count(),
            func.sum(case((p.lateness_seconds >= LATE_SECONDS, 1), else_=0)),
            func.count(p.approved_at),
            func.sum(p.attempts),
        )
        .where(period.month_filter(month))
        .group_by(*keys)
    )
    if codes is not None:
        q = q.where(p.agency_code.in_(sorted(codes)))
    table: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for agency, mon, task, channel, status, n, late, approved, attempts in session.execute(q):
        row = table.setdefault(
            (agency, task, channel, mon),
            {
                "agency_code": agency,
                "task": task,
                "channel": channel,
                "month": mon,
                **dict.fromkeys(COUNTS, 0),
                "approved": 0,
                "attempts": 0,
            },
        )
        if status != "cancelled":
            row["planned"] += n
            row[status if status in FINAL else "pending"] += n
        if status == "published":
            row["late"] += int(late or 0)
        row["approved"] += approved
        row["attempts"] += int(attempts or 0)
    return list(table.values())


def receipt_counts(
    session: Session, period: Period, codes: Collection[str] | None = None
) -> dict[str, int]:
    """Broadcast receipts per agency of record, by the local month they were aired.

    A receipt carries the agency of the publication it confirms; one without (recorded
    before that, or for no publication) falls back to its publication's agency.
    """
    r, p = BroadcastReceipt, Publication
    month = local_month(r.aired_at, session.get_bind().dialect.name, period.tz)
    named = (
        select(r.agency_code, func.count())
        .where(r.agency_code.is_not(None), period.month_filter(month))
        .group_by(r.agency_code)
    )
    if codes is not None:
        named = named.where(r.agency_code.in_(sorted(codes)))
    out: dict[str, int] = {str(a): n for a, n in session.execute(named)}
    unnamed = (
        select(p.agency_code, func.count())
        .select_from(r)
        .join(p, p.id == r.publication_id)
        .where(r.agency_code.is_(None), period.month_filter(month))
        .group_by(p.agency_code)
    )
    for agency, n in session.execute(unnamed):
        if codes is None or agency in codes:
            out[agency] = out.get(agency, 0) + n
    return out


def feed_counts(
    session: Session, period: Period, codes: Collection[str] | None = None
) -> dict[str, int]:
    """Entries fetched from outside feeds in the period, per agency that follows the feed."""
    q = (
        select(Feed.agency_code, func.count(FeedEntry.id))
        .join(Feed, Feed.name == FeedEntry.feed_name)
        .where(
            Feed.agency_code.is_not(None),
            FeedEntry.fetched_at >= period.start,
            FeedEntry.fetched_at < period.end,
        )
        .group_by(Feed.agency_code)
    )
    if codes is not None:
        q = q.where(Feed.agency_code.in_(sorted(codes)))
    return {str(a): n for a, n in session.execute(q)}


def roll_up(
    rows: list[dict[str, Any]], agencies: Agencies, rollup: bool = True
) -> list[dict[str, Any]]:
    """Give each row `agency` (who answers for it now) beside `original_agency`."""
    for row in rows:
        original = row.pop("agency_code")
        row["original_agency"] = original
        row["agency"] = agencies.current(original) if rollup else original
    return rows


def activity(
    session: Session,
    period: Period,
    agencies: Agencies,
    counts: list[dict[str, Any]],
    codes: Collection[str] | None = None,
    rollup: bool = True,
) -> list[dict[str, Any]]:
    """Every kind of record per agency of record, from the output `counts` already made
    plus broadcast receipts and feed entries."""
    table: dict[str, dict[str, int]] = {}

    def bump(code: str, key: str, n: int) -> None:
        table.setdefault(code, dict.fromkeys(ACTIVITY_KEYS, 0))[key] += int(n or 0)

    for row in counts:
        for key in ("planned", "published", "approved", "attempts"):
            bump(row["original_agency"], key, row[key])
    for code, n in receipt_counts(session, period, codes).items():
        bump(code, "receipts", n)
    for code, n in feed_counts(session, period, codes).items():
        bump(code, "feed_entries", n)
    rows = roll_up([{"agency_code": c, **v} for c, v in table.items()], agencies, rollup)
    return sorted(rows, key=lambda r: (r["agency"], r["original_agency"]))


def totals(rows: list[dict[str, Any]], keys: Collection[str] = COUNTS) -> dict[str, int]:
    """Column sums of aggregated rows (a handful of rows, never the publications)."""
    return {k: sum(int(r.get(k) or 0) for r in rows) for k in keys}
