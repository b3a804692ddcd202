"""The loudspeaker coverage report: units reached and confirmed per month and per unit,
out of the province's 124, against the plan's commune target, in every format."""

from __future__ import annotations

from typing import Any

from bantin.records.reports import build_coverage_report, render
from tests.records.conftest import csv_rows, json_doc, pdf_text, xlsx_cover, xlsx_sheet
from tests.records.report_data import COVERAGE_2026, COVERAGE_UNITS, NAMES, A, B, C, D


def test_units_reached_and_confirmed_per_local_month(ctx_factory: Any) -> None:
    rows = {r["month"]: r for r in ctx_factory(build_coverage_report, 2026).table("months").rows}
    assert len(rows) == 12
    for month, row in rows.items():
        expected = COVERAGE_2026.get(month, (0, 0))
        assert (row["units_reached"], row["units_confirmed"]) == expected, month
        assert row["units_total"] == 124


def test_per_unit_counts(ctx_factory: Any) -> None:
    rows = {r["unit_code"]: r for r in ctx_factory(build_coverage_report, 2026).table("units").rows}
    assert len(rows) == 124
    for code, expected in COVERAGE_UNITS.items():
        assert {k: rows[code][k] for k in expected} == expected, code


def test_units_are_listed_in_vietnamese_order(ctx_factory: Any) -> None:
    codes = [r["unit_code"] for r in ctx_factory(build_coverage_report, 2026).table("units").rows]
    ours = [c for c in codes if c in NAMES]
    assert ours == [A, B, D, C]  # An Hội, Bến Tre, Cái Nhum, Sơn Đông


def test_target_is_the_plans_commune_target_for_the_year(ctx_factory: Any) -> None:
    report = ctx_factory(build_coverage_report, 2026)
    assert (report.meta["target"], report.meta["target_year"]) == (100.0, 2030)
    assert not any(r["target_met"] for r in report.table("months").rows)
    assert ctx_factory(build_coverage_report, 2025).meta["target"] == 80.0


def test_json_has_the_year_totals(ctx_factory: Any) -> None:
    doc = json_doc(render(ctx_factory(build_coverage_report, 2026), "json"))
    assert (doc["meta"]["units_reached"], doc["meta"]["units_confirmed"]) == (3, 2)
    jan = doc["tables"]["months"]["rows"][0]
    assert jan["month"] == "2026-01" and abs(jan["reached_share"] - 200 / 124) < 1e-9


def test_csv_lists_the_months(ctx_factory: Any) -> None:
    rows = csv_rows(render(ctx_factory(build_coverage_report, 2026), "csv"))
    feb = next(r for r in rows if r["Tháng"] == "2026-02")
    assert (feb["Xã, phường đã phát"], feb["Xã, phường xác nhận"]) == ("2", "2")


def test_xlsx_has_units_with_names_and_the_cover(ctx_factory: Any) -> None:
    data = render(ctx_factory(build_coverage_report, 2026), "xlsx")
    units = {r["Mã"]: r for r in xlsx_sheet(data, "Xã, phường")}
    assert units[A]["Xã, phường"] == "Phường An Hội" and units[A]["Đã phát hành"] == 3
    assert "3/124 (2,4%)" in xlsx_cover(data)


def test_html_embeds_both_charts(ctx_factory: Any) -> None:
    html = render(ctx_factory(build_coverage_report, 2026), "html").decode()
    # the months, and the 124 units in charts of 31
    assert html.count('src="data:image/svg+xml;base64,') == 1 + 1  # units 32–124 got nothing
    assert '<table class="data" id="table-units">' in html and "Xã Cái Nhum" in html


def test_pdf_shows_vietnamese_figures(ctx_factory: Any) -> None:
    text = pdf_text(render(ctx_factory(build_coverage_report, 2026), "pdf"))
    assert "Độ phủ truyền thanh cơ sở năm 2026 thực hiện Kế hoạch triển khai" in text
    assert "3/124 (2,4%)" in text and "2/124 (1,6%)" in text
    assert "Phường Sơn Đông" in text
