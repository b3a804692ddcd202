"""The plan, its units and agencies as plain rows: what `bantin plan show`, `units list`,
`units groups` and `agencies list` print, and what the web desk shows, from one query
each, so the two never disagree."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bantin.core.errors import BantinError
from bantin.core.models import (
    Agency,
    Objective,
    Plan,
    Task,
    TaskAgency,
    Unit,
    UnitGroup,
    UnitGroupMember,
)


class PlanNotLoaded(BantinError):
    """The database holds no plan yet."""


class UnknownUnitGroup(BantinError):
    """A unit group name that is not in the database."""


def task_sort_key(code: str) -> tuple[int, ...]:
    """'1.2' < '3.1a' < '3.1b' < '3.2', as the plan numbers them."""
    return tuple(int(x) if x.isdigit() else 1000 + ord(x) for x in re.findall(r"\d+|[a-z]", code))


def _objectives(s: Session) -> list[dict[str, Any]]:
    return [
        {
            "code": o.code,
            "year": o.year,
            "metric": o.metric,
            "comparator": o.comparator,
            "value": o.value,
            "unit": o.unit,
            "text": o.text,
        }
        for o in s.execute(select(Objective).order_by(Objective.year, Objective.id)).scalars()
    ]


def _tasks(s: Session) -> list[dict[str, Any]]:
    roles: dict[str, dict[str, list[str]]] = {}
    for ta in s.execute(select(TaskAgency)).scalars():
        roles.setdefault(ta.task_code, {}).setdefault(ta.role, []).append(ta.agency_code)
    tasks: list[dict[str, Any]] = [
        {
            "code": t.code,
            "group": t.group,
            "title": t.title,
            "lead": sorted(roles.get(t.code, {}).get("lead", [])),
            "coordinating": sorted(roles.get(t.code, {}).get("coordinating", [])),
            "period": [t.period_start, t.period_end],
            "frequency": t.frequency,
            "publishes": t.publishes,
        }
        for t in s.execute(select(Task)).scalars()
    ]
    tasks.sort(key=lambda t: task_sort_key(t["code"]))
    return tasks


def plan_document(s: Session) -> dict[str, Any]:
    """The plan with its objectives (year order) and tasks (plan order) and their lead and
    coordinating agencies; raises PlanNotLoaded before `bantin init`."""
    p = s.execute(select(Plan)).scalars().first()
    if p is None:
        raise PlanNotLoaded("no plan loaded: run `bantin init` first")
    return {
        "code": p.code,
        "number": p.number,
        "date": p.signed_on.isoformat(),
        "title": p.title,
        "objectives": _objectives(s),
        "tasks": _tasks(s),
    }


def unit_rows(s: Session, group: str | None = None) -> list[dict[str, Any]]:
    """Commune-level units in Vietnamese alphabetical order, optionally of one group."""
    q = select(Unit).order_by(Unit.sort_key)
    if group:
        if s.get(UnitGroup, group) is None:
            raise UnknownUnitGroup(f"unknown unit group {group!r} (see `bantin units groups`)")
        q = q.join(UnitGroupMember, UnitGroupMember.unit_code == Unit.code).where(
            UnitGroupMember.group_name == group
        )
    return [{"code": u.code, "name": u.name, "kind": u.kind} for u in s.execute(q).scalars()]


def unit_group_rows(s: Session) -> list[dict[str, Any]]:
    """Each named unit group with how many units it holds."""
    return [
        {"name": g.name, "title": g.title, "units": n}
        for g, n in s.execute(
            select(UnitGroup, func.count(UnitGroupMember.unit_code))
            .outerjoin(UnitGroupMember, UnitGroupMember.group_name == UnitGroup.name)
            .group_by(UnitGroup.name)
            .order_by(UnitGroup.name)
        )
    ]


def agency_rows(s: Session) -> list[dict[str, Any]]:
    """Every agency, with its validity period and successor (ISO dates)."""
    return [
        {
            "code": a.code,
            "name": a.name,
            "kind": a.kind,
            "level": a.level,
            "valid_from": a.valid_from.isoformat() if a.valid_from else None,
            "valid_to": a.valid_to.isoformat() if a.valid_to else None,
            "successor": a.successor_code,
        }
        for a in s.execute(select(Agency).order_by(Agency.code)).scalars()
    ]
