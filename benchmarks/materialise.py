"""Materialising a year of the bundled examples vs. one APScheduler job per publication.

Both run in this process, on SQLite files in a temporary folder, so the ratio holds
however fast the machine is. The APScheduler side adds a sample of date jobs to its
SQLAlchemyJobStore and extrapolates to the same count (said in the output); adding all
100,000 would take minutes and prove nothing more.

Validating the files (schema, plan references, sample renders) happens once per apply and
is printed separately; the ratio compares writing the publications with adding the jobs.

Usage: python benchmarks/materialise.py [--sample 3000]
Goal (issue 2): bantin materialises >= 50x faster.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from bantin.campaigns.materialise import materialise, upsert_campaign
from bantin.campaigns.service import validate_files
from bantin.channels.service import add_channel
from bantin.core.db import Database
from bantin.core.models import Publication
from bantin.migrate import upgrade
from bantin.plan.loader import DATA, load_plan

START = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 1/1/2027 00:00 in Vĩnh Long
CHANNELS = [
    ("baovl-fanpage", "outbox://outbox/baovl-fanpage", "BAOVL"),
    ("baovl-portal", "outbox://outbox/baovl-portal", "BAOVL"),
    ("loa-xa", "outbox://outbox/loa-xa", "COMMUNES"),
]


def noop() -> None:
    """The job APScheduler would run; never called here."""


def bantin_year(folder: Path) -> tuple[int, float]:
    db = Database(f"sqlite:///{folder / 'bantin.db'}")
    upgrade(db)
    with db.session() as s:
        load_plan(s, START)
        for name, url, agency in CHANNELS:
            add_channel(s, name, url, agency, START, "bench", home=folder)
    files = sorted((DATA / "campaigns").glob("*.yaml"))
    with db.session() as s:
        t0 = time.perf_counter()
        validated = validate_files(s, files, folder)
        checked = time.perf_counter() - t0
    t0 = time.perf_counter()
    paused = 0.0
    for v in validated:
        with db.session() as s:
            campaign, _ = upsert_campaign(s, v, START, "bench")
        paused += materialise(db, campaign.id, START, timedelta(days=365), "bench").paused
    elapsed = time.perf_counter() - t0
    print(
        f"validating the example files (schema, plan, sample renders): {checked:.2f} s "
        "(once per apply, not per publication; not in the ratio)"
    )
    print(
        f"of which paused between slices for other writers (SQLite): {paused:.2f} s "
        f"(in the ratio; without the pauses {elapsed - paused:.2f} s)"
    )
    with db.session() as s:
        count = s.scalar(select(func.count()).select_from(Publication)) or 0
    db.dispose()
    return count, elapsed


def apscheduler_sample(folder: Path, sample: int) -> float:
    store = SQLAlchemyJobStore(url=f"sqlite:///{folder / 'jobs.db'}")
    scheduler = BackgroundScheduler(jobstores={"default": store}, timezone="Asia/Ho_Chi_Minh")
    scheduler.start(paused=True)
    t0 = time.perf_counter()
    for i in range(sample):
        run_at = START + timedelta(minutes=i)
        scheduler.add_job(noop, "date", run_date=run_at, id=f"pub-{i}", misfire_grace_time=None)
    elapsed = time.perf_counter() - t0
    scheduler.shutdown(wait=False)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=3000, help="APScheduler jobs to add")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        count, ours = bantin_year(folder)
        sampled = apscheduler_sample(folder, args.sample)
    theirs = sampled / args.sample * count
    our_rate, their_rate = count / ours, args.sample / sampled
    print(f"publications for one year of the examples: {count:,}")
    print(f"bantin materialise:      {ours:8.2f} s  {our_rate:12,.0f} publications/s")
    print(
        f"APScheduler add_job:     {theirs:8.2f} s  {their_rate:12,.0f} jobs/s "
        f"(SQLAlchemyJobStore on SQLite; {args.sample:,} added, extrapolated to {count:,})"
    )
    ratio = our_rate / their_rate
    print(f"ratio: {ratio:.0f}x faster (goal >= 50x): {'met' if ratio >= 50 else 'NOT met'}")
    if count < 100_000:
        print("warning: fewer than 100,000 publications; the examples have changed")


if __name__ == "__main__":
    main()
