"""Who answers for the plan in a given year: the agencies that must report by 5/12.

Decision (documented in docs/reports.md): an agency is *responsible* for year Y when
- it exists on the drafting day, 20 November Y (an agency that ceased earlier in the year
  is represented by its successor, whose report includes the predecessor's records), and
- itself or an agency it succeeds leads or coordinates a task of the plan whose period
  covers Y (a task without a period counts every year), or owns a campaign whose period
  overlaps Y;
- placeholders are left out: kind "other" ("các cơ quan, đơn vị liên quan") names no
  one who could sign a report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.core.models import Campaign, Task, TaskAgency
from bantin.records.agencies import Agencies

DRAFT_MONTH_DAY = (11, 20)


@dataclass(frozen=True)
class Role:
    task: str
    role: str  # lead | coordinating | owner
    via: str  # the agency named in the plan or campaign (may be a predecessor)


def task_active(task: Task, year: int) -> bool:
    start, end = task.period_start, task.period_end
    return (start is None or start <= year) and (end is None or year <= end)


def campaign_overlaps(campaign: Campaign, year: int) -> bool:
    period = (campaign.spec or {}).get("period") or {}
    start, end = str(period.get("start") or "0000"), str(period.get("end") or "9999")
    return start[:4] <= str(year) <= end[:4]


def roles_in_year(
    session: Session, year: int, agencies: Agencies, on: date | None = None
) -> dict[str, list[Role]]:
    """Agency holding each role on `on` (default: 20 November of `year`) -> its roles."""
    day = on or date(year, *DRAFT_MONTH_DAY)
    out: dict[str, list[Role]] = {}
    tasks = {t.code: t for t in session.execute(select(Task)).scalars()}
    for ta in session.execute(select(TaskAgency)).scalars():
        task = tasks.get(ta.task_code)
        if task is None or not task_active(task, year) or ta.agency_code not in agencies:
            continue
        holder = agencies.holder_on(ta.agency_code, day)
        out.setdefault(holder, []).append(Role(ta.task_code, ta.role, ta.agency_code))
    for c in session.execute(select(Campaign)).scalars():
        if campaign_overlaps(c, year) and c.agency_code in agencies:
            holder = agencies.holder_on(c.agency_code, day)
            out.setdefault(holder, []).append(Role(c.task_code, "owner", c.agency_code))
    return out


def responsible_agencies(
    session: Session, year: int, agencies: Agencies | None = None
) -> list[str]:
    """Codes of the agencies that report for `year`, sorted."""
    agencies = agencies or Agencies.load(session)
    day = date(year, *DRAFT_MONTH_DAY)
    return sorted(
        code
        for code in roles_in_year(session, year, agencies, day)
        if code in agencies
        and agencies.get(code).kind != "other"
        and agencies.get(code).valid_on(day)
    )
