"""`make bench`: every benchmark in one process tree, one after the other, so their figures
come from the same machine state; the materialise and reports benchmarks of earlier issues
run last, as they always have.

Usage: python benchmarks/all.py [--runs 3] [--quick] [--only burst,startup]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import burst
import desk_pages
import materialise
import reports
import scaleout
import startup
import throughput

HERE = Path(__file__).resolve().parent

SUITE: dict[str, Callable[[list[str]], Any]] = {
    "burst": burst.main,
    "throughput": throughput.main,
    "startup": startup.main,
    "desk_pages": desk_pages.main,  # quick: 50,000 rows, ~10 s
    "scaleout": scaleout.main,  # the longest: 2 x 20,000 sends at 50 ms per run
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", default="", help="comma-separated names (default: all)")
    args = p.parse_args(argv)
    chosen = [n for n in args.only.split(",") if n] or [*SUITE, "materialise", "reports"]
    common = ["--runs", str(args.runs), *(["--quick"] if args.quick else [])]
    for name in chosen:
        t0 = time.perf_counter()
        print(f"\n=== {name} ===", flush=True)
        if name in SUITE:
            SUITE[name](common)
        elif name == "materialise":
            sys.argv = ["materialise.py", *(["--sample", "300"] if args.quick else [])]
            materialise.main()
        elif name == "reports":
            sys.argv = ["reports.py", *(["--rows", "20000", "--repeat", "1"] if args.quick else [])]
            reports.main()
        print(f"=== {name}: {time.perf_counter() - t0:.0f} s ===", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
