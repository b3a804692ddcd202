"""A report as an Excel workbook (openpyxl): a cover sheet, one sheet per table named by
its title in the report's language, and one sheet per chart with a native Excel chart
over its figures.

Numbers stay numbers (an officer re-adds columns in Excel), percentages are stored as
fractions with a % format, months as the label a reader expects, and codes (agencies,
objectives) as their names.
"""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bantin.records.reports.document import Chart, Column, Report
from bantin.records.reports.formats import MOTTO, NATION
from bantin.records.reports.i18n import cell, t_or

HEADER_FILL = PatternFill("solid", fgColor="EEF2F6")
BOLD = Font(bold=True)


def _value(value: Any, col: Column, lang: str) -> Any:
    if value is None:
        return None
    if col.kind == "percent":
        return value / 100.0
    if col.kind in ("int", "number"):
        return value
    return cell(value, col.kind, lang, col.names)


# Excel refuses these in a sheet name, and names longer than 31 characters.
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(title: str, taken: set[str]) -> str:
    """`title` as a sheet name Excel accepts, distinct from those in `taken`."""
    base = " ".join(_FORBIDDEN.sub("-", title).split()).strip("'") or "Sheet"
    name, n = base[:31], 1
    while name.lower() in taken:
        n += 1
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
    taken.add(name.lower())
    return name


def _chart_sheet(wb: Workbook, chart: Chart, title: str) -> None:
    """The chart's figures (categories down, one column per series) and a native bar
    chart over them, stacked and horizontal as in the PDF."""
    ws = wb.create_sheet(title)
    ws.append(["", *chart.series])
    for i, category in enumerate(chart.categories):
        ws.append([category, *(values[i] for values in chart.series.values())])
    ws.column_dimensions["A"].width = 28
    bar = BarChart()
    bar.type = "bar" if chart.horizontal else "col"
    if chart.stacked:
        bar.grouping, bar.overlap = "stacked", 100
    bar.title = chart.title
    bar.y_axis.title = chart.value_label or None
    n = len(chart.categories)
    data = Reference(ws, min_col=2, max_col=1 + len(chart.series), min_row=1, max_row=1 + n)
    bar.add_data(data, titles_from_data=True)
    bar.set_categories(Reference(ws, min_col=1, min_row=2, max_row=1 + n))
    bar.width, bar.height = 24, max(9, 0.5 * n if chart.horizontal else 9)
    ws.add_chart(bar, f"{get_column_letter(len(chart.series) + 3)}2")


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
    taken = {wb.active.title.lower()}
    for tab in report.tables:
        ws = wb.create_sheet(sheet_name(t_or(f"sheet_{tab.name}", report.lang, tab.title), taken))
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
    for chart in report.charts:
        if any(v for values in chart.series.values() for v in values):
            base = chart.name.split("_")[0] if chart.name.startswith("units") else chart.name
            _chart_sheet(
                wb, chart, sheet_name(t_or(f"chart_{base}", report.lang, chart.title), taken)
            )
    _text_stays_text(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
