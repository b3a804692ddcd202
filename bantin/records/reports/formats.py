"""Turning a `Report` into bytes: HTML (charts inline), PDF (the same HTML through
weasyprint), JSON and CSV. XLSX is in `xlsx.py`.

Figures are written as the reader's language writes them in HTML and PDF (1.234,5 and
70% in Vietnamese); JSON and CSV carry the raw numbers for machines, with the report's
labels as CSV headers. CSV starts with a UTF-8 byte-order mark, without which Excel —
what most offices open a CSV with — garbles Vietnamese letters.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import logging
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from bantin.csvsafe import safe_row
from bantin.records.reports.charts import render_svg
from bantin.records.reports.document import Chart, Report
from bantin.records.reports.fonts import SERIF, serif_faces
from bantin.records.reports.i18n import cell, t

log = logging.getLogger(__name__)
FORMATS = ("html", "pdf", "xlsx", "csv", "json")
NUMERIC = ("int", "number", "percent")
NATION = {"vi": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "en": "SOCIALIST REPUBLIC OF VIETNAM"}
MOTTO = {"vi": "Độc lập - Tự do - Hạnh phúc", "en": "Independence - Freedom - Happiness"}


@cache
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("bantin.records.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _css() -> str:
    return (Path(__file__).parent / "templates" / "report.css").read_text(encoding="utf-8")


def _font_faces() -> str:
    """@font-face rules naming the font files, so the PDF embeds Liberation Serif under
    every family the sheet asks for, whatever fontconfig would substitute."""
    faces = serif_faces()
    if not faces:
        log.warning("%s 2 not found (install fonts-liberation2): PDF uses a fallback", SERIF)
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; src: url("{path.as_uri()}"); '
        f"font-weight: {weight}; font-style: {style}; }}"
        for (weight, style), path in faces.items()
        for family in (SERIF,)
    )


def _chart_uri(chart: Chart) -> str:
    """The chart as an inline SVG, or "" when it has no figure to draw (an empty chart
    with an axis from -0.04 to 0.04 tells the reader nothing; the page says so)."""
    if not any(v for values in chart.series.values() for v in values):
        return ""
    svg = render_svg(chart).encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def to_html(report: Report, *, embed_fonts: bool = False) -> str:
    """A standalone HTML page: styles inline, every chart an inline SVG data URI."""
    lang = report.lang
    uris = {c.name: _chart_uri(c) for c in report.charts}
    facts = dict(report.facts)
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            report=report,
            tables={tab.name: tab for tab in report.tables},
            charts={c.name: c for c in report.charts},
            chart_uris=uris,
            cell=lambda value, col: cell(value, col.kind, lang, col.names),
            numeric=NUMERIC,
            # Trusted text, and entities are not decoded inside <style>: never escape it.
            css=Markup(_css()),
            font_faces=Markup(_font_faces() if embed_fonts else ""),
            nation=NATION[lang],
            motto=MOTTO[lang],
            period_label=t("period", lang),
            period_value=facts.get(t("period", lang), ""),
            to_label="Nơi nhận:" if lang == "vi" else "Distribution:",
            no_data=t("no_data_yet", lang),
        )
    )


def to_pdf(report: Report) -> bytes:
    """The HTML page printed by weasyprint (A4; landscape for the wide statistical
    reports, portrait with the official margins for the annual report)."""
    # Its progress log is one INFO line per layout step (from the import on): noise in a
    # command's output.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    from weasyprint import HTML

    return bytes(HTML(string=to_html(report, embed_fonts=True)).write_pdf())


def to_json(report: Report) -> bytes:
    doc: dict[str, Any] = {
        "kind": report.kind,
        "lang": report.lang,
        "title": report.title,
        "meta": report.meta,
        "facts": [{"label": k, "value": v} for k, v in report.facts],
        "tables": {
            tab.name: {
                "title": tab.title,
                "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in tab.columns],
                "rows": [{c.key: row.get(c.key) for c in tab.columns} for row in tab.rows],
                "footer": tab.footer,
            }
            for tab in report.tables
        },
    }
    if report.official is not None:
        o = report.official
        doc["official"] = {
            "nation": NATION[report.lang],
            "motto": MOTTO[report.lang],
            "superior": o.superior,
            "issuer": o.issuer,
            "number": o.number,
            "place_date": o.place_date,
            "doc_type": o.doc_type,
            "subject": o.subject,
            "recipient": o.recipient,
            "sections": [
                {"heading": s.heading, "paragraphs": s.paragraphs, "to_fill": s.fill_lines > 0}
                for s in o.sections
            ],
        }
    return json.dumps(doc, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def to_csv(report: Report, table: str | None = None) -> bytes:
    """One table of the report (default: its first) as CSV with labelled headers."""
    tab = report.table(table) if table else report.tables[0]
    buf = io.StringIO()
    writer = csv.writer(buf)
    # Labels and cells may hold typed text (titles, names): no formula may run in Excel.
    writer.writerow(safe_row(c.label for c in tab.columns))
    for row in tab.rows:
        writer.writerow(
            safe_row("" if row.get(c.key) is None else row.get(c.key) for c in tab.columns)
        )
    return buf.getvalue().encode("utf-8-sig")


def render(report: Report, fmt: str, *, table: str | None = None) -> bytes:
    """The report in `fmt` (one of FORMATS)."""
    if fmt == "html":
        return to_html(report).encode("utf-8")
    if fmt == "pdf":
        return to_pdf(report)
    if fmt == "json":
        return to_json(report)
    if fmt == "csv":
        return to_csv(report, table)
    if fmt == "xlsx":
        from bantin.records.reports.xlsx import to_xlsx

        return to_xlsx(report)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
