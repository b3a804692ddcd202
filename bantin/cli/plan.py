"""`bantin plan show`, `bantin units list`, `bantin agencies list`."""

from __future__ import annotations

import json
from datetime import date

import click

from bantin.cli.app import App, cli, emit, output_options, pass_app
from bantin.plan import views


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
        doc = views.plan_document(s)
    objectives, tasks = doc["objectives"], doc["tasks"]
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    signed = date.fromisoformat(doc["date"])
    click.echo(f"{doc['title']}\nQuyết định số {doc['number']}, ngày {signed:%d/%m/%Y}\n")
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
        rows = views.unit_rows(s, group)
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
    """List the named unit groups (the communes one culture team serves).

    \b
    Example:
      bantin units groups
      bantin units groups --json
    """
    with app.session() as s:
        rows = views.unit_group_rows(s)
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
        rows = views.agency_rows(s)
    emit(rows, ["code", "name", "valid_to", "successor"], as_json=as_json, as_csv=as_csv)
