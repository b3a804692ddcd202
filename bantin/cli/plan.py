"""`bantin plan show`, `bantin units list`, `bantin agencies list`."""

from __future__ import annotations

import json
import re
from typing import Any

import click
from sqlalchemy import select

from bantin.cli.app import App, cli, emit, output_options, pass_app
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


def task_sort_key(code: str) -> tuple[int, ...]:
    """'1.2' < '3.1a' < '3.1b' < '3.2', as the plan numbers them."""
    return tuple(int(x) if x.isdigit() else 1000 + ord(x) for x in re.findall(r"\d+|[a-z]", code))


@cli.group()
def plan() -> None:
    """The plan: objectives and tasks."""


@plan.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def plan_show(app: App, as_json: bool) -> None:
    """Show the plan, its objectives for 2025 and 2030, and its tasks with their agencies.

    \b
    Example:
      bantin plan show
      bantin plan show --json | jq '.tasks[] | .code'
    """
    with app.session() as s:
        p = s.execute(select(Plan)).scalars().first()
        if p is None:
            raise click.ClickException("no plan loaded: run `bantin init` first")
        objectives = [
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
        doc = {
            "code": p.code,
            "number": p.number,
            "date": p.signed_on.isoformat(),
            "title": p.title,
            "objectives": objectives,
            "tasks": tasks,
        }
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    click.echo(f"{doc['title']}\nQuyết định số {doc['number']}, ngày {p.signed_on:%d/%m/%Y}\n")
    emit(
        [
            {
                **o,
                "target": f"{o['comparator']} {o['value']:g}"
                + ("%" if o["unit"] == "percent" else ""),
            }
            for o in objectives
        ],
        ["year", "code", "target", "metric"],
        title="Mục tiêu",
    )
    emit(
        [
            {
                **t,
                "lead": ", ".join(t["lead"]),
                "coordinating": ", ".join(t["coordinating"]),
                "period": "–".join(str(x) for x in t["period"] if x) or (t["frequency"] or ""),
            }
            for t in tasks
        ],
        ["code", "title", "lead", "coordinating", "period"],
        title="Nhiệm vụ",
    )


@cli.group()
def units() -> None:
    """Administrative units (xã, phường) and unit groups."""


@units.command("list")
@click.option("--group", default=None, help="Only the units of this group.")
@output_options
@pass_app
def units_list(app: App, group: str | None, as_json: bool, as_csv: bool) -> None:
    """List the province's commune-level units in Vietnamese alphabetical order.

    \b
    Example:
      bantin units list --group vinh-long-cu
    """
    with app.session() as s:
        q = select(Unit).order_by(Unit.sort_key)
        if group:
            if s.get(UnitGroup, group) is None:
                raise click.ClickException(
                    f"unknown unit group {group!r} (see `bantin units groups`)"
                )
            q = q.join(UnitGroupMember, UnitGroupMember.unit_code == Unit.code).where(
                UnitGroupMember.group_name == group
            )
        rows = [{"code": u.code, "name": u.name, "kind": u.kind} for u in s.execute(q).scalars()]
    emit(
        rows,
        ["code", "name", "kind"],
        as_json=as_json,
        as_csv=as_csv,
        title=f"{len(rows)} đơn vị hành chính cấp xã",
    )


@units.command("groups")
@output_options
@pass_app
def units_groups(app: App, as_json: bool, as_csv: bool) -> None:
    """List the named unit groups (the communes one culture team serves)."""
    from sqlalchemy import func

    with app.session() as s:
        rows = [
            {"name": g.name, "title": g.title, "units": n}
            for g, n in s.execute(
                select(UnitGroup, func.count(UnitGroupMember.unit_code))
                .outerjoin(UnitGroupMember, UnitGroupMember.group_name == UnitGroup.name)
                .group_by(UnitGroup.name)
                .order_by(UnitGroup.name)
            )
        ]
    emit(rows, ["name", "title", "units"], as_json=as_json, as_csv=as_csv)


@cli.group()
def agencies() -> None:
    """Agencies of the plan, with validity periods and successors."""


@agencies.command("list")
@output_options
@pass_app
def agencies_list(app: App, as_json: bool, as_csv: bool) -> None:
    """List agencies; those that ceased show their end date and successor.

    \b
    Example:
      bantin agencies list --json
    """
    with app.session() as s:
        rows = [
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
    emit(rows, ["code", "name", "valid_to", "successor"], as_json=as_json, as_csv=as_csv)
