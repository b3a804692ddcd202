"""`bantin report …` and `bantin indicator …` as a person types them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bantin.core.db import Database
from tests.conftest import Cli
from tests.records.report_data import RESPONSIBLE_2026, build

NOW = "2026-11-20T07:00"


@pytest.fixture
def data(db: Database) -> Database:
    build(db)
    return db


def test_format_follows_the_output_suffix(data: Database, run_cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "san-luong.xlsx"
    result = run_cli("report", "output", "--year", "2026", "-o", str(out), "--now", NOW)
    assert result.exit_code == 0 and "(xlsx," in result.stderr
    assert "Theo cơ quan" in load_workbook(io.BytesIO(out.read_bytes())).sheetnames


def test_csv_goes_to_standard_output(data: Database, run_cli: Cli) -> None:
    result = run_cli("report", "output", "--year", "2025", "--format", "csv", "--table", "agencies")
    [row] = csv.DictReader(io.StringIO(result.output))
    assert (row["Cơ quan"], row["Đã phát hành"]) == ("SKHCN", "6")


def test_binary_formats_need_an_output_file(data: Database, run_cli: Cli) -> None:
    result = run_cli("report", "coverage", "--year", "2026", "--format", "pdf")
    assert result.exit_code == 2 and "give --output FILE" in result.stderr


def test_an_unknown_table_is_a_usage_error(data: Database, run_cli: Cli) -> None:
    result = run_cli("report", "coverage", "--format", "csv", "--table", "nope")
    assert result.exit_code == 2 and "has no table 'nope'" in result.stderr


def test_english_json(data: Database, run_cli: Cli) -> None:
    result = run_cli(
        "report", "coverage", "--year", "2026", "--format", "json", "--lang", "en", "--now", NOW
    )
    doc = json.loads(result.output)
    assert doc["lang"] == "en" and doc["title"].startswith(
        "REPORT Loudspeaker coverage in 2026 under the Plan issued with"
    )


def test_an_unknown_agency_is_one_clear_sentence(data: Database, run_cli: Cli) -> None:
    result = run_cli("report", "annual", "--agency", "XYZ", "--year", "2026")
    assert result.exit_code == 1 and "Error: unknown agency 'XYZ'" in result.stderr


def test_annual_report_with_a_date_written_in_the_heading(
    data: Database, run_cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "bao-cao.html"
    args = ["report", "annual", "--agency", "SKHCN", "--year", "2026", "--date", "2026-12-02"]
    assert run_cli(*args, "-o", str(out)).exit_code == 0
    assert "Vĩnh Long, ngày 02 tháng 12 năm 2026" in out.read_text(encoding="utf-8")


def test_deadlines_submit_and_status(data: Database, run_cli: Cli) -> None:
    drafted = run_cli("report", "deadlines", "--now", NOW)
    assert f"drafted: {', '.join(RESPONSIBLE_2026)}" in drafted.output
    submitted = run_cli(
        "report", "submit", "--agency", "BAOVL", "--year", "2026", "--now", "2026-12-06T09:00"
    )
    assert "(late: the deadline was before 5 December)" in submitted.output
    status = run_cli("report", "status", "--year", "2026", "--json", "--now", "2026-12-06T10:00")
    states = {r["agency"]: r["status"] for r in json.loads(status.output)}
    assert states["BAOVL"] == "submitted" and states["COMMUNES"] == "overdue"


def test_indicator_record_and_list(data: Database, run_cli: Cli) -> None:
    result = run_cli(
        "indicator",
        "record",
        "--objective",
        "dts-experts",
        "--year",
        "2025",
        "--agency",
        "SKHCN",
        "--value",
        "2",
        "--source",
        "Báo cáo số 90/BC-SKHCN",
    )
    assert result.exit_code == 0 and "recorded dts-experts 2025 for SKHCN: 2" in result.output
    rows = json.loads(run_cli("indicator", "list", "--year", "2025", "--json").output)
    assert ("dts-experts", 2.0, "count") in {(r["objective"], r["value"], r["unit"]) for r in rows}


def test_indicator_out_of_range_is_refused(data: Database, run_cli: Cli) -> None:
    result = run_cli(
        "indicator",
        "record",
        "--objective",
        "schools-stem",
        "--year",
        "2025",
        "--agency",
        "SGDDT",
        "--value",
        "120",
        "--source",
        "x",
    )
    assert result.exit_code == 1 and "must be 0–100" in result.stderr
