"""Fixtures the benchmarks share: a loopback HTTP sink, a bantin database set up with
bantin's own library (migrate, plan, channels, a campaign file, apply), and the drain loop
that runs bantin's real Dispatcher on the real clock, as `bantin run` does.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bantin.campaigns.service import apply_files
from bantin.channels.service import add_channel
from bantin.config import Settings, load_settings
from bantin.core.clock import SystemClock
from bantin.core.db import Database
from bantin.core.models import Publication
from bantin.dispatch import Dispatcher
from bantin.migrate import upgrade
from bantin.plan.loader import load_plan

SECRET_ENV = "BANTIN_BENCH_SECRET"
UNITS_ALL = 124  # `targets: all` in the bundled plan
UNITS_PILOT = 5  # `targets: group:thi-diem`
TERMINAL = ("published", "failed", "missed", "unknown", "cancelled")


def prepare_env() -> None:
    """The webhook secret, and loopback allowed for outbound requests (the sink is there).
    Called by each benchmark's main, not at import, so importing this module changes nothing."""
    os.environ.setdefault(SECRET_ENV, "bench-secret")
    os.environ["BANTIN_OUTBOUND_ALLOW"] = "127.0.0.0/8"


@dataclass
class Hit:
    at: float
    key: str
    body: bytes
    headers: dict[str, str]


@dataclass
class SinkState:
    """A threaded HTTP/1.1 server on 127.0.0.1 that records each POST and answers 200
    after `delay` seconds (keep-alive, Nagle off, as a real receiver would run)."""

    delay: float = 0.0
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reset(self) -> list[Hit]:
        with self.lock:
            old, self.hits = self.hits, []
        return old

    def duplicates(self) -> int:
        keys = [h.key for h in self.hits]
        return len(keys) - len(set(keys))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        sink = self.server.sink
        keep = ("Content-Type", "Idempotency-Key", "X-Bantin-Signature", "X-Bantin-Timestamp")
        hit = Hit(time.time(), self.headers.get("Idempotency-Key") or "", body,
                  {k: v for k in keep if (v := self.headers.get(k))})  # fmt: skip
        with sink.lock:
            sink.hits.append(hit)
        if sink.delay:
            time.sleep(sink.delay)
        answer = b'{"id": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def __init__(self, sink: SinkState) -> None:
        self.sink = sink
        super().__init__(("127.0.0.1", 0), _Handler)


@contextmanager
def sink(delay: float = 0.0) -> Iterator[Sink]:
    """A sink in its own process, as a receiver is in life: its request parsing does not
    take the measured process's interpreter lock (in the same process it cost bantin and
    the baselines alike about a third of their CPU)."""
    parent, child = mp.get_context("spawn").Pipe()
    proc = mp.get_context("spawn").Process(
        target=_serve, args=(child, delay), daemon=True, name="sink"
    )
    proc.start()
    s = Sink(delay, int(parent.recv()), parent)
    try:
        yield s
    finally:
        parent.send("stop")
        proc.join(10)
        if proc.is_alive():
            proc.kill()


class Sink:
    """The measuring process's handle on a sink process: `hits` and `reset` ask it for
    what its `SinkState` recorded, over a pipe."""

    def __init__(self, delay: float, port: int, conn: Any) -> None:
        self.delay, self.port, self.conn = delay, port, conn

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reset(self) -> list[Hit]:
        self.conn.send("reset")
        return list(self.conn.recv())

    @property
    def hits(self) -> list[Hit]:
        self.conn.send("hits")
        return list(self.conn.recv())

    def duplicates(self) -> int:
        keys = [h.key for h in self.hits]
        return len(keys) - len(set(keys))


def _serve(conn: Any, delay: float) -> None:
    """The sink process: serve until told to stop; answer `reset` and `hits`."""
    s = SinkState(delay)
    server = _Server(s)
    threading.Thread(target=server.serve_forever, daemon=True, name="sink").start()
    conn.send(server.server_address[1])
    while (order := conn.recv()) != "stop":
        conn.send(s.reset() if order == "reset" else list(s.hits))
    server.shutdown()
    server.server_close()


def channels_for(n: int) -> tuple[str, int]:
    """(targets, channel count) giving about `n` publications in one `at:` (2,000 -> 1,984)."""
    if n >= UNITS_ALL:
        return "all", max(1, round(n / UNITS_ALL))
    return "group:thi-diem", max(1, math.ceil(n / UNITS_PILOT))


def campaign_yaml(at: datetime, targets: str, channels: list[str]) -> str:
    local = at.astimezone()
    day = local.date()
    return "\n".join(
        [
            "id: bench-burst",
            "title: Bench burst",
            'task: "1.3"',
            "agency: COMMUNES",
            "kind: radio_script",
            f"period: {{start: {day - timedelta(days=1)}, end: {day + timedelta(days=1)}}}",
            "schedule:",
            f"  - at: {local.isoformat(timespec='seconds')}",
            f"targets: {targets}",
            f"channels: [{', '.join(channels)}]",
            "template: radio/ban-tin-demo.txt.j2",
            "",
        ]
    )


def setup(
    home: Path, n: int, base_url: str, at: datetime, db_url: str | None = None
) -> tuple[Database, Settings, int]:
    """A bantin database with about `n` publications all due at `at`, through the library:
    migrate, plan, N channels (`webhook+http://...` or `outbox://...`), one campaign file,
    apply. Returns the database, its settings and the exact number of publications."""
    home.mkdir(parents=True, exist_ok=True)
    settings = load_settings(db_url=db_url, home=home)
    db = Database(settings.db_url)
    upgrade(db)
    made = datetime.now(UTC) - timedelta(minutes=5) if at < datetime.now(UTC) else None
    now = made or datetime.now(UTC)
    with db.session() as s:
        load_plan(s, now, actor="bench")
    targets, count = channels_for(n)
    names = [f"bench-{i:02d}" for i in range(count)]
    with db.session() as s:
        for i, name in enumerate(names):
            url = base_url.format(i=i, secret=SECRET_ENV)
            add_channel(s, name, url, "COMMUNES", now, "bench", replace=True, home=home)
    path = home / "campaigns" / "bench-burst.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(campaign_yaml(at, targets, names), encoding="utf-8")
    apply_files(db, [path], now, timedelta(days=2), "bench", home)
    return db, settings, count_pubs(db)


def webhook_url(sink_: Sink) -> str:
    return f"webhook+{sink_.url('/hook/{i}')}?secret=env:{{secret}}"


def count_pubs(db: Database, statuses: tuple[str, ...] | None = None) -> int:
    q = select(func.count()).select_from(Publication)
    if statuses:
        q = q.where(Publication.status.in_(statuses))
    with db.session() as s:
        return int(s.scalar(q) or 0)


def drain(db: Database, settings: Settings, total: int, timeout: float) -> float:
    """Run the real Dispatcher (real clock) until every publication is settled, waking as
    `bantin run` does: at `next_wakeup` (which is `dispatch_lead_seconds` before the first
    due row: bantin.ahead). Seconds from the first pass."""
    dispatcher = Dispatcher(db, settings, SystemClock(), f"bench:{os.getpid()}")
    wake = dispatcher.next_wakeup(datetime.now(UTC))
    if wake is not None:
        time.sleep(max(0.0, wake.timestamp() - time.time()))
    t0 = time.perf_counter()
    try:
        while time.perf_counter() - t0 < timeout:
            stats = dispatcher.run_pass()
            if count_pubs(db, TERMINAL) >= total:
                break
            if not stats.claimed:
                time.sleep(0.05)
    finally:
        dispatcher.close()
    return time.perf_counter() - t0
