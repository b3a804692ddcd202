"""The morning burst: about 2,000 webhook publications due in the same second, drained by
bantin's real Dispatcher (real clock, as `bantin run` does) to a loopback sink answering at
once and after 50 ms, against APScheduler 3 with one date job per publication posting the
same bodies with requests (SQLite and memory job stores, misfire grace default 1 s and
None), all in one run.

Lateness is the sink's arrival time minus the due second; drain time is the last arrival
minus the due second. APScheduler's missed jobs are counted as dropped. bantin sleeps until
the due second and then starts its passes (what the runner's date job does).

Usage: python benchmarks/burst.py [--runs 3] [--quick] [--n 2000]
Goal (issue 11): drain >= 3x faster than APScheduler-SQLite, p99 lateness <= 1 s, 0 dropped.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
from common import Goal, Report, parser, percentile, repeat, size

from bantin.config import Settings

#: bantin's default dispatch_workers (bantin.config.Settings); APScheduler gets the same
#: pool, so both keep as many posts in flight (8 until the default became 32).
WORKERS = Settings.__dataclass_fields__["dispatch_workers"].default
STORES = ("sqlite", "memory")
GRACES: dict[str, int | None] = {"grace1s": 1, "graceNone": None}
_local = threading.local()


def post(url: str, headers: dict[str, str], body: bytes) -> None:
    """The APScheduler job: one POST on this worker thread's keep-alive session."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    session.post(url, data=body, headers=headers, timeout=30).raise_for_status()


def lateness(hits: list[harness.Hit], due: float, total: int) -> dict[str, float]:
    late = [h.at - due for h in hits]
    return {
        "drain": max(late) if late else float("nan"),
        "p50": percentile(late, 50),
        "p99": percentile(late, 99),
        "dropped": float(total - len({h.key for h in hits})),
        "early": float(sum(1 for x in late if x < 0)),
    }


def bantin_burst(sink: harness.Sink, n: int, folder: Path) -> tuple[dict[str, float], list[Any]]:
    """Set up `n` publications due a few seconds ahead (more when setting up overran the
    due second on a busy machine), wait for it, drain with the real Dispatcher."""
    for attempt in range(4):
        lead = (1.5 + n * 0.002) * 2**attempt
        # A whole second: campaign times are written to the second.
        due = (datetime.now(UTC) + timedelta(seconds=lead)).replace(microsecond=0)
        due += timedelta(seconds=1)
        db, settings, total = harness.setup(folder / f"try-{attempt}", n,
                                            harness.webhook_url(sink), due)  # fmt: skip
        if time.time() < due.timestamp():
            break
        db.engine.dispose()
    else:
        raise RuntimeError(f"setting up {n} publications overran a {lead:.0f} s lead")
    sink.reset()
    harness.drain(db, settings, total, timeout=600)  # wakes when `bantin run` would
    db.engine.dispose()
    hits = sink.reset()
    return lateness(hits, due.timestamp(), total), hits


def aps_burst(
    sink: harness.Sink, bodies: list[harness.Hit], store: str, grace: int | None, folder: Path
) -> dict[str, float]:
    """One date job per publication; counts what APScheduler reports missed. The jobs are
    added with the scheduler paused; on a busy machine the lead grows and it tries again."""
    for attempt in range(4):
        lead = (0.5 + len(bodies) * (0.006 if store == "sqlite" else 0.0005)) * 2**attempt
        got = _aps_once(sink, bodies, store, grace, folder, lead)
        if got is not None:
            return got
    raise RuntimeError(f"adding {len(bodies)} APScheduler jobs overran a {lead:.0f} s lead")


def _aps_once(
    sink: harness.Sink,
    bodies: list[harness.Hit],
    store: str,
    grace: int | None,
    folder: Path,
    lead: float,
) -> dict[str, float] | None:
    jobstore = (
        SQLAlchemyJobStore(url=f"sqlite:///{folder / f'jobs-{time.monotonic_ns()}.db'}")
        if store == "sqlite"
        else MemoryJobStore()
    )
    defaults = {} if grace == 1 else {"misfire_grace_time": grace}  # APScheduler 3's default
    sched = BackgroundScheduler(
        jobstores={"default": jobstore},
        executors={"default": ThreadPoolExecutor(WORKERS)},
        job_defaults=defaults,
        timezone="UTC",
    )
    done = threading.Semaphore(0)
    missed = [0]

    def listen(event: JobEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            missed[0] += 1
        done.release()

    sched.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    due = datetime.now(UTC) + timedelta(seconds=lead)
    sched.start(paused=True)
    for i, hit in enumerate(bodies):
        path = f"/hook/aps-{i % 64}"
        sched.add_job(post, "date", run_date=due, args=[sink.url(path), hit.headers, hit.body],
                      id=f"pub-{i}")  # fmt: skip
    if time.time() > due.timestamp():
        sched.shutdown(wait=False)
        return None
    sink.reset()
    sched.resume()
    deadline = time.monotonic() + 600
    for _ in bodies:
        if not done.acquire(timeout=max(0.0, deadline - time.monotonic())):
            break
    sched.shutdown(wait=True)
    figures = lateness(sink.reset(), due.timestamp(), len(bodies))
    figures["dropped"] = float(missed[0])
    return figures


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parser(__doc__, n=2000).parse_args(argv)
    harness.prepare_env()
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # a line per missed job: counted
    n = size(args, "n", 2000, 20)
    report = Report("burst", args, {"n": n, "workers": WORKERS})
    for delay in (0.0, 0.05):
        tag = f"sink {delay * 1000:.0f}ms"
        with harness.sink(delay) as sink, tempfile.TemporaryDirectory() as tmp:

            def one_run(i: int, sink: harness.Sink = sink, tmp: str = tmp) -> dict[str, float]:
                figures, hits = bantin_burst(sink, n, Path(tmp) / f"bantin-{i}")
                out = {f"bantin {k}": v for k, v in figures.items()}
                for store in STORES:
                    for gname, grace in GRACES.items():
                        aps = aps_burst(sink, hits, store, grace, Path(tmp))
                        out.update({f"aps-{store}-{gname} {k}": v for k, v in aps.items()})
                return out

            _declare(report, tag, repeat(one_run, args.runs))
    report.notes.append(
        "lateness = sink arrival - due second; APScheduler posts the bodies bantin sent, "
        f"{WORKERS} threads, one keep-alive requests.Session per thread"
    )
    return report.finish()


def _declare(report: Report, tag: str, runs: dict[str, list[float]]) -> None:
    base = f"{tag}: APScheduler sqlite graceNone drain"
    for store in STORES:
        for gname in GRACES:
            key = f"aps-{store}-{gname}"
            report.add(f"{tag}: APScheduler {store} {gname} drain", "s", runs[f"{key} drain"])
            report.add(f"{tag}: APScheduler {store} {gname} p99", "s", runs[f"{key} p99"])
            report.add(f"{tag}: APScheduler {store} {gname} dropped", "", runs[f"{key} dropped"])
    report.add(f"{tag}: bantin drain", "s", runs["bantin drain"], baseline=base,
               goal=Goal("≥ 3× faster than APScheduler-SQLite", "ratio_ge", 3.0))  # fmt: skip
    report.add(f"{tag}: bantin p50 lateness", "s", runs["bantin p50"])
    report.add(f"{tag}: bantin p99 lateness", "s", runs["bantin p99"],
               baseline=f"{tag}: APScheduler sqlite graceNone p99",
               goal=Goal("≤ 1 s", "le", 1.0))  # fmt: skip
    report.add(f"{tag}: bantin dropped", "", runs["bantin dropped"], goal=Goal("0", "le", 0))
    report.add(f"{tag}: bantin sent before the due second", "", runs["bantin early"],
               goal=Goal("0", "le", 0))  # fmt: skip


if __name__ == "__main__":
    main()
