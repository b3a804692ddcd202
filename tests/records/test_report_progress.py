"""Plan progress: objectives against their targets, tasks with their evidence, the gaps."""

from __future__ import annotations

from typing import Any

from bantin.records.reports import build_progress_report, render
from tests.records.conftest import csv_rows, json_doc, pdf_text, xlsx_sheet

CITIZENS = (
    "Tỷ lệ người dân trong độ tuổi lao động có kỹ năng sử dụng dịch vụ công trực tuyến và dịch "
    "vụ số thiết yếu"
)


def statuses(report: Any) -> dict[tuple[str, int], str]:
    return {(r["objective"], r["year"]): r["status_code"] for r in report.table("objectives").rows}


def test_targets_are_met_not_met_or_without_data(ctx_factory: Any) -> None:
    found = statuses(ctx_factory(build_progress_report, 2026))
    assert found[("schools-stem", 2025)] == "met"  # 55% ≥ 50%
    assert found[("officials-trained", 2025)] == "not_met"  # 95% < 100%
    assert found[("citizens-digital-services", 2030)] == "met"  # 91% in 2026 ≥ 90%
    assert found[("commune-network", 2025)] == "no_data"


def test_tasks_carry_their_evidence(ctx_factory: Any) -> None:
    tasks = {r["task"]: r for r in ctx_factory(build_progress_report, 2026).table("tasks").rows}
    assert tasks["1.3"]["campaigns"] == "loa-test"
    assert (tasks["1.3"]["planned"], tasks["1.3"]["published"], tasks["1.3"]["receipts"]) == (
        8,
        5,
        3,
    )
    assert tasks["1.1"]["lead_agencies"] == "PRESS, STTTT → SKHCN"


def test_gaps_are_active_tasks_without_campaign_and_silent_agencies(ctx_factory: Any) -> None:
    report = ctx_factory(build_progress_report, 2026)
    assert [r["task"] for r in report.table("task_gaps").rows] == [
        "1.4",
        "1.5",
        "3.1a",
        "3.1b",
        "3.2",
    ]
    assert [r["agency"] for r in report.table("agency_gaps").rows] == ["DEPARTMENTS", "PRESS"]


def test_json_names_each_judgement(ctx_factory: Any) -> None:
    doc = json_doc(render(ctx_factory(build_progress_report, 2026), "json"))
    assert {r["status"] for r in doc["tables"]["objectives"]["rows"]} == {
        "đạt",
        "chưa đạt",
        "chưa có số liệu",
    }


def test_csv_shows_reported_values_beside_the_judgement(ctx_factory: Any) -> None:
    rows = csv_rows(render(ctx_factory(build_progress_report, 2026), "csv"))
    stem = next(r for r in rows if r["Chỉ số"].startswith("Tỷ lệ cơ sở giáo dục phổ thông"))
    assert stem["Số liệu báo cáo"] == "Sở Giáo dục và Đào tạo: 55%" and stem["Đánh giá"] == "đạt"


def test_xlsx_lists_the_indicators_of_the_year(ctx_factory: Any) -> None:
    sheet = xlsx_sheet(render(ctx_factory(build_progress_report, 2026), "xlsx"), "Chỉ số")
    assert [(r["Mục tiêu"], r["Cơ quan"], r["Giá trị"], r["Đơn vị tính"]) for r in sheet] == [
        (CITIZENS, "Sở Khoa học và Công nghệ", 91, "%")
    ]


def test_html_and_pdf_show_the_gaps(ctx_factory: Any) -> None:
    report = ctx_factory(build_progress_report, 2026)
    assert '<table class="data" id="table-task_gaps">' in render(report, "html").decode()
    text = pdf_text(render(report, "pdf"))
    assert "Nhiệm vụ chưa có chiến dịch (2026)" in text and "chưa có số liệu" in text
