"""The auditor's dashboard, assembled from the report queries: plan progress per task,
coverage per commune, output per agency and month, the report deadline board, open
alerts and the audit chain's state. A handful of GROUP BY queries, nothing per row.

The audit chain is not verified here (a million events on every page view): the state
is the newest signed head written by the nightly job, checked against its one event.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bantin.content.collation import sort_key
from bantin.core.audit.anchor import read_heads
from bantin.core.models import Agency, AuditEvent, Task
from bantin.plan.views import task_sort_key
from bantin.records import deadlines
from bantin.records.channel_views import open_alerts
from bantin.records.reports.coverage_query import coverage
from bantin.records.reports.output_query import output_counts
from bantin.records.reports.periods import year_period


@dataclass(frozen=True)
class AuditState:
    events: int
    head_seq: int | None
    head_time: str | None
    head_ok: bool | None  # None: no signed head yet


@dataclass
class Dashboard:
    year: int
    months: list[str]
    tasks: list[dict[str, Any]] = field(default_factory=list)
    coverage: list[dict[str, Any]] = field(default_factory=list)
    output: dict[str, list[int]] = field(default_factory=dict)  # agency -> published per month
    deadlines: list[dict[str, object]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    audit: AuditState | None = None
    agencies: list[str] = field(default_factory=list)


def share(part: int, whole: int) -> int | None:
    """Whole per cent, or None when nothing was due (never a division by zero)."""
    return round(100 * part / whole) if whole else None


def task_progress(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per plan task: publications planned for the year, those due (final) so far, and
    how many of those were published, as a share."""
    due: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        due[r["task"]][0] += r["planned"] - r["pending"]
        due[r["task"]][1] += r["published"]
        due[r["task"]][2] += r["planned"]
    out = []
    for code, title in sorted(
        session.execute(select(Task.code, Task.title)), key=lambda x: task_sort_key(x[0])
    ):
        done, published, planned = due.get(code, [0, 0, 0])
        out.append(
            {"task": code, "title": title, "planned": planned, "due": done,
             "published": published, "share": share(published, done)}
        )  # fmt: skip
    return out


def commune_coverage(session: Session, year: int, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Per commune (Vietnamese collation): published and confirmed bulletins per month."""
    cov = coverage(session, year_period(year, tz))
    rows = []
    for code, name in sorted(cov.units, key=lambda u: sort_key(u[1])):
        cells = []
        for month in cov.months:
            pub = cov.published.get((month, code), 0)
            conf = cov.confirmed.get((month, code), 0)
            cells.append(
                {"month": month, "published": pub, "confirmed": conf, "share": share(conf, pub)}
            )
        rows.append({"code": code, "name": name, "cells": cells})
    return rows


def output_by_agency(rows: list[dict[str, Any]], months: list[str]) -> dict[str, list[int]]:
    index = {m: i for i, m in enumerate(months)}
    out: dict[str, list[int]] = {}
    for r in rows:
        series = out.setdefault(r["agency_code"], [0] * len(months))
        if r["month"] in index:
            series[index[r["month"]]] += r["published"]
    return dict(sorted(out.items()))


def audit_state(session: Session, home: Path, tz: ZoneInfo) -> AuditState:
    """Events count and the newest nightly signed head, checked against its one event."""
    events = session.scalar(select(func.max(AuditEvent.seq))) or 0
    heads, _ = read_heads(home)
    if not heads:
        return AuditState(events, None, None, None)
    head = max(heads, key=lambda h: h.seq)
    row = session.get(AuditEvent, head.seq)
    ok = head.seq == 0 or (row is not None and row.hash == head.hash)
    return AuditState(events, head.seq, head.signed_at, ok)


def build(session: Session, year: int, now: datetime, tz: ZoneInfo, home: Path) -> Dashboard:
    period = year_period(year, tz)
    months = period.months()
    counts = output_counts(session, period)
    return Dashboard(
        year=year,
        months=months,
        tasks=task_progress(session, counts),
        coverage=commune_coverage(session, year, tz),
        output=output_by_agency(counts, months),
        deadlines=deadlines.status(session, year, now, tz),
        alerts=open_alerts(session, tz, limit=50),
        audit=audit_state(session, home, tz),
        agencies=list(session.scalars(select(Agency.code).order_by(Agency.code))),
    )
