"""Loudspeaker coverage: how many of the province's communes and wards a radio script
reached each month (published to their channel) and how many confirmed airing it
(a broadcast receipt), against the plan's target for communes.

Two GROUP BY queries bring the records down to at most 12 × 124 (month, unit) rows;
every figure of the report is derived from those, never from the publications.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from bantin.core.models import BroadcastReceipt, Campaign, Objective, Publication, Unit
from bantin.records.reports.periods import Period, local_month

RADIO_KIND = "radio_script"
# The plan sets no target for loudspeaker coverage itself. Its only target counted in
# communes is the digital-transformation network "đến cấp xã" (80% of communes by 2025,
# 100% by 2030); task 1.3 is how the plan reaches every commune, so coverage is set
# against that objective. Years up to 2025 use the 2025 target, later years the 2030 one.
COVERAGE_OBJECTIVE = "commune-network"


@dataclass
class Coverage:
    """Counts per (month, unit): bulletins published and broadcasts confirmed."""

    months: list[str]
    units: list[tuple[str, str]]  # (code, name) in Vietnamese alphabetical order
    published: dict[tuple[str, str], int] = field(default_factory=dict)
    confirmed: dict[tuple[str, str], int] = field(default_factory=dict)
    target: float | None = None
    target_year: int | None = None

    @property
    def total_units(self) -> int:
        return len(self.units)

    def reached_in(self, month: str) -> int:
        return sum(1 for (m, _), n in self.published.items() if m == month and n)

    def confirmed_in(self, month: str) -> int:
        return sum(1 for (m, _), n in self.confirmed.items() if m == month and n)

    def reached_units(self) -> set[str]:
        return {u for (_, u), n in self.published.items() if n}

    def confirmed_units(self) -> set[str]:
        return {u for (_, u), n in self.confirmed.items() if n}

    def by_unit(self) -> dict[str, dict[str, int]]:
        """Per unit: bulletins published, months reached, receipts, months confirmed."""
        out = {
            code: dict.fromkeys(("published", "months_reached", "receipts", "months_confirmed"), 0)
            for code, _ in self.units
        }
        for source, count_key, months_key in (
            (self.published, "published", "months_reached"),
            (self.confirmed, "receipts", "months_confirmed"),
        ):
            for (_, unit), n in source.items():
                if n and unit in out:
                    out[unit][count_key] += n
                    out[unit][months_key] += 1
        return out


def radio_campaigns(session: Session, owners: Collection[str] | None = None) -> list[str]:
    q = select(Campaign.id).where(Campaign.kind == RADIO_KIND)
    if owners is not None:
        q = q.where(Campaign.agency_code.in_(sorted(owners)))
    return sorted(session.execute(q).scalars())


def coverage_target(session: Session, year: int) -> tuple[float | None, int | None]:
    """The plan's commune target that applies to `year` (value in %, target year)."""
    rows = session.execute(
        select(Objective.year, Objective.value)
        .where(Objective.code == COVERAGE_OBJECTIVE)
        .order_by(Objective.year)
    ).all()
    for target_year, value in rows:
        if year <= target_year:
            return value, target_year
    return (rows[-1][1], rows[-1][0]) if rows else (None, None)


def coverage(session: Session, period: Period, owners: Collection[str] | None = None) -> Coverage:
    """Count radio bulletins published and confirmed per (month, unit).

    `owners` limits it to the radio campaigns of those agencies (an agency's annual
    report); None is the whole province.
    """
    dialect = session.get_bind().dialect.name
    units = [
        (code, name)
        for code, name in session.execute(select(Unit.code, Unit.name).order_by(Unit.sort_key))
    ]
    result = Coverage(period.months(), units)
    result.target, result.target_year = coverage_target(session, period.year)
    p = Publication
    month = local_month(p.due_at, dialect, period.tz)
    # Literal 'published' and IS NOT NULL: SQLite uses the partial index of migration 0003
    # only when the query repeats its WHERE clause with the same constants.
    reach = (
        select(month, p.unit_code, func.count())
        .where(
            p.status == literal_column("'published'"),
            p.unit_code.is_not(None),
            period.month_filter(month),
            p.campaign_id.in_(radio_campaigns(session, owners)),
        )
        .group_by(month, p.unit_code)
    )
    result.published = {(m, str(u)): n for m, u, n in session.execute(reach)}
    r = BroadcastReceipt
    aired = local_month(r.aired_at, dialect, period.tz)
    confirmed = (
        select(aired, r.unit_code, func.count())
        .where(period.month_filter(aired))
        .group_by(aired, r.unit_code)
    )
    if owners is not None:
        confirmed = confirmed.where(r.agency_code.in_(sorted(owners)))
    result.confirmed = {(m, u): n for m, u, n in session.execute(confirmed)}
    return result
