"""Reports at scale: one agency's annual report and the year's coverage report over
1,000,000 publications (with their attempts and receipts) on SQLite, against the naive
way — loading the rows into Python and counting them there — in the same run.

The data are written with raw executemany (benchmarks/reports_data.py). Each side runs
`--repeat` times and the best time is kept, so a busy neighbour on a shared machine
does not decide the result.

Usage: python benchmarks/reports.py [--rows 1000000] [--repeat 3] [--keep DIR]
Goal (issue 5): each report in ≤ 1 s; the ratio says how much the SQL aggregation buys.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reports_data import NOW, TZ, build

from bantin.core.db import Database
from bantin.core.models import BroadcastReceipt, Campaign, Publication
from bantin.records.agencies import Agencies
from bantin.records.reports import (
    Context,
    build_annual_report,
    build_coverage_report,
    render,
)
from bantin.records.reports.periods import year_period

AGENCY, YEAR = "COMMUNES", 2026


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def annual_sql(db: Database) -> Any:
    with db.session() as s:
        return build_annual_report(Context(s, TZ, NOW), AGENCY, YEAR)


def coverage_sql(db: Database) -> Any:
    with db.session() as s:
        return build_coverage_report(Context(s, TZ, NOW), YEAR)


def _local_month(dt: Any) -> str:
    return dt.astimezone(TZ).strftime("%Y-%m")


def annual_naive(db: Database) -> Counter[tuple[str, ...]]:
    """The same counts as the annual report's figures, by loading every row."""
    period = year_period(YEAR, TZ)
    with db.session() as s:
        codes = sorted(Agencies.load(s).lineage(AGENCY))
        counts: Counter[tuple[str, ...]] = Counter()
        pubs = s.scalars(
            select(Publication).where(
                Publication.agency_code.in_(codes),
                Publication.due_at >= period.start,
                Publication.due_at < period.end,
            )
        )
        for p in pubs:
            key = (p.agency_code, p.task_code, p.channel_name, _local_month(p.due_at))
            counts[(*key, p.status)] += 1
            if p.status == "published" and (p.lateness_seconds or 0) >= 60:
                counts[(*key, "late")] += 1
        receipts = s.scalars(
            select(BroadcastReceipt).where(
                BroadcastReceipt.agency_code.in_(codes),
                BroadcastReceipt.aired_at >= period.start,
                BroadcastReceipt.aired_at < period.end,
            )
        )
        for r in receipts:
            counts[(r.agency_code or "", "receipts")] += 1
        return counts


def coverage_naive(db: Database) -> dict[str, tuple[int, int]]:
    """Units reached and confirmed per month, by loading every radio row of the year."""
    period = year_period(YEAR, TZ)
    with db.session() as s:
        reached: dict[str, set[str]] = {}
        confirmed: dict[str, set[str]] = {}
        pubs = s.scalars(
            select(Publication)
            .join(Campaign, Campaign.id == Publication.campaign_id)
            .where(
                Campaign.kind == "radio_script",
                Publication.due_at >= period.start,
                Publication.due_at < period.end,
            )
        )
        for p in pubs:
            if p.status == "published" and p.unit_code:
                reached.setdefault(_local_month(p.due_at), set()).add(p.unit_code)
        receipts = s.scalars(
            select(BroadcastReceipt).where(
                BroadcastReceipt.aired_at >= period.start, BroadcastReceipt.aired_at < period.end
            )
        )
        for r in receipts:
            confirmed.setdefault(_local_month(r.aired_at), set()).add(r.unit_code)
        months = set(reached) | set(confirmed)
        return {m: (len(reached.get(m, ())), len(confirmed.get(m, ()))) for m in sorted(months)}


def check(annual: Any, naive: Counter[tuple[str, ...]], coverage: Any, cov: Any) -> None:
    """Both ways must agree, or the timing compares different work."""
    published = sum(n for k, n in naive.items() if k[-1] == "published")
    assert annual.table("tasks").footer["published"] == published, "annual: published differs"
    for row in coverage.table("months").rows:
        got = (row["units_reached"], row["units_confirmed"])
        assert got == cov.get(row["month"], (0, 0)), f"coverage differs in {row['month']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="publications to generate")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best kept)")
    parser.add_argument("--keep", type=Path, default=None, help="build the database here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "reports-bench.db"
        path.unlink(missing_ok=True)
        t0 = time.perf_counter()
        counts = build(path, args.rows)
        print(
            f"data: {counts['publications']:,} publications, {counts['attempts']:,} attempts, "
            f"{counts['receipts']:,} receipts (SQLite, built in {time.perf_counter() - t0:.0f} s)"
        )
        db = Database(f"sqlite:///{path}")
        t_annual, annual = best(lambda: annual_sql(db), args.repeat)
        t_cov, coverage = best(lambda: coverage_sql(db), args.repeat)
        t_annual_naive, naive = best(lambda: annual_naive(db), 1)
        t_cov_naive, cov = best(lambda: coverage_naive(db), 1)
        check(annual, naive, coverage, cov)
        t_html, _ = best(lambda: render(annual, "html"), 1)
        t_pdf, _ = best(lambda: render(annual, "pdf"), 1)
        db.dispose()
    print(f"as of {NOW.astimezone(UTC):%Y-%m-%d %H:%M} UTC; best of {args.repeat} for SQL")
    for label, ours, theirs in (
        (f"annual report {AGENCY} {YEAR}", t_annual, t_annual_naive),
        (f"coverage report {YEAR}", t_cov, t_cov_naive),
    ):
        verdict = "met" if ours <= 1.0 else "NOT met"
        print(
            f"{label:<28} SQL {ours:6.3f} s   naive {theirs:7.3f} s   "
            f"ratio {theirs / ours:6.1f}x   goal <= 1 s: {verdict}"
        )
    print(f"rendering the annual report: html {t_html:.2f} s, pdf {t_pdf:.2f} s (not in the goal)")


if __name__ == "__main__":
    main()
