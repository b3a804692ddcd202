"""Overdue sends after a restart are logged, each with its lateness, then summarised."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bantin.config import Settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.lateness import Sent, late_text, summarise
from tests.test_dispatch import (  # noqa: F401  (autouse fixtures, used by name)
    DUE,
    closes_dispatchers,
    dispatcher,
    scripted,
    setup_campaign,
)


def test_nothing_is_said_when_everything_went_out_on_time() -> None:
    assert summarise([Sent(1, "c", "ch", 3.0), Sent(2, "c", "ch", 59.9)]) == []


def test_each_overdue_send_gets_a_line_and_the_pass_a_summary() -> None:
    lines = summarise(
        [Sent(2, "loa", "loa-xa", 300.0), Sent(1, "loa", "loa-xa", 65.0), Sent(3, "c", "x", 1.0)]
    )
    assert lines == [
        "sent overdue publication 1 (loa on loa-xa) 1 min 5 s late",
        "sent overdue publication 2 (loa on loa-xa) 5 min late",
        "sent 2 overdue bulletins, up to 5 min late",
    ]


def test_lateness_over_an_hour_reads_in_hours() -> None:
    assert late_text(2 * 3600 + 5 * 60 + 9) == "2 h 5 min"


def test_a_pass_after_a_restart_logs_the_overdue_send(
    db: Database,
    settings: Settings,
    home: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    setup_campaign(db, home, tmp_path, url="scripted://x?late=2h")
    with caplog.at_level(logging.WARNING, logger="bantin.dispatch"):
        dispatcher(db, settings, FixedClock(DUE + timedelta(minutes=5))).run_pass()
    said = [r.getMessage() for r in caplog.records if r.name == "bantin.dispatch"]
    assert any(m.startswith("sent overdue publication") and "5 min late" in m for m in said)
    assert "sent 1 overdue bulletin, up to 5 min late" in said


def test_a_pass_on_time_logs_no_lateness(
    db: Database,
    settings: Settings,
    home: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    setup_campaign(db, home, tmp_path)
    with caplog.at_level(logging.WARNING, logger="bantin.dispatch"):
        dispatcher(db, settings, FixedClock(DUE + timedelta(seconds=2))).run_pass()
    assert not [r for r in caplog.records if "overdue" in r.getMessage()]
