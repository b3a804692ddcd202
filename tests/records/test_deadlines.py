"""The yearly reporting calendar with an injected clock: drafts on 20 November, reminders
on 1 December, overdue alerts once the 5 December deadline has passed; every day's run
idempotent."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bantin.config import Settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import Alert, AnnualReport, AuditHead
from bantin.records import deadlines
from bantin.scheduler import Runner
from tests.records.report_data import RESPONSIBLE_2026, TZ, build


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def data(db: Database) -> Database:
    build(db, indicators=False)
    return db


def run(db: Database, home: Path, when: str) -> deadlines.DeadlineRun:
    with db.session() as s:
        return deadlines.check_deadlines(s, at(when), TZ, home)


def alerts(db: Database, kind: str) -> list[str]:
    with db.session() as s:
        return sorted(s.scalars(select(Alert.agency_code).where(Alert.kind == kind)))


def head(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(AuditHead.seq)) or 0


def test_nothing_happens_before_20_november(data: Database, home: Path) -> None:
    assert not run(data, home, "2026-11-19T07:00").changed


def test_20_november_drafts_each_responsible_agencys_report(data: Database, home: Path) -> None:
    result = run(data, home, "2026-11-20T07:00")
    assert result.drafted == RESPONSIBLE_2026 and not result.reminded and not result.overdue
    with data.session() as s:
        rows = s.scalars(select(AnnualReport).where(AnnualReport.year == 2026)).all()
    assert {r.agency_code: r.status for r in rows} == dict.fromkeys(RESPONSIBLE_2026, "draft")
    doc = home / "reports" / "2026" / "bao-cao-2026-COMMUNES.html"
    assert doc.is_file() and "Kết quả thực hiện năm 2026 Kế hoạch triển khai" in (
        doc.read_text(encoding="utf-8")
    )


def test_running_twice_the_same_day_adds_nothing(data: Database, home: Path) -> None:
    run(data, home, "2026-11-20T07:00")
    before = head(data)
    assert not run(data, home, "2026-11-20T19:00").changed
    assert head(data) == before


def test_1_december_reminds_those_who_have_not_submitted(data: Database, home: Path) -> None:
    run(data, home, "2026-11-20T07:00")
    with data.session() as s:
        deadlines.submit(s, "BAOVL", 2026, at("2026-11-25T10:00"), "van-thu", TZ)
    result = run(data, home, "2026-12-01T07:00")
    assert result.reminded == [c for c in RESPONSIBLE_2026 if c != "BAOVL"]
    assert alerts(data, "report_reminder") == result.reminded
    assert not run(data, home, "2026-12-01T08:00").changed


def test_after_the_deadline_each_late_agency_is_flagged_once(data: Database, home: Path) -> None:
    run(data, home, "2026-11-20T07:00")
    run(data, home, "2026-12-01T07:00")
    with data.session() as s:
        deadlines.submit(s, "SKHCN", 2026, at("2026-12-04T16:00"), "van-thu", TZ)
    assert not run(data, home, "2026-12-04T17:00").overdue
    result = run(data, home, "2026-12-06T07:00")
    assert result.overdue == ["BAOVL", "COMMUNES", "DEPARTMENTS", "PRESS"]
    assert alerts(data, "report_overdue") == result.overdue
    assert not run(data, home, "2026-12-07T07:00").changed


def test_a_missed_20_november_is_caught_up(data: Database, home: Path) -> None:
    result = run(data, home, "2026-12-06T07:00")
    assert result.drafted == result.reminded == result.overdue == RESPONSIBLE_2026


def test_status_tells_each_agency_where_it_stands(data: Database, home: Path) -> None:
    run(data, home, "2026-11-20T07:00")
    run(data, home, "2026-12-01T07:00")
    with data.session() as s:
        deadlines.submit(s, "BAOVL", 2026, at("2026-12-02T09:00"), "van-thu", TZ)
        deadlines.submit(s, "PRESS", 2026, at("2026-12-05T09:00"), "van-thu", TZ)
        early = {
            r["agency"]: r["status"] for r in deadlines.status(s, 2026, at("2026-12-02T10:00"), TZ)
        }
        late = {r["agency"]: r for r in deadlines.status(s, 2026, at("2026-12-06T10:00"), TZ)}
    assert early["BAOVL"] == "submitted" and early["SKHCN"] == "reminded"
    assert late["SKHCN"]["status"] == "overdue"
    assert (late["PRESS"]["status"], late["PRESS"]["late"]) == ("submitted", True)
    assert late["BAOVL"]["late"] is False


def test_submitting_twice_keeps_the_first_submission(data: Database) -> None:
    with data.session() as s:
        first = deadlines.submit(s, "SKHCN", 2026, at("2026-12-01T09:00"), "a", TZ)
        again = deadlines.submit(s, "SKHCN", 2026, at("2026-12-03T09:00"), "b", TZ)
        count = s.scalar(select(func.count()).select_from(AnnualReport))
    assert (again.already, again.submitted_at, again.submitted_by) == (
        True,
        first.submitted_at,
        "a",
    )
    assert count == 1


def test_the_runner_job_uses_the_runners_clock(
    data: Database, settings: Settings, home: Path
) -> None:
    runner = Runner(data, settings, FixedClock(at("2026-11-20T07:00")))
    runner.check_report_deadlines()
    assert len(list((home / "reports" / "2026").glob("*.html"))) == len(RESPONSIBLE_2026)


def test_the_runner_schedules_the_check_daily_at_7(
    data: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = Runner(data, settings, FixedClock(at("2026-11-19T06:00")))
    monkeypatch.setattr(runner, "materialise", lambda: None)
    runner.start()
    try:
        trigger = runner.scheduler.get_job("deadlines").trigger
    finally:
        runner.shutdown()
    after = at("2026-11-19T07:00:01")
    assert trigger.get_next_fire_time(None, after) == at("2026-11-20T07:00")
