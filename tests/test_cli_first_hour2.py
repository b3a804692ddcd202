"""The first hour, continued (issue 12): a campaign wholly in the past is applied with a
warning, `render --at` an unscheduled time names the nearest ones, and the CLI's tables
speak Vietnamese (English with --lang en) while --json/--csv keep the machine codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, Cli

NOW = "2026-12-01T08:00"
PAST = """
id: loa-cu
title: Bản tin cũ
task: "1.3"
agency: COMMUNES
kind: radio_script
period: {start: 2025-01-01, end: 2025-03-31}
schedule:
  - cron: "30 5 * * *"
targets: ["29641"]
channels: [loa-xa]
template: radio/ban-tin-cds.txt.j2
vars: {}
"""

#: Words of the internal vocabulary that must not reach a person reading a table.
INTERNAL = [
    "due_local",
    "unit_name",
    "pending_approval",
    "not_drafted",
    "retry_wait",
    "submitted_at",
    "last_status",
    "planned",
    "published",
    "approved",
    "cancelled",
    "active",
    "True",
    "False",
    "radio_script",
    "materialised_until",
]


@pytest.fixture
def applied(run_cli: Cli) -> Cli:
    run_cli("channel", "add", "loa-xa", "outbox://outbox/loa", "--agency", "COMMUNES")
    run_cli("channel", "add", "baovl-portal", "outbox://outbox/portal", "--agency", "BAOVL")
    files = [str(EXAMPLES / "loa-cds.yaml"), str(EXAMPLES / "chuyen-muc-cds.yaml")]
    result = run_cli("campaign", "apply", *files, "--now", NOW, "--horizon", "3")
    assert result.exit_code == 0, result.output
    return run_cli


def _past(tmp_path: Path) -> str:
    source = (EXAMPLES / "loa-cds.yaml").read_text(encoding="utf-8")
    vars_block = source[source.index("vars:") :]
    path = tmp_path / "loa-cu.yaml"
    path.write_text(PAST.replace("vars: {}\n", vars_block), encoding="utf-8")
    return str(path)


def test_a_campaign_wholly_in_the_past_validates_with_a_warning(
    applied: Cli, tmp_path: Path
) -> None:
    result = applied("campaign", "validate", _past(tmp_path), "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "cảnh báo: loa-cu: kết thúc ngày 31/03/2025: không còn gì để lập lịch" in result.output


def test_a_campaign_wholly_in_the_past_applies_with_the_warning(
    applied: Cli, tmp_path: Path
) -> None:
    result = applied("campaign", "apply", _past(tmp_path), "--now", NOW)
    assert result.exit_code == 0, result.output
    assert "không còn gì để lập lịch" in result.output and "0 new" in result.output


def test_the_past_warning_in_english_on_request(applied: Cli, tmp_path: Path) -> None:
    result = applied("--lang", "en", "campaign", "validate", _past(tmp_path), "--now", NOW)
    assert "warning: loa-cu: ended on 31/03/2025: nothing left to schedule" in result.output


def test_a_running_campaign_has_no_past_warning(applied: Cli) -> None:
    result = applied("campaign", "validate", str(EXAMPLES / "loa-cds.yaml"), "--now", NOW)
    assert result.exit_code == 0 and "cảnh báo" not in result.output


def test_render_at_an_unscheduled_time_names_the_nearest(applied: Cli) -> None:
    result = applied("render", "loa-cds", "--at", "2026-12-03T09:00", "--unit", "29641")
    assert result.exit_code == 0, result.output
    assert (
        "cảnh báo: loa-cds không có lịch phát lúc 03/12/2026 09:00; giờ phát gần nhất: "
        "trước đó 03/12/2026 05:30, sau đó 03/12/2026 17:00"
    ) in result.output


def test_render_at_a_scheduled_time_says_nothing_about_it(applied: Cli) -> None:
    result = applied("render", "loa-cds", "--at", "2026-12-03T05:30", "--unit", "29641")
    assert "lịch phát" not in result.output


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_]+", text))


@pytest.mark.parametrize(
    "args",
    [
        ("schedule", "--limit", "5"),
        ("records", "--limit", "5"),
        ("records", "summary"),
        ("campaign", "list"),
        ("campaign", "show", "loa-cds"),
        ("channel", "list"),
        ("alerts", "list"),
        ("report", "status", "--year", "2026", "--now", NOW),
    ],
)
def test_tables_speak_vietnamese_without_internal_words(applied: Cli, args: tuple[str]) -> None:
    result = applied(*args)
    assert result.exit_code == 0, result.output
    leaked = _words(result.output) & set(INTERNAL)
    assert not leaked, (leaked, result.output)


def test_schedule_headers_and_states_in_words(applied: Cli) -> None:
    out = applied("schedule", "--limit", "3").output
    assert "Thời điểm" in out and "Xã, phường" in out and "Trạng thái" in out
    assert "đã lên lịch" in out


def test_report_status_says_not_drafted_in_words(applied: Cli) -> None:
    out = applied("report", "status", "--year", "2026", "--now", NOW).output
    assert "chưa soạn" in out and "not_drafted" not in out


def test_tables_in_english_on_request(applied: Cli) -> None:
    out = applied("--lang", "en", "schedule", "--limit", "3").output
    assert "Due" in out and "Unit name" in out and "planned" in out and "Thời điểm" not in out


def test_json_and_csv_keep_the_machine_codes(applied: Cli) -> None:
    rows = json.loads(applied("schedule", "--limit", "3", "--json").output)
    assert rows[0]["status"] == "planned" and "due_local" in rows[0]
    csv = applied("schedule", "--limit", "3", "--csv").output
    assert csv.splitlines()[0].startswith("id,due_local,") and ",planned" in csv
