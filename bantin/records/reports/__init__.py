"""Reports for the auditor: agency output, loudspeaker coverage, plan progress and each
agency's annual report, in Vietnamese (default) or English, as HTML, PDF, XLSX, CSV or
JSON. Builders aggregate in SQL into a neutral `Report`; renderers only format it."""

from __future__ import annotations

from bantin.records.reports.annual import build_annual_report
from bantin.records.reports.common import Context
from bantin.records.reports.coverage_report import build_coverage_report
from bantin.records.reports.document import Report
from bantin.records.reports.formats import FORMATS, render
from bantin.records.reports.output_report import build_output_report
from bantin.records.reports.progress import build_progress_report

__all__ = [
    "FORMATS",
    "Context",
    "Report",
    "build_annual_report",
    "build_coverage_report",
    "build_output_report",
    "build_progress_report",
    "render",
]
