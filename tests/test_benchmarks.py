"""The benchmark harness works: each benchmark's `--quick --runs 1` path runs on tiny sizes
and writes valid JSON with its measures, and the shared arithmetic (ratios, goals, the
comparison with the previous run) says what it should. No timing is asserted: the figures
belong to `make bench`, not to the suite."""

from __future__ import annotations

import json
import sys
from argparse import Namespace
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import burst
import common
import scaleout
import startup
import throughput

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def bench_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmarks set these for themselves; monkeypatch gives them back afterwards."""
    monkeypatch.setenv("BANTIN_OUTBOUND_ALLOW", "127.0.0.0/8")
    monkeypatch.setenv("BANTIN_BENCH_SECRET", "bench-secret")


def _run(main: Callable[[list[str]], Any], tmp_path: Path, *extra: str) -> dict[str, Any]:
    args = ["--quick", "--runs", "1", "--results", str(tmp_path / "results")]
    main([*args, "--cache", str(tmp_path / "cache"), *extra])
    latest = json.loads((tmp_path / "results" / "latest.json").read_text(encoding="utf-8"))
    stamped = [p for p in (tmp_path / "results").glob("*-*.json")]
    assert len(stamped) == 1
    assert json.loads(stamped[0].read_text(encoding="utf-8")) == next(iter(latest.values()))
    return next(iter(latest.values()))


def test_burst_measures_bantin_and_every_apscheduler_variant(tmp_path: Path) -> None:
    result = _run(burst.main, tmp_path, "--n", "10")
    names = {m["name"] for m in result["measures"]}
    assert "sink 0ms: bantin drain" in names
    assert "sink 50ms: APScheduler memory grace1s dropped" in names
    drain = next(m for m in result["measures"] if m["name"] == "sink 0ms: bantin drain")
    assert drain["baseline"] == "sink 0ms: APScheduler sqlite graceNone drain"
    assert drain["ratio"] is not None and len(drain["values"]) == 1
    early = next(m for m in result["measures"] if m["name"].endswith("before the due second"))
    assert early["values"] == [0.0]


def test_throughput_compares_with_the_bare_client_and_writer(tmp_path: Path) -> None:
    result = _run(throughput.main, tmp_path, "--n", "10")
    hook = next(m for m in result["measures"] if m["name"] == "webhook: bantin")
    assert hook["baseline"] == "webhook: bare requests.Session" and hook["ratio"] > 0


def test_scaleout_counts_duplicates_or_says_why_it_skipped(tmp_path: Path) -> None:
    result = _run(scaleout.main, tmp_path, "--n", "10", "--runners", "2")
    if any(n.startswith("skipped") for n in result["notes"]):
        return  # no PostgreSQL binaries here; the note says so
    dup = next(m for m in result["measures"] if m["name"] == "2 runner(s): duplicates at the sink")
    assert dup["values"] == [0.0]


def test_startup_measures_the_cli_and_the_stored_rows(tmp_path: Path) -> None:
    result = _run(startup.main, tmp_path, "--rows", "300", "--timeout", "20")
    names = {m["name"] for m in result["measures"]}
    assert {"bantin --version", "300 rows: claim of 64, half due (running)"} <= names
    assert list((tmp_path / "cache").glob("year-300-*.db"))


def _report(tmp_path: Path, value: float) -> common.Report:
    args = Namespace(runs=1, quick=True, results=tmp_path)
    report = common.Report("unit", args, {})
    report.add("base", "s", [4.0, 2.0, 3.0])
    report.add("ours", "s", [value], baseline="base", goal=common.Goal("3x", "ratio_ge", 3.0))
    return report


def test_ratio_is_the_baseline_median_over_ours_and_the_goal_follows(tmp_path: Path) -> None:
    result = _report(tmp_path, 1.0).finish()
    ours = result["measures"][1]
    assert (ours["ratio"], ours["met"], ours["median"]) == (3.0, True, 1.0)
    assert _report(tmp_path, 1.5).finish()["measures"][1]["met"] is False


def test_the_previous_latest_run_is_shown_against_this_one(tmp_path: Path) -> None:
    _report(tmp_path, 1.0).finish()
    again = _report(tmp_path, 2.0).finish()
    assert again["measures"][1]["previous_median"] == 1.0
