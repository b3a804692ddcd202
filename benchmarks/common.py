"""What every benchmark shares: repeated runs, min/median/max, ratios against a baseline
measured in the same run, one table with the issue's goals, and JSON results.

A benchmark builds a `Report`, runs `repeat(one_run, runs)` where `one_run` returns the
figures of one run by measure name, declares each measure (unit, which way is better,
its baseline in the same run, the goal from issue 11), and calls `finish()`: it prints the
table and writes `benchmarks/results/<name>-<UTC timestamp>.json` and updates
`benchmarks/results/latest.json` (one entry per benchmark), showing the change against the
previous latest entry when there is one. Figures are never asserted here: a goal not met is
a row that says so, not a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CACHE = HERE / ".cache"

Better = Literal["lower", "higher"]
#: ratio_ge: the ratio to the baseline must reach the limit; le / ge: the median itself.
GoalKind = Literal["ratio_ge", "le", "ge", "none"]


@dataclass(frozen=True)
class Goal:
    text: str
    kind: GoalKind = "none"
    limit: float = 0.0


@dataclass
class Measure:
    name: str
    unit: str
    values: list[float]
    better: Better = "lower"
    baseline: str | None = None
    goal: Goal = field(default_factory=lambda: Goal("—"))
    note: str = ""
    ratio: float | None = None
    met: bool | None = None
    previous_median: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")


def parser(doc: str | None, **sizes: int) -> argparse.ArgumentParser:
    """The options every benchmark takes, plus its sizes (`--n 2000`, ...)."""
    p = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    p.add_argument("--runs", type=int, default=3, help="runs of each measure (default 3)")
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    p.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    p.add_argument("--cache", type=Path, default=CACHE, help="where built data are kept")
    for name, default in sizes.items():
        p.add_argument(f"--{name.replace('_', '-')}", type=int, default=None, dest=name,
                       help=f"default {default} ({name})")  # fmt: skip
    return p


def size(args: argparse.Namespace, name: str, full: int, quick: int) -> int:
    """An explicit `--name` wins; otherwise the full or the quick size."""
    given = getattr(args, name, None)
    return int(given) if given is not None else (quick if args.quick else full)


def repeat(one_run: Callable[[int], dict[str, float]], runs: int) -> dict[str, list[float]]:
    """Call `one_run(i)` `runs` times; the figures by measure name, in run order."""
    out: dict[str, list[float]] = {}
    for i in range(runs):
        for key, value in one_run(i).items():
            out.setdefault(key, []).append(value)
    return out


def _ratio(m: Measure, base: Measure) -> float | None:
    """How many times better than the baseline (>1 means bantin wins)."""
    a, b = m.median, base.median
    if m.better == "lower":
        return b / a if a > 0 else None
    return a / b if b > 0 else None


def _met(m: Measure) -> bool | None:
    g = m.goal
    if g.kind == "ratio_ge":
        return None if m.ratio is None else m.ratio >= g.limit
    if g.kind == "le":
        return m.median <= g.limit
    if g.kind == "ge":
        return m.median >= g.limit
    return None


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None or value != value:
        return "—"
    text = f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{text} {unit}".strip()


class Report:
    """The measures of one benchmark run, printed and written once at the end."""

    def __init__(self, name: str, args: argparse.Namespace, sizes: dict[str, int]) -> None:
        self.name = name
        self.args = args
        self.sizes = sizes
        self.measures: list[Measure] = []
        self.started = datetime.now(UTC)
        self.notes: list[str] = []

    def add(self, name: str, unit: str, values: Sequence[float], **kw: Any) -> Measure:
        m = Measure(name, unit, [float(v) for v in values], **kw)
        self.measures.append(m)
        return m

    def _resolve(self, previous: dict[str, Any] | None) -> None:
        by_name = {m.name: m for m in self.measures}
        before = {p["name"]: p for p in (previous or {}).get("measures", [])}
        for m in self.measures:
            base = by_name.get(m.baseline) if m.baseline else None
            m.ratio = _ratio(m, base) if base and m.values and base.values else None
            m.met = _met(m) if m.values else None
            if m.name in before:
                m.previous_median = before[m.name].get("median")

    def table(self) -> Table:
        t = Table(title=f"{self.name}  ({self.args.runs} runs; sizes {self.sizes})")
        for col in ("measure", "min", "median", "max", "ratio", "goal", "met", "prev"):
            t.add_column(col, overflow="fold")
        for m in self.measures:
            vals = m.values or [float("nan")]
            ratio = f"{m.ratio:.2f}×" if m.ratio is not None else "—"
            met = {True: "[green]yes", False: "[red]no", None: "—"}[m.met]
            prev = "—"
            if m.previous_median:
                prev = f"{_fmt(m.previous_median, m.unit)} ({(m.median / m.previous_median - 1) * 100:+.0f}%)"  # noqa: E501
            t.add_row(
                m.name + (f" [dim]({m.note})" if m.note else ""),
                _fmt(min(vals), m.unit),
                _fmt(m.median, m.unit),
                _fmt(max(vals), m.unit),
                ratio,
                m.goal.text,
                met,
                prev,
            )
        return t

    def finish(self) -> dict[str, Any]:
        """Print the table, write `<name>-<stamp>.json` and update `latest.json`."""
        folder: Path = self.args.results
        folder.mkdir(parents=True, exist_ok=True)
        latest_path = folder / "latest.json"
        latest: dict[str, Any] = {}
        if latest_path.exists():
            try:
                latest = json.loads(latest_path.read_text(encoding="utf-8"))
            except json.JSONDecodeError:
                latest = {}
        self._resolve(latest.get(self.name))
        Console(width=160).print(self.table())
        for note in self.notes:
            Console(width=160).print(f"  note: {note}")
        result = self.as_json()
        stamp = self.started.strftime("%Y%m%dT%H%M%SZ")
        (folder / f"{self.name}-{stamp}.json").write_text(
            json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        latest[self.name] = result
        tmp = latest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(latest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, latest_path)
        return result

    def as_json(self) -> dict[str, Any]:
        measures = []
        for m in self.measures:
            d = asdict(m)
            d["goal"] = asdict(m.goal)
            ok = bool(m.values)
            d.update(
                min=min(m.values) if ok else None,
                median=m.median if ok else None,
                max=max(m.values) if ok else None,
            )
            measures.append(d)
        return {
            "benchmark": self.name,
            "started": self.started.isoformat(),
            "finished": datetime.now(UTC).isoformat(),
            "runs": self.args.runs,
            "quick": bool(self.args.quick),
            "sizes": self.sizes,
            "machine": {"cpus": os.cpu_count(), "load": os.getloadavg()},
            "notes": self.notes,
            "measures": measures,
        }


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def wait_until(epoch: float) -> None:
    """Sleep until wall-clock time `epoch` (the due second of a burst)."""
    while (left := epoch - time.time()) > 0:
        time.sleep(min(left, 0.5))
