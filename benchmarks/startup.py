"""Start-up and scale: `bantin --version` and `bantin schedule --limit 5` wall time (fresh
subprocesses), and with 1,000,000 publications stored in SQLite (startup_data.py, cached
under benchmarks/.cache/): `bantin run` time to ready and its peak RSS, a claim of 64
rows with half of the rows due (Dispatcher.claim called directly; the median of five
claims after a process's first, which is reported beside it: see claim_ms),
`schedule --limit 20` and `records summary`.

The CLI figures are wall time (what a person waits) and, beside them, the child's CPU
seconds (user + system), which a loaded machine inflates far less: with 8 agents on 2
cores the wall time of the same run varies 2-3x. bantin's modules are byte-compiled
first, as `pip install` leaves them: with PYTHONDONTWRITEBYTECODE set (as on the shared
machine) every start would otherwise compile them from source.

Ready means the first "next dispatch at" (or "nothing due") log line; peak RSS is the
kernel's VmHWM of the process at that moment. A run that is not ready within the timeout
is recorded at the timeout and said so in the notes.

Usage: python benchmarks/startup.py [--runs 3] [--quick] [--rows 1000000]
Goals (issue 11): start <= 0.3 s; with 1,000,000 rows: ready <= 5 s and <= 200 MiB,
claim <= 5 ms, schedule --limit 20 <= 0.3 s.
"""

from __future__ import annotations

import compileall
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
import startup_data
from common import Goal, Report, parser, repeat, size

from bantin.config import load_settings
from bantin.core.clock import SystemClock
from bantin.core.db import Database
from bantin.dispatch import Dispatcher

HERE = Path(__file__).resolve().parent

READY = ("next dispatch at", "nothing due")

#: (measure key, which home, argv) of the CLI commands timed in each run.
CLI_RUNS = [
    ("version", "small", ("--version",)),
    ("help", "small", ("--help",)),
    ("schedule5", "small", ("schedule", "--limit", "5")),
    ("schedule20", "big", ("schedule", "--limit", "20")),
    ("summary", "big", ("records", "summary")),
]


def _env(home: Path) -> dict[str, str]:
    path = os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "BANTIN_HOME": str(home), "PYTHONPATH": path}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(home: Path, *argv: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `bantin ARGV` in a fresh interpreter, as a user
    would run it."""
    t0, c0 = time.perf_counter(), _children_cpu()
    subprocess.run([sys.executable, "-m", "bantin", *argv], env=_env(home), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - t0, _children_cpu() - c0


def _peak_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def run_ready(home: Path, timeout: float) -> tuple[float, float, bool]:
    """(seconds to ready, peak RSS MiB, ready?) of `bantin run` on `home`."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bantin", "run", "--for", str(timeout + 30)],
                            env=_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    ready = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if any(word in line for word in READY):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    peak, deadline = 0.0, t0 + timeout
    while not ready.is_set() and time.perf_counter() < deadline and proc.poll() is None:
        peak = max(peak, _peak_mib(proc.pid))
        ready.wait(0.02)
    seconds = time.perf_counter() - t0
    peak = max(peak, _peak_mib(proc.pid))
    proc.kill()
    proc.wait()
    return seconds, peak, ready.is_set()


def claim_ms(home: Path, half_due: datetime, steady: int = 5) -> tuple[float, float]:
    """(first, steady) Dispatcher.claim of a batch (64) with half the rows due, milliseconds.

    The first claim that moves rows in a process also compiles SQLAlchemy's statements for
    the move and the audit append (an empty claim compiles only the reads), and the
    interpreter has not yet specialised the code: `bantin run` pays that once at start. The
    goal is about the claims a running dispatcher makes on every pass, so the measure is
    the median of the `steady` claims after the first, each one claim of 64; the first is
    reported beside it."""
    settings = load_settings(home=home)
    db = Database(settings.db_url)
    dispatcher = Dispatcher(db, settings, SystemClock(), f"bench:{os.getpid()}")
    try:
        dispatcher.claim(datetime(2000, 1, 1, tzinfo=UTC))  # connect: not timed
        times = []
        for _ in range(1 + steady):
            t0 = time.perf_counter()
            dispatcher.claim(half_due)
            times.append((time.perf_counter() - t0) * 1000)
        return times[0], statistics.median(times[1:])
    finally:
        dispatcher.close()
        db.engine.dispose()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parser(__doc__, rows=1_000_000, timeout=120).parse_args(argv)
    harness.prepare_env()
    rows = size(args, "rows", 1_000_000, 2000)
    timeout = size(args, "timeout", 120, 30)
    report = Report("startup", args, {"rows": rows})
    compileall.compile_dir(HERE.parent / "bantin", quiet=1)  # as an installed package has it
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    t0 = time.perf_counter()
    big = startup_data.cached(args.cache, rows, tomorrow)
    report.notes.append(f"{big.name}: ready in {time.perf_counter() - t0:.1f} s (built or cached)")
    half = startup_data.due_at(big, rows // 2)
    late: list[int] = []
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "small"
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        harness.setup(small, 20, "outbox://outbox/{i}", due)[0].engine.dispose()
        shared = startup_data.copy_home(big, Path(tmp) / "big")

        def one_run(i: int) -> dict[str, float]:
            out: dict[str, float] = {}
            for key, home, argv in CLI_RUNS:
                out[key], out[f"{key}-cpu"] = timed(small if home == "small" else shared, *argv)
            out["claim-first"], out["claim"] = claim_ms(shared, half)
            own = startup_data.copy_home(big, Path(tmp) / f"run-{i}")
            out["ready"], out["rss"], ok = run_ready(own, timeout)
            (own / "bantin.db").unlink()
            if not ok:
                late.append(i)
            return out

        runs = repeat(one_run, args.runs)
    start = Goal("≤ 0.3 s", "le", 0.3)
    report.add("bantin --version", "s", runs["version"], goal=start)
    report.add("bantin --help", "s", runs["help"], goal=start)
    report.add("bantin schedule --limit 5 (small db)", "s", runs["schedule5"], goal=start)
    report.add(f"{rows} rows: bantin run ready", "s", runs["ready"], goal=Goal("≤ 5 s", "le", 5))
    report.add(f"{rows} rows: bantin run peak RSS", "MiB", runs["rss"],
               goal=Goal("≤ 200 MiB", "le", 200))  # fmt: skip
    report.add(f"{rows} rows: claim of 64, half due (running)", "ms", runs["claim"],
               goal=Goal("≤ 5 ms", "le", 5))  # fmt: skip
    report.add(f"{rows} rows: a process's first claim of 64 (compiles)", "ms",
               runs["claim-first"])  # fmt: skip
    report.add(f"{rows} rows: schedule --limit 20", "s", runs["schedule20"], goal=start)
    report.add(f"{rows} rows: records summary", "s", runs["summary"])
    for key, home, argv in CLI_RUNS:
        where = "small db" if home == "small" else f"{rows} rows"
        report.add(f"CPU: bantin {' '.join(argv)} ({where})", "s", runs[f"{key}-cpu"])
    if late:
        report.notes.append(f"bantin run not ready within {timeout:.0f} s in runs {late}")
    return report.finish()


if __name__ == "__main__":
    main()
