"""`bantin records`, `bantin records summary`, `bantin schedule`.

SQLAlchemy and the models load only in the commands that need them: `bantin schedule` on
SQLite reads through sqlite3 (`bantin.records.sqlite_listing`), so it answers in a fraction
of the 0.3 s issue 11 allows instead of spending half a second importing the ORM."""

from __future__ import annotations

from typing import Any

import click

from bantin.cli.app import App, F, cli, emit, output_options, parse_when, pass_app
from bantin.cli.dates import WHEN
from bantin.core.states import ALL as STATES
from bantin.records import sqlite_listing
from bantin.records.filters import GROUP_NAMES, Filters

RECORD_COLUMNS = [
    "id",
    "due_local",
    "campaign",
    "channel",
    "unit_name",
    "status",
    "reason",
    "attempts",
    "receipts",
]


def filter_options(f: F) -> F:
    for opt in reversed(
        [
            click.option("--agency", default=None, help="Agency code."),
            click.option("--task", default=None, help="Plan task, e.g. 1.3."),
            click.option("--channel", default=None, help="Channel name."),
            click.option("--unit", default=None, help="Unit code."),
            click.option("--campaign", default=None, help="Campaign id."),
            click.option(
                "--status",
                multiple=True,
                type=click.Choice(sorted(s.value for s in STATES)),
                help="State (repeatable).",
            ),
            click.option(
                "--from",
                "start",
                default=None,
                type=WHEN,
                metavar="DATE",
                help="Due at or after (local).",
            ),
            click.option(
                "--to",
                "end",
                default=None,
                type=WHEN,
                metavar="DATE",
                help="Due up to the end of (local).",
            ),
        ]
    ):
        f = opt(f)
    return f


def _filters(app: App, **kw: Any) -> Filters:
    start = parse_when(kw.pop("start"), app.settings) if kw.get("start") else None
    end = parse_when(kw.pop("end"), app.settings, end_of_day=True) if kw.get("end") else None
    kw.pop("start", None)
    kw.pop("end", None)
    return Filters(start=start, end=end, **kw)


def _local(app: App, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from datetime import datetime

    for r in rows:
        r["due_local"] = (
            datetime.fromisoformat(r["due_at"])
            .astimezone(app.settings.timezone)
            .strftime("%Y-%m-%d %H:%M")
        )
    return rows


@cli.group(invoke_without_command=True)
@filter_options
@click.option("--limit", type=int, default=None, help="At most this many rows.")
@output_options
@click.pass_context
def records(
    ctx: click.Context, /, limit: int | None, as_json: bool, as_csv: bool, **kw: Any
) -> None:
    """Publications and their outcome (what went out, where, when, and why not).

    \b
    Example:
      bantin records --agency COMMUNES --from 2026-12-01 --to 2026-12-01
      bantin records --status missed --status failed --csv > problems.csv
      bantin records summary --by unit
    """
    if ctx.invoked_subcommand is not None:
        return
    app: App = ctx.obj
    filters = _filters(app, **kw)
    rows = sqlite_listing.list_publications(app.settings.db_url, filters, limit)
    if rows is None:
        rows = _orm_rows(app, filters, limit)
    emit(_local(app, rows), RECORD_COLUMNS, as_json=as_json, as_csv=as_csv)


def _orm_rows(app: App, filters: Filters, limit: int | None) -> list[dict[str, Any]]:
    """The listing through SQLAlchemy (PostgreSQL, an unusual SQLite URL, before init)."""
    from bantin.records.query import list_publications

    with app.session() as s:
        return list_publications(s, filters.checked(s), limit)


@records.command("summary")
@click.option("--by", type=click.Choice(sorted(GROUP_NAMES)), default="agency", show_default=True)
@filter_options
@output_options
@pass_app
def records_summary(app: App, by: str, as_json: bool, as_csv: bool, **kw: Any) -> None:
    """Count publications per state, grouped by agency, task, channel, unit or campaign.

    \b
    Example:
      bantin records summary --by unit
      bantin records summary --by agency --json
    """
    from bantin.records.query import summary

    with app.session() as s:
        rows = summary(s, by, _filters(app, **kw).checked(s))
    states = [
        k
        for k in (
            "planned",
            "pending_approval",
            "approved",
            "retry_wait",
            "published",
            "failed",
            "unknown",
            "missed",
            "cancelled",
        )
        if any(k in r for r in rows)
    ]
    emit(rows, [by, *states, "total"], as_json=as_json, as_csv=as_csv)


@cli.command("schedule")
@filter_options
@click.option("--limit", type=int, default=200, show_default=True, help="At most this many rows.")
@output_options
@pass_app
def schedule_cmd(app: App, limit: int, as_json: bool, as_csv: bool, **kw: Any) -> None:
    """What is planned: publications not yet sent, in due order.

    \b
    Example:
      bantin schedule --from 2026-12-01 --to 2026-12-01 --channel loa-xa
    """
    if not kw.get("status"):
        kw["status"] = (
            "planned",
            "pending_approval",
            "approved",
            "claimed",
            "sending",
            "retry_wait",
        )
    filters = _filters(app, **kw)
    rows = sqlite_listing.list_publications(app.settings.db_url, filters, limit)
    if rows is None:
        rows = _orm_rows(app, filters, limit)
    emit(
        _local(app, rows),
        ["id", "due_local", "campaign", "channel", "unit_name", "status"],
        as_json=as_json,
        as_csv=as_csv,
    )
    if not rows and "pending_approval" in filters.status:
        click.echo(_review_hint(app, filters), err=True)


def _review_hint(app: App, filters: Filters) -> str:
    """When review of the filtered campaign (or any) next opens, for a reviewer who found
    nothing awaiting approval (through the models: a rare answer, so its import is fine)."""
    from datetime import timedelta

    from bantin.campaigns import approval

    lead = timedelta(hours=app.settings.approval_lead_hours)
    with app.session() as s:
        at = app.clock(None).now()
        return approval.review_hint(s, at, lead, app.settings.timezone, filters.campaign)
