"""Which report documents a principal may have, built by the existing report builders.

Shared by the desk's downloads and `/api/v1/reports`: province-wide reports (plan
progress, coverage, output of every agency) are for the auditor and the admin; an
agency's own output and annual report are for that agency's people and tokens too.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bantin.accounts import scope
from bantin.records.reports import (
    Context,
    Report,
    build_annual_report,
    build_coverage_report,
    build_output_report,
    build_progress_report,
)

KINDS = ("progress", "coverage", "output", "annual")


class NotAllowed(Exception):
    """The principal may not have this report (answered as 404: nothing is revealed)."""


def allowed(p: scope.Principal, kind: str, agency: str | None) -> bool:
    if kind not in KINDS or not scope.may_read(p):
        return False
    if kind in ("progress", "coverage") or (kind == "output" and agency is None):
        return p.sees_everything
    return agency is not None and scope.sees_agency(p, agency)


def build(
    session: Session,
    p: scope.Principal,
    kind: str,
    year: int,
    agency: str | None,
    *,
    tz: ZoneInfo,
    now: datetime,
    lang: str = "vi",
) -> Report:
    """The report, or NotAllowed; `agency` is required for annual, optional for output."""
    if not allowed(p, kind, agency):
        raise NotAllowed(kind)
    ctx = Context(session, tz, now, lang)
    if kind == "progress":
        return build_progress_report(ctx, year)
    if kind == "coverage":
        return build_coverage_report(ctx, year)
    if kind == "output":
        return build_output_report(ctx, year, agency)
    assert agency is not None
    return build_annual_report(ctx, agency, year)
