"""Indicators that agencies report: the plan's targets bantin cannot observe itself.

Training rates, digital-service uptake, STEM schools: none of them is a publication, so
an agency types the figure from its own report ("Báo cáo số 123/BC-SGDĐT") and bantin
keeps it beside the source, who recorded it and when; the plan-progress report sets the
figures against the 2025 and 2030 targets. A value is checked against its objective's
unit: a percentage lies in 0–100, a count is a whole number ≥ 0.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.core import audit
from bantin.core.errors import RecordsError
from bantin.core.models import IndicatorValue, Objective, Plan
from bantin.records.agencies import Agencies

COMPARATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "=": operator.eq,
    "==": operator.eq,
}


def meets(value: float, comparator: str, target: float) -> bool:
    """Whether a reported value satisfies an objective's target."""
    return COMPARATORS[comparator](value, target)


def check_value(objective: str, unit: str, value: float) -> None:
    """Refuse a value its objective's unit cannot hold."""
    if unit == "percent" and not 0 <= value <= 100:
        raise RecordsError(f"{objective} is a percentage: the value must be 0–100, not {value:g}")
    if unit == "count" and (value < 0 or value != int(value)):
        raise RecordsError(f"{objective} is a count: the value must be a whole number ≥ 0")


def objective_unit(session: Session, code: str) -> str:
    units = set(session.execute(select(Objective.unit).where(Objective.code == code)).scalars())
    if not units:
        known = sorted(set(session.execute(select(Objective.code)).scalars()))
        raise RecordsError(
            f"unknown objective {code!r}; the plan's objectives are: {', '.join(known)}"
        )
    return units.pop()


def _check_year(session: Session, year: int) -> None:
    plan = session.execute(select(Plan)).scalars().first()
    years = list(session.execute(select(Objective.year)).scalars())
    first = plan.signed_on.year if plan else min(years, default=year)
    last = max(years, default=year)
    if not first <= year <= last:
        raise RecordsError(f"year {year} is outside the plan ({first}–{last})")


def record_indicator(
    session: Session,
    objective: str,
    year: int,
    agency: str,
    value: float,
    source: str,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Record (or correct) an agency's figure for an objective and year, with its source."""
    unit = objective_unit(session, objective)
    check_value(objective, unit, value)
    _check_year(session, year)
    Agencies.load(session).get(agency)
    if not source.strip():
        raise RecordsError("--source must name the document the figure comes from")
    row = session.execute(
        select(IndicatorValue).where(
            IndicatorValue.objective_code == objective,
            IndicatorValue.year == year,
            IndicatorValue.agency_code == agency,
        )
    ).scalar_one_or_none()
    previous = None
    if row is None:
        row = IndicatorValue(objective_code=objective, year=year, agency_code=agency)
        session.add(row)
    else:
        previous = {"value": row.value, "source": row.source_document}
    row.value, row.unit, row.source_document = float(value), unit, source.strip()
    row.recorded_by, row.recorded_at = actor, now
    session.flush()
    data: dict[str, Any] = {
        "objective": objective,
        "year": year,
        "agency": agency,
        "value": row.value,
        "unit": unit,
        "source": row.source_document,
    }
    if previous:
        data["previous"] = previous
    audit.append(
        session, now, actor, "indicator.recorded", "indicator", f"{objective}/{year}/{agency}", data
    )
    return indicator_dict(row)


def indicator_dict(row: IndicatorValue) -> dict[str, Any]:
    return {
        "objective": row.objective_code,
        "year": row.year,
        "agency": row.agency_code,
        "value": row.value,
        "unit": row.unit,
        "source": row.source_document,
        "recorded_by": row.recorded_by,
        "recorded_at": row.recorded_at.isoformat(),
    }


def list_indicators(
    session: Session, year: int | None = None, agencies: frozenset[str] | None = None
) -> list[dict[str, Any]]:
    """Reported values, by objective, year and agency."""
    q = select(IndicatorValue).order_by(
        IndicatorValue.objective_code, IndicatorValue.year, IndicatorValue.agency_code
    )
    if year is not None:
        q = q.where(IndicatorValue.year == year)
    if agencies is not None:
        q = q.where(IndicatorValue.agency_code.in_(sorted(agencies)))
    return [indicator_dict(r) for r in session.execute(q).scalars()]
