"""The neutral shape of every report, which each output format renders.

Report builders run the SQL and fill this in once, in one language; the renderers
(HTML/PDF, XLSX, CSV, JSON) never query and never compute a figure, so every format of
one report shows the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Column:
    """`kind` says how a cell is written: text, int, number, percent, month, date, bool,
    codes (a list of codes, "A, B → C"). `names` maps a code to what a person reads (an
    agency's name for its code) in HTML, PDF and XLSX; CSV and JSON keep the code."""

    key: str
    label: str
    kind: str = "text"
    names: dict[str, str] | None = None


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    footer: dict[str, Any] | None = None
    note: str | None = None


@dataclass
class Chart:
    """Bars: one group per category, one bar (or stacked segment) per series."""

    name: str
    title: str
    categories: list[str]
    series: dict[str, list[float]]
    stacked: bool = False
    horizontal: bool = False
    value_label: str = ""
    target: float | None = None
    target_label: str = ""


@dataclass
class Section:
    """A numbered part of an official report: text, optionally a table or chart, and
    dotted lines for what the agency writes by hand."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)
    table: str | None = None
    chart: str | None = None
    fill_lines: int = 0


@dataclass
class Official:
    """The parts of a Vietnamese administrative report (Decree 30/2020/NĐ-CP layout)."""

    superior: str | None
    issuer: str
    number: str
    place_date: str
    doc_type: str
    subject: str
    recipient: str
    sections: list[Section]
    recipients: list[str]
    signer_title: str
    signer_note: str


@dataclass
class Report:
    kind: str
    lang: str
    title: str
    facts: list[tuple[str, str]]
    tables: list[Table]
    charts: list[Chart] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    official: Official | None = None

    def table(self, name: str) -> Table:
        for tab in self.tables:
            if tab.name == name:
                return tab
        names = ", ".join(tab.name for tab in self.tables)
        raise KeyError(f"report {self.kind!r} has no table {name!r} (it has: {names})")

    def chart(self, name: str) -> Chart:
        return next(c for c in self.charts if c.name == name)
