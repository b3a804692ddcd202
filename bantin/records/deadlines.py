"""The yearly reporting calendar of the plan: every responsible agency reports its results
to the DIC before 5 December (plan, VI.6 and VI.7: "trước ngày 05/12").

`check_deadlines` runs once a day (the runner's 07:00 job, or `bantin report deadlines`
from cron) and does what the date calls for, catching up if a day was missed:
- from 20 November: draft each responsible agency's annual report (an `AnnualReport`
  row in `draft` and the document under `$BANTIN_HOME/reports/<year>/`), so the agency
  starts from its figures instead of a blank page;
- from 1 December: remind every agency that has not submitted (once: `reminded_at`);
- from 5 December 00:00 local, the deadline having passed: one overdue alert per agency
  still not submitted (marked by an `annual_report.overdue` audit event).
Every step looks at what is already recorded first, so running it twice in a day, or on
two runners, adds nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.core import audit
from bantin.core.models import AnnualReport, AuditEvent
from bantin.records.agencies import Agencies
from bantin.records.alerts import raise_alert
from bantin.records.reports import Context, build_annual_report, render
from bantin.records.responsibility import DRAFT_MONTH_DAY, responsible_agencies

log = logging.getLogger(__name__)

REMIND_MONTH_DAY = (12, 1)
DEADLINE_MONTH_DAY = (12, 5)  # due *before* this day
DRAFT_FORMAT = "html"  # opens in a browser and in Word/LibreOffice, where it is completed


def deadline(year: int, tz: ZoneInfo) -> datetime:
    """The first instant a report for `year` is late: 5 December 00:00 local."""
    return datetime.combine(date(year, *DEADLINE_MONTH_DAY), time.min, tz)


def report_entity(agency: str, year: int) -> str:
    return f"{year}/{agency}"


@dataclass
class DeadlineRun:
    year: int
    drafted: list[str] = field(default_factory=list)
    reminded: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.drafted or self.reminded or self.overdue)


def draft_path(home: Path, agency: str, year: int) -> Path:
    return home / "reports" / str(year) / f"bao-cao-{year}-{agency}.{DRAFT_FORMAT}"


def _draft(
    session: Session, agency: str, year: int, now: datetime, tz: ZoneInfo, home: Path, actor: str
) -> AnnualReport:
    report = build_annual_report(Context(session, tz, now), agency, year)
    path = draft_path(home, agency, year)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render(report, DRAFT_FORMAT))
    row = AnnualReport(
        agency_code=agency, year=year, status="draft", drafted_at=now, document_path=str(path)
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        now,
        actor,
        "annual_report.drafted",
        "annual_report",
        report_entity(agency, year),
        {"document": str(path)},
    )
    return row


def _overdue_marked(session: Session, agency: str, year: int) -> bool:
    return (
        session.execute(
            select(AuditEvent.seq).where(
                AuditEvent.entity_id == report_entity(agency, year),
                AuditEvent.entity == "annual_report",
                AuditEvent.action == "annual_report.overdue",
            )
        ).first()
        is not None
    )


def _remind(
    session: Session, row: AnnualReport, code: str, name: str, year: int, now: datetime, actor: str
) -> None:
    """Alert `code` that its report is due before 5 December, once (`reminded_at`)."""
    row.reminded_at = now
    raise_alert(
        session,
        now,
        code,
        "report_reminder",
        f"Nhắc: {name} gửi báo cáo kết quả thực hiện Kế hoạch năm {year} trước ngày "
        f"5/12/{year}; bản dự thảo: {row.document_path or '(chưa có)'}",
        actor=actor,
    )


def _flag_overdue(
    session: Session, code: str, name: str, year: int, now: datetime, due: datetime, actor: str
) -> None:
    """Alert that `code` missed the deadline, and record it so it is flagged only once."""
    raise_alert(
        session,
        now,
        code,
        "report_overdue",
        f"Quá hạn: {name} chưa gửi báo cáo kết quả thực hiện Kế hoạch năm {year} "
        f"(hạn trước ngày 5/12/{year})",
        actor=actor,
    )
    audit.append(
        session,
        now,
        actor,
        "annual_report.overdue",
        "annual_report",
        report_entity(code, year),
        {"deadline": due.isoformat()},
    )


def _log_run(run: DeadlineRun) -> None:
    if run.changed:
        log.info(
            "report deadlines %d: drafted %s, reminded %s, overdue %s",
            run.year,
            ", ".join(run.drafted) or "none",
            ", ".join(run.reminded) or "none",
            ", ".join(run.overdue) or "none",
        )


def check_deadlines(
    session: Session, now: datetime, tz: ZoneInfo, home: Path, actor: str = "bantin"
) -> DeadlineRun:
    """Draft, remind and flag overdue as the local date of `now` calls for."""
    today = now.astimezone(tz).date()
    year = today.year
    run = DeadlineRun(year)
    if today < date(year, *DRAFT_MONTH_DAY):
        return run
    agencies = Agencies.load(session)
    rows = {
        r.agency_code: r
        for r in session.execute(select(AnnualReport).where(AnnualReport.year == year)).scalars()
    }
    due = deadline(year, tz)
    for code in responsible_agencies(session, year, agencies):
        row = rows.get(code)
        if row is None:
            row = _draft(session, code, year, now, tz, home, actor)
            run.drafted.append(code)
        if row.status == "submitted":
            continue
        name = agencies.name(code)
        if today >= date(year, *REMIND_MONTH_DAY) and row.reminded_at is None:
            _remind(session, row, code, name, year, now, actor)
            run.reminded.append(code)
        if now >= due and not _overdue_marked(session, code, year):
            _flag_overdue(session, code, name, year, now, due, actor)
            run.overdue.append(code)
    _log_run(run)
    return run


@dataclass(frozen=True)
class Submission:
    agency: str
    year: int
    submitted_at: datetime
    submitted_by: str
    late: bool
    already: bool


def submit(
    session: Session, agency: str, year: int, now: datetime, actor: str, tz: ZoneInfo
) -> Submission:
    """Record that `agency` sent its report for `year`; a second call changes nothing."""
    Agencies.load(session).get(agency)
    row = session.execute(
        select(AnnualReport).where(AnnualReport.agency_code == agency, AnnualReport.year == year)
    ).scalar_one_or_none()
    due = deadline(year, tz)
    if row is not None and row.status == "submitted" and row.submitted_at is not None:
        by = row.submitted_by or ""
        return Submission(agency, year, row.submitted_at, by, row.submitted_at >= due, True)
    if row is None:
        row = AnnualReport(agency_code=agency, year=year)
        session.add(row)
    row.status, row.submitted_at, row.submitted_by = "submitted", now, actor
    session.flush()
    late = now >= due
    audit.append(
        session,
        now,
        actor,
        "annual_report.submitted",
        "annual_report",
        report_entity(agency, year),
        {"late": late},
    )
    return Submission(agency, year, now, actor, late, False)


def status(session: Session, year: int, now: datetime, tz: ZoneInfo) -> list[dict[str, object]]:
    """Each responsible agency (and any other that has a report row) with where it stands:
    not drafted, drafted, reminded, submitted (possibly late) or overdue."""
    agencies = Agencies.load(session)
    rows = {
        r.agency_code: r
        for r in session.execute(select(AnnualReport).where(AnnualReport.year == year)).scalars()
    }
    due = deadline(year, tz)
    out: list[dict[str, object]] = []
    for code in sorted(set(responsible_agencies(session, year, agencies)) | set(rows)):
        row = rows.get(code)
        if row is not None and row.status == "submitted":
            state = "submitted"
        elif now >= due:
            state = "overdue"
        elif row is not None and row.reminded_at is not None:
            state = "reminded"
        elif row is not None:
            state = "drafted"
        else:
            state = "not_drafted"
        submitted = row.submitted_at if row is not None else None
        out.append(
            {
                "agency": code,
                "name": agencies.name(code),
                "status": state,
                "late": bool(submitted and submitted >= due),
                "drafted_at": row.drafted_at.isoformat() if row and row.drafted_at else None,
                "reminded_at": row.reminded_at.isoformat() if row and row.reminded_at else None,
                "submitted_at": submitted.isoformat() if submitted else None,
                "submitted_by": row.submitted_by if row else None,
                "document": row.document_path if row else None,
            }
        )
    return out
