"""Dispatch throughput: 10,000 due publications, 8 workers, on webhook channels (loopback
sink answering at once) and on file outbox channels, against what the hardware allows in
the same run: a bare `requests.Session` keep-alive client per thread posting the same
bodies with the same concurrency, and a bare file writer with fsync, same threads.

The rows are made due a minute ago (apply with an earlier `now`), so the drain starts at
once; the rate is publications settled per second of bantin's real Dispatcher passes.

Usage: python benchmarks/throughput.py [--runs 3] [--quick] [--n 10000]
Goal (issue 11): >= 50% of the bare client.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
from common import Goal, Report, parser, repeat, size

WORKERS = 8


def bantin_rate(folder: Path, n: int, url: str) -> tuple[float, int]:
    """Publications per second through bantin; and the exact count."""
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    db, settings, total = harness.setup(folder, n, url, due)
    try:
        seconds = harness.drain(db, settings, total, timeout=1800)
        done = harness.count_pubs(db, ("published",))
    finally:
        db.engine.dispose()
    return done / seconds, total


def _parallel(items: list[harness.Hit], work: Callable[[harness.Hit, int], None]) -> float:
    """Items per second with WORKERS threads pulling from one list."""
    lock = threading.Lock()
    cursor = [0]

    def worker() -> None:
        while True:
            with lock:
                i = cursor[0]
                cursor[0] += 1
            if i >= len(items):
                return
            work(items[i], i)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        for f in [pool.submit(worker) for _ in range(WORKERS)]:
            f.result()
    return len(items) / (time.perf_counter() - t0)


def bare_client(sink: harness.Sink, bodies: list[harness.Hit]) -> float:
    local = threading.local()
    url = sink.url("/bare")

    def send(hit: harness.Hit, _i: int) -> None:
        session = getattr(local, "s", None) or requests.Session()
        local.s = session
        session.post(url, data=hit.body, headers=hit.headers, timeout=30).raise_for_status()

    return _parallel(bodies, send)


def channel_kit(sink: harness.Sink, bodies: list[harness.Hit]) -> float:
    """The webhook channel alone (signing, the kit's pooled session), no database: what
    the HTTP part of a send costs against the bare client, same bodies and threads."""
    from bantin.channels import open_channel
    from bantin.channels.webhook import WebhookChannel

    ch = open_channel(
        "kit", harness.webhook_url(sink).replace("{i}", "kit").format(secret=harness.SECRET_ENV)
    )
    assert isinstance(ch, WebhookChannel)
    docs = [json.loads(hit.body) for hit in bodies]

    def send(_hit: harness.Hit, i: int) -> None:
        ch.send_json(docs[i], f"kit-{i}")

    try:
        return _parallel(bodies, send)
    finally:
        ch.close()


def bare_files(folder: Path, bodies: list[harness.Hit]) -> float:
    folder.mkdir(parents=True, exist_ok=True)

    def write(hit: harness.Hit, i: int) -> None:
        with open(folder / f"{i:06d}.json", "wb") as fh:
            fh.write(hit.body)
            fh.flush()
            os.fsync(fh.fileno())

    return _parallel(bodies, write)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parser(__doc__, n=10000).parse_args(argv)
    harness.prepare_env()
    n = size(args, "n", 10000, 20)
    report = Report("throughput", args, {"n": n, "workers": WORKERS})
    with harness.sink(0.0) as sink, tempfile.TemporaryDirectory() as tmp:

        def one_run(i: int) -> dict[str, float]:
            base = Path(tmp) / f"run-{i}"
            sink.reset()
            hook, total = bantin_rate(base / "hook", n, harness.webhook_url(sink))
            bodies = sink.reset()
            outbox, _ = bantin_rate(base / "outbox", n, "outbox://outbox/{i}")
            return {
                "bantin webhook": hook,
                "bare requests.Session": bare_client(sink, bodies),
                "bantin channel kit": channel_kit(sink, bodies),
                "bantin outbox": outbox,
                "bare file writer + fsync": bare_files(base / "bare", bodies),
                "publications": float(total),
            }

        runs = repeat(one_run, args.runs)
    half = Goal("≥ 50% of the bare client", "ratio_ge", 0.5)
    report.add("webhook: bare requests.Session", "/s", runs["bare requests.Session"],
               better="higher")  # fmt: skip
    report.add("webhook: bantin", "/s", runs["bantin webhook"], better="higher",
               baseline="webhook: bare requests.Session", goal=half)  # fmt: skip
    report.add("webhook: channel kit only (no database)", "/s", runs["bantin channel kit"],
               better="higher", baseline="webhook: bare requests.Session",
               goal=Goal("no HTTP stall: ≈ 1× the bare client"))  # fmt: skip
    report.add("outbox: bare file writer + fsync", "/s", runs["bare file writer + fsync"],
               better="higher")  # fmt: skip
    report.add("outbox: bantin", "/s", runs["bantin outbox"], better="higher",
               baseline="outbox: bare file writer + fsync",
               goal=Goal("(none; issue: as webhook)"))  # fmt: skip
    report.notes.append(
        f"{int(runs['publications'][0])} publications per side; the baselines send the bodies "
        f"bantin sent, {WORKERS} threads; rate = published / drain seconds"
    )
    return report.finish()


if __name__ == "__main__":
    main()
