"""CSV cells a spreadsheet will not run as formulas (OWASP "CSV injection").

Campaign titles, receipt notes and actor names are typed by people. Excel and LibreOffice
run a cell beginning with = + - @ as a formula (and skip a leading tab or carriage return
first), so `=HYPERLINK(...)` in a note would become a live link, or worse, in the office
that opens the export. Every CSV writer in bantin passes its cells through `safe_cell`,
which prefixes such text with an apostrophe; numbers stay numbers (-3 is not a formula).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value`, or `'value` when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def dict_rows_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A header line and one line per row (keys beyond `columns` ignored), cells made safe."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(safe_row(columns))
    for row in rows:
        writer.writerow(safe_row("" if row.get(c) is None else row.get(c) for c in columns))
    return buf.getvalue()
