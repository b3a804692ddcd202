"""A report as an Excel workbook (openpyxl): a cover sheet, then one sheet per table.

Numbers stay numbers (an officer re-adds columns in Excel), percentages are stored as
fractions with a % format, and months as the label a reader expects.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bantin.records.reports.document import Column, Report
from bantin.records.reports.formats import MOTTO, NATION
from bantin.records.reports.i18n import cell

HEADER_FILL = PatternFill("solid", fgColor="EEF2F6")
BOLD = Font(bold=True)


def _value(value: Any, col: Column, lang: str) -> Any:
    if value is None:
        return None
    if col.kind == "percent":
        return value / 100.0
    if col.kind in ("int", "number"):
        return value
    return cell(value, col.kind, lang)


def _cover(wb: Workbook, report: Report) -> None:
    ws = wb.active
    ws.title = "Báo cáo" if report.lang == "vi" else "Report"
    lines: list[tuple[str, ...]] = []
    if report.official is not None:
        o = report.official
        lines += [
            (o.superior or "", NATION[report.lang]),
            (o.issuer, MOTTO[report.lang]),
            (o.number, o.place_date),
            (),
            (o.doc_type,),
            (o.subject,),
            (o.recipient,),
            (),
        ]
    else:
        lines += [(report.title,), ()]
    lines += [(label, value) for label, value in report.facts]
    if report.official is not None:
        for s in report.official.sections:
            lines += [(), (s.heading,)]
            lines += [(p,) for p in s.paragraphs]
            lines += [("." * 80,)] * s.fill_lines
    for row in lines:
        ws.append(list(row))
    ws.column_dimensions["A"].width = 60
    ws.column_dimensions["B"].width = 60
    for row in ws.iter_rows():
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")


def _text_stays_text(wb: Workbook) -> None:
    """openpyxl stores a string starting with `=` as a formula; names and notes typed by
    people must never run in the office that opens the workbook (as in bantin.csvsafe)."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    c.data_type = "s"


def to_xlsx(report: Report) -> bytes:
    wb = Workbook()
    _cover(wb, report)
    for tab in report.tables:
        ws = wb.create_sheet(tab.name[:31])
        ws.append([c.label for c in tab.columns])
        for c in ws[1]:
            c.font, c.fill = BOLD, HEADER_FILL
        rows = [*tab.rows, *([tab.footer] if tab.footer else [])]
        for row in rows:
            ws.append([_value(row.get(c.key), c, report.lang) for c in tab.columns])
        for i, col in enumerate(tab.columns, start=1):
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = 40 if col.kind == "text" else 14
            fmt = {"percent": "0.0%", "int": "#,##0", "number": "#,##0.##"}.get(col.kind)
            if fmt:
                for (c,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    c.number_format = fmt
        if tab.footer:
            for c in ws[ws.max_row]:
                c.font = BOLD
        ws.freeze_panes = "A2"
    _text_stays_text(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
