"""`--log-format json`: one object a line an operator's log shipper can parse, with the
publication, campaign, channel and runner; readable lines keep their UTC offset."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from bantin.core.db import Database
from bantin.logjson import ContextFilter, JsonFormatter, TextFormatter, bind, clear
from tests.conftest import T0
from tests.helpers import add_channels, apply, write_campaign

REPO = Path(__file__).resolve().parents[2]
OFFSET_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")
CAMPAIGN = """
id: dang-thu
title: Bài đăng thử
task: "1.1"
agency: BAOVL
kind: post
period: {start: 2026-11-28, end: 2026-11-28}
schedule:
  - at: 2026-11-28T09:00
channels: [trang]
template: t.j2
"""


def bantin(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TZ": "Asia/Ho_Chi_Minh"}
    return subprocess.run(
        [sys.executable, "-m", "bantin", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def json_lines(stderr: str) -> list[dict[str, object]]:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines
    return [json.loads(line) for line in lines]  # every line parses, or this fails


def test_json_lines_parse_and_name_the_publication_campaign_and_channel(
    db: Database, home: Path, tmp_path: Path
) -> None:
    add_channels(db, T0, [("trang", "outbox://outbox/trang", "BAOVL")], home)
    write_campaign(tmp_path / "c", "t.j2", "Bà con {{ due_date }}\n")
    apply(db, [write_campaign(tmp_path / "c", "dang-thu.yaml", CAMPAIGN)], T0, home)
    done = bantin("--log-format", "json", "dispatch", "--once", "--now", "2026-11-28T09:01")
    assert done.returncode == 0, done.stderr
    entries = json_lines(done.stderr)
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys()
        assert OFFSET_TIME.match(str(entry["time"])), entry["time"]
        assert str(entry["time"]).endswith("+07:00")
    (published,) = [e for e in entries if str(e["message"]).startswith("published")]
    assert published["logger"] == "bantin.dispatch" and published["level"] == "INFO"
    assert published["campaign"] == "dang-thu" and published["channel"] == "trang"
    assert isinstance(published["publication"], int)


def test_the_runner_names_itself_in_every_line(home: Path) -> None:
    ran = bantin("--log-format", "json", "run", "--for", "0.5")
    assert ran.returncode == 0, ran.stderr
    entries = [e for e in json_lines(ran.stderr) if str(e["logger"]).startswith("bantin")]
    runners = {e.get("runner") for e in entries}
    assert len(runners) == 1 and str(runners.pop()).endswith(f":{_pid_of(entries)}")


def _pid_of(entries: list[dict[str, object]]) -> str:
    starting = next(e for e in entries if "starting" in str(e["message"]))
    return str(starting["runner"]).rsplit(":", 1)[1]


def test_readable_lines_carry_their_offset(home: Path) -> None:
    ran = bantin("run", "--for", "0.3")
    assert ran.returncode == 0, ran.stderr
    lines = [line for line in ran.stderr.splitlines() if " bantin." in line]
    assert lines and all(OFFSET_TIME.match(line.split(" ", 1)[0]) for line in lines), lines
    assert all(line.split(" ", 1)[0].endswith("+07:00") for line in lines)
    record = logging.LogRecord("bantin.x", logging.INFO, __file__, 1, "hello", None, None)
    line = TextFormatter().format(record)
    stamp = line.split(" ", 1)[0]
    assert OFFSET_TIME.match(stamp), line
    assert datetime.fromisoformat(stamp).utcoffset() is not None
    assert line.endswith(" INFO bantin.x: hello")


def test_an_explicit_extra_wins_over_the_bound_context() -> None:
    bind(publication=7, campaign="a", channel="c")
    try:
        record = logging.LogRecord("bantin.x", logging.WARNING, __file__, 1, "m %s", ("x",), None)
        record.channel = "explicit"
        ContextFilter().filter(record)
        entry = json.loads(JsonFormatter().format(record))
    finally:
        clear()
    assert entry["message"] == "m x" and entry["level"] == "WARNING"
    assert entry["publication"] == 7 and entry["campaign"] == "a"
    assert entry["channel"] == "explicit"
