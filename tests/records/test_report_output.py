"""The agency output report: hand-computed figures, the roll-up to successors, and the
same figures in every format."""

from __future__ import annotations

from typing import Any

from bantin.records.reports import build_output_report, render
from tests.records.conftest import csv_rows, json_doc, pdf_text, xlsx_sheet
from tests.records.report_data import OUTPUT_2025, TOTAL_2026


def by_key(report: Any) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(r["agency"], r["original_agency"], r["month"]): r for r in report.table("output").rows}


def test_figures_roll_up_to_the_successor_keeping_the_agency_of_record(ctx_factory: Any) -> None:
    rows = by_key(ctx_factory(build_output_report, 2025))
    assert set(rows) == set(OUTPUT_2025)
    for key, expected in OUTPUT_2025.items():
        assert {k: rows[key][k] for k in expected} == expected, key


def test_without_roll_up_the_agency_of_record_is_the_agency(ctx_factory: Any) -> None:
    rows = by_key(ctx_factory(build_output_report, 2025, rollup=False))
    assert ("STTTT", "STTTT", "2025-01") in rows and ("SKHCN", "STTTT", "2025-01") not in rows


def test_months_are_local_not_utc(ctx_factory: Any) -> None:
    # 1/2/2025 06:00 in Vĩnh Long is 31/1 23:00 UTC: a February publication.
    rows = by_key(ctx_factory(build_output_report, 2025))
    assert rows[("SKHCN", "STTTT", "2025-02")]["published"] == 1


def test_totals_add_up_and_pending_completes_planned(ctx_factory: Any) -> None:
    report = ctx_factory(build_output_report, 2026)
    footer = report.table("output").footer
    assert {k: footer[k] for k in TOTAL_2026} == TOTAL_2026


def test_one_agency_includes_its_predecessors(ctx_factory: Any) -> None:
    report = ctx_factory(build_output_report, 2025, "SKHCN")
    assert {r["original_agency"] for r in report.table("output").rows} == {"STTTT", "SKHCN"}


def test_every_kind_of_record_is_attributed(ctx_factory: Any) -> None:
    rows = {r["agency"]: r for r in ctx_factory(build_output_report, 2026).table("activity").rows}
    assert rows["COMMUNES"]["receipts"] == 3
    assert rows["COMMUNES"]["attempts"] == 5 * 1 + 2 * 3
    assert rows["BAOVL"]["approved"] == 2 and rows["BAOVL"]["feed_entries"] == 2


def test_json_carries_the_raw_figures(ctx_factory: Any) -> None:
    doc = json_doc(render(ctx_factory(build_output_report, 2026), "json"))
    summary = {r["agency"]: r for r in doc["tables"]["agencies"]["rows"]}
    assert summary["COMMUNES"]["published"] == 5 and summary["COMMUNES"]["failed"] == 2
    assert doc["tables"]["output"]["footer"]["planned"] == TOTAL_2026["planned"]


def test_csv_has_vietnamese_headers_and_the_figures(ctx_factory: Any) -> None:
    data = render(ctx_factory(build_output_report, 2025), "csv", table="output")
    rows = csv_rows(data)
    jan = next(r for r in rows if r["Tháng"] == "2025-01")
    assert (jan["Cơ quan"], jan["Cơ quan tại thời điểm"]) == ("SKHCN", "STTTT")
    assert (jan["Kế hoạch"], jan["Đã phát hành"], jan["Trễ hạn"]) == ("3", "3", "1")


def test_xlsx_keeps_numbers_as_numbers(ctx_factory: Any) -> None:
    data = render(ctx_factory(build_output_report, 2026), "xlsx")
    rows = {r["Cơ quan"]: r for r in xlsx_sheet(data, "Theo cơ quan")}
    assert rows["UBND các xã, phường"]["Đã phát hành"] == 5
    assert rows["Tổng cộng"]["Kế hoạch"] == TOTAL_2026["planned"]
    # 7 published of the 12 already due: a fraction shown with a % format
    assert abs(rows["Tổng cộng"]["Tỷ lệ phát hành"] - 7 / 12) < 1e-9


def test_html_has_the_table_and_an_embedded_chart(ctx_factory: Any) -> None:
    html = render(ctx_factory(build_output_report, 2026), "html").decode()
    assert '<table class="data" id="table-output">' in html
    assert 'src="data:image/svg+xml;base64,' in html
    assert "Tháng 1/2026" in html and "58,3%" in html  # 7/12 as Vietnamese write it


def test_pdf_text_is_vietnamese_with_the_figures(ctx_factory: Any) -> None:
    text = pdf_text(render(ctx_factory(build_output_report, 2025), "pdf"))
    assert "Sản lượng thông tin theo cơ quan năm 2025 thực hiện Kế hoạch" in text
    assert "Cơ quan tại thời điểm" in text and "Tháng 2/2025" in text
    assert "75%" in text  # SKHCN in 2025: 6 published of 8 due


def test_english_labels_on_request(ctx_factory: Any) -> None:
    html = render(ctx_factory(build_output_report, 2026, lang="en"), "html").decode()
    assert "Output by agency in 2026" in html and "Agency of record" in html
    assert "58.3%" in html
