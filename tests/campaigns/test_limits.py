"""Campaign files cannot ask for unbounded work (issue 8, item 10): dense schedules,
huge volumes and far-away periods are refused at validation, quickly, naming
file:line: field and the numbers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bantin.core.db import Database
from tests.campaigns.test_broken_files import GOOD_TEMPLATE, mutate, write
from tests.conftest import T0, Cli
from tests.helpers import OUTBOX_CHANNELS, add_channels, snapshot

LONG = mutate(6, "period: {start: 2026-12-01, end: 2027-03-31}")


@pytest.fixture
def folder(tmp_path: Path, db: Database, home: Path) -> Path:
    add_channels(db, T0, OUTBOX_CHANNELS, home)
    return tmp_path / "campaigns"


def refused(run_cli: Cli, path: Path, *extra: str) -> str:
    started = time.monotonic()
    result = run_cli("campaign", "validate", str(path), *extra)
    assert time.monotonic() - started < 5, "validation must stay quick"
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.stderr


def test_secondly_rrule_is_refused_quickly(folder: Path, run_cli: Cli) -> None:
    path = write(folder, mutate(8, '  - rrule: "FREQ=SECONDLY"'), GOOD_TEMPLATE)
    err = refused(run_cli, path)
    assert (
        f"{path}:8: schedule[0].rrule: fires every 1 second; "
        "the shortest interval allowed is 5 minutes"
    ) in err


def test_cron_every_minute_is_refused(folder: Path, run_cli: Cli) -> None:
    path = write(folder, mutate(8, '  - cron: "* * * * *"'), GOOD_TEMPLATE)
    assert f"{path}:8: schedule[0].cron: fires every 1 minute;" in refused(run_cli, path)


def test_volume_over_the_cap_names_the_count(folder: Path, run_cli: Cli) -> None:
    text = mutate(8, '  - cron: "*/5 * * * *"').replace("targets: [29641]", "targets: all")
    text = text.replace("period: {start: 2026-12-01, end: 2026-12-31}", LONG.splitlines()[5])
    path = write(folder, text, GOOD_TEMPLATE)
    err = refused(run_cli, path)
    assert (
        f"{path}:7: schedule: this campaign would make 1,249,920 publications in 35 days"
    ) in err
    assert "the limit is 200,000" in err


def test_the_cap_is_a_setting(folder: Path, run_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    text = mutate(8, '  - cron: "0 */2 * * *"').replace("targets: [29641]", "targets: all")
    path = write(folder, text, GOOD_TEMPLATE)
    monkeypatch.setenv("BANTIN_MAX_PUBLICATIONS_PER_CAMPAIGN", "1000")
    assert "the limit is 1,000" in refused(run_cli, path)
    monkeypatch.setenv("BANTIN_MAX_PUBLICATIONS_PER_CAMPAIGN", "100000")
    assert run_cli("campaign", "validate", str(path)).exit_code == 0


def test_apply_checks_the_cap_over_its_own_horizon(
    folder: Path, run_cli: Cli, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = LONG.replace("targets: [29641]", "targets: all")  # 124 a day
    path = write(folder, text, GOOD_TEMPLATE)
    monkeypatch.setenv("BANTIN_MAX_PUBLICATIONS_PER_CAMPAIGN", "5000")
    assert run_cli("campaign", "validate", str(path)).exit_code == 0  # 35 days: 4,340
    before = snapshot(db)
    result = run_cli("campaign", "apply", str(path), "--horizon", "100", "--now", "2026-11-28")
    assert result.exit_code == 1
    assert (
        f"{path}:7: schedule: this campaign would make 12,028 publications in 97 days"
        in result.stderr
    )
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("period", "fragment"),
    [
        ("{start: 1026-01-01, end: 2026-12-31}", "is outside 2000-01-01..2100-12-31"),
        ("{start: 2026-01-01, end: 2199-12-31}", "is outside 2000-01-01..2100-12-31"),
        ("{start: 2026-01-01, end: 2040-12-31}", "is longer than 10 years"),
    ],
)
def test_period_out_of_range_is_refused(
    period: str, fragment: str, folder: Path, run_cli: Cli
) -> None:
    path = write(folder, mutate(6, f"period: {period}"), GOOD_TEMPLATE)
    err = refused(run_cli, path)
    assert any(ln.startswith(f"{path}:6: period: ") and fragment in ln for ln in err.splitlines())


def test_rrule_with_its_own_dtstart_is_refused(folder: Path, run_cli: Cli) -> None:
    rule = '  - rrule: "DTSTART:10260101T000000\\nRRULE:FREQ=DAILY"'
    path = write(folder, mutate(8, rule), GOOD_TEMPLATE)
    assert f"{path}:8: schedule[0].rrule: invalid rrule" in refused(run_cli, path)


def test_rrule_count_over_the_cap_is_refused(folder: Path, run_cli: Cli) -> None:
    path = write(folder, mutate(8, '  - rrule: "FREQ=DAILY;COUNT=999999999"'), GOOD_TEMPLATE)
    assert "COUNT=999,999,999 is over the limit of 200,000" in refused(run_cli, path)


def test_at_far_in_the_future_is_refused(folder: Path, run_cli: Cli) -> None:
    path = write(folder, mutate(8, "  - at: 9999-12-31T23:59"), GOOD_TEMPLATE)
    assert f"{path}:8: schedule[0].at: " in refused(run_cli, path)


@pytest.mark.parametrize(
    "entry",
    ['  - rrule: "FREQ=MINUTELY;INTERVAL=5;BYMONTH=2;BYMONTHDAY=30"', '  - cron: "0 8 31 2 *"'],
)
def test_a_schedule_that_never_fires_is_validated_quickly(
    entry: str, folder: Path, run_cli: Cli
) -> None:
    path = write(folder, mutate(8, entry), GOOD_TEMPLATE)
    started = time.monotonic()
    result = run_cli("campaign", "validate", str(path))
    assert time.monotonic() - started < 3
    assert "Traceback" not in result.output
