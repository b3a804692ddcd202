"""The desk pages benchmark's quick path runs on a tiny database and writes its measures
(no timing is asserted: the figures belong to `make bench`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import desk_pages

pytestmark = pytest.mark.slow


def test_desk_pages_times_every_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANTIN_OUTBOUND_ALLOW", "127.0.0.0/8")
    monkeypatch.setenv("BANTIN_BENCH_SECRET", "bench-secret")
    args = ["--quick", "--runs", "1", "--rows", "3000"]
    desk_pages.main([*args, "--results", str(tmp_path / "r"), "--cache", str(tmp_path / "c")])
    latest = json.loads((tmp_path / "r" / "latest.json").read_text(encoding="utf-8"))
    names = {m["name"] for m in latest["desk_pages"]["measures"]}
    assert "3000 rows: calendar month (auditor, all agencies)" in names
    assert "3000 rows: publication page (radio script)" in names
    for page in ("/, the auditor's home", "/kenh, auditor", "/chien-dich", "/duyet", "/canh-bao"):
        assert any(page in name for name in names), page
