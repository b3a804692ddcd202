"""`bantin report …` (agency output, coverage, plan progress, annual reports and their
deadlines) and `bantin indicator …` (figures agencies report against the plan's targets)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from bantin.cli.app import (
    App,
    BantinGroup,
    F,
    actor_option,
    cli,
    emit,
    now_option,
    output_options,
    pass_app,
    resolve_actor,
)
from bantin.cli.dates import WHEN
from bantin.records import deadlines
from bantin.records.indicators import list_indicators, record_indicator
from bantin.records.reports import (
    FORMATS,
    Context,
    Report,
    build_annual_report,
    build_coverage_report,
    build_output_report,
    build_progress_report,
    render,
)

BINARY = ("pdf", "xlsx")


def report_options(f: F) -> F:
    for opt in reversed(
        [
            click.option("--year", type=int, default=None, help="Calendar year (default: now)."),
            click.option(
                "--format",
                "fmt",
                type=click.Choice(FORMATS),
                default=None,
                help="Output format (default: from --output's suffix, else html).",
            ),
            click.option(
                "--output",
                "-o",
                type=click.Path(dir_okay=False, path_type=Path),
                default=None,
                help="Write to this file (required for pdf and xlsx).",
            ),
            click.option(
                "--lang",
                type=click.Choice(["vi", "en"]),
                default="vi",
                show_default=True,
                help="Language of labels and text.",
            ),
            click.option(
                "--table", default=None, help="CSV only: which table (default: the first)."
            ),
            now_option,
        ]
    ):
        f = opt(f)
    return f


def _context(app: App, s: Any, now: str | None, lang: str) -> Context:
    return Context(s, app.settings.timezone, app.clock(now).now(), lang)


def _year(ctx: Context, year: int | None) -> int:
    return year or ctx.now.astimezone(ctx.tz).year


def _write(report: Report, fmt: str | None, output: Path | None, table: str | None) -> None:
    if fmt is None:
        suffix = output.suffix.lstrip(".").lower() if output else ""
        fmt = suffix if suffix in FORMATS else "html"
    if fmt in BINARY and output is None:
        raise click.UsageError(f"{fmt} is binary: give --output FILE")
    try:
        data = render(report, fmt, table=table)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="--table") from None
    if output is None:
        click.echo(data.decode("utf-8-sig"), nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    click.echo(f"wrote {output} ({fmt}, {len(data):,} bytes)", err=True)


@cli.group("report", cls=BantinGroup)
def report_group() -> None:
    """Reports for the DIC: agency output, loudspeaker coverage, plan progress, annual
    reports and their deadline (before 5 December)."""


@report_group.command("output")
@report_options
@click.option("--agency", default=None, help="One agency (with its predecessors' records).")
@click.option(
    "--rollup/--no-rollup",
    default=True,
    show_default=True,
    help="Count ceased agencies' records under their successor.",
)
@pass_app
def report_output(
    app: App, agency: str | None, rollup: bool, year: int | None, now: str | None, **kw: Any
) -> None:
    """Output per agency × task × channel × month: planned, published, late (≥ 60 s),
    missed, failed, unknown, still pending.

    \b
    Example:
      bantin report output --year 2026 -o san-luong-2026.xlsx
      bantin report output --agency SKHCN --year 2025 --format csv
    """
    with app.session() as s:
        ctx = _context(app, s, now, kw["lang"])
        report = build_output_report(ctx, _year(ctx, year), agency, rollup)
    _write(report, kw["fmt"], kw["output"], kw["table"])


@report_group.command("coverage")
@report_options
@pass_app
def report_coverage(app: App, year: int | None, now: str | None, **kw: Any) -> None:
    """Communes and wards reached by loudspeaker bulletins (published) and confirmed
    (broadcast receipt) per month and per unit, against the plan's commune target.

    \b
    Example:
      bantin report coverage --year 2026 -o do-phu-2026.pdf
    """
    with app.session() as s:
        ctx = _context(app, s, now, kw["lang"])
        report = build_coverage_report(ctx, _year(ctx, year))
    _write(report, kw["fmt"], kw["output"], kw["table"])


@report_group.command("progress")
@report_options
@pass_app
def report_progress(app: App, year: int | None, now: str | None, **kw: Any) -> None:
    """Every objective and task of the plan with the evidence held, and the gaps.

    \b
    Example:
      bantin report progress --year 2026 -o tien-do-2026.html
      bantin report progress --lang en --format json
    """
    with app.session() as s:
        ctx = _context(app, s, now, kw["lang"])
        report = build_progress_report(ctx, _year(ctx, year))
    _write(report, kw["fmt"], kw["output"], kw["table"])


@report_group.command("annual")
@report_options
@click.option("--agency", required=True, help="Agency code (bantin agencies list).")
@click.option(
    "--date",
    "dated",
    type=WHEN,
    default=None,
    help="Date written in the heading (default: left blank, to fill when signing).",
)
@pass_app
def report_annual(
    app: App, agency: str, dated: Any, year: int | None, now: str | None, **kw: Any
) -> None:
    """An agency's annual report to the DIC, in the official layout, from its records.

    \b
    Example:
      bantin report annual --agency COMMUNES --year 2026 -o bao-cao-2026.pdf
    """
    day: date | None = date.fromisoformat(dated[:10]) if dated else None
    with app.session() as s:
        ctx = _context(app, s, now, kw["lang"])
        report = build_annual_report(ctx, agency, _year(ctx, year), day)
    _write(report, kw["fmt"], kw["output"], kw["table"])


@report_group.command("submit")
@click.option("--agency", required=True, help="Agency code.")
@click.option("--year", type=int, required=True, help="Year of the report.")
@actor_option
@now_option
@pass_app
def report_submit(app: App, agency: str, year: int, actor: str | None, now: str | None) -> None:
    """Record that an agency has sent its annual report to the DIC.

    \b
    Example:
      bantin report submit --agency SGDDT --year 2026 --actor van-thu
    """
    at = app.clock(now).now()
    with app.session() as s:
        sub = deadlines.submit(s, agency, year, at, resolve_actor(actor), app.settings.timezone)
    when = sub.submitted_at.astimezone(app.settings.timezone).strftime("%H:%M %d/%m/%Y")
    late = " (late: the deadline was before 5 December)" if sub.late else ""
    if sub.already:
        click.echo(f"{agency} already submitted its {year} report at {when}{late}")
    else:
        click.echo(f"{agency} submitted its {year} report at {when}{late}")


@report_group.command("status")
@click.option("--year", type=int, default=None, help="Year (default: now).")
@now_option
@output_options
@pass_app
def report_status(app: App, year: int | None, now: str | None, as_json: bool, as_csv: bool) -> None:
    """Where each responsible agency's annual report stands: not drafted, drafted,
    reminded, submitted or overdue.

    \b
    Example:
      bantin report status --year 2026
      bantin report status --year 2026 --json
    """
    at = app.clock(now).now()
    y = year or at.astimezone(app.settings.timezone).year
    with app.session() as s:
        rows = deadlines.status(s, y, at, app.settings.timezone)
    emit(
        rows,
        ["agency", "name", "status", "late", "submitted_at", "submitted_by"],
        as_json=as_json,
        as_csv=as_csv,
        title=f"Báo cáo năm {y}",
    )


@report_group.command("deadlines")
@actor_option
@now_option
@pass_app
def report_deadlines(app: App, actor: str | None, now: str | None) -> None:
    """Run today's deadline step by hand (the runner does it daily at 07:00): draft on
    20 November, remind on 1 December, flag overdue from 5 December. Idempotent.

    \b
    Example:
      bantin report deadlines --now 2026-11-20T07:00
    """
    at = app.clock(now).now()
    with app.session() as s:
        run = deadlines.check_deadlines(
            s, at, app.settings.timezone, app.settings.home, resolve_actor(actor)
        )
    for label, codes in (
        ("drafted", run.drafted),
        ("reminded", run.reminded),
        ("overdue", run.overdue),
    ):
        click.echo(f"{label}: {', '.join(codes) or '-'}")


@cli.group("indicator", cls=BantinGroup)
def indicator_group() -> None:
    """Figures agencies report for the plan's objectives (training rates, uptake, …)."""


@indicator_group.command("record")
@click.option("--objective", required=True, help="Objective code (bantin plan show).")
@click.option("--year", type=int, required=True, help="Year the figure is for.")
@click.option("--agency", required=True, help="Reporting agency code.")
@click.option("--value", type=float, required=True, help="Percent (0–100) or a count.")
@click.option("--source", required=True, help='The document, e.g. "Báo cáo số 12/BC-SGDĐT".')
@actor_option
@now_option
@pass_app
def indicator_record(
    app: App,
    objective: str,
    year: int,
    agency: str,
    value: float,
    source: str,
    actor: str | None,
    now: str | None,
) -> None:
    """Record (or correct) an agency's figure for an objective and year, with its source.

    \b
    Example:
      bantin indicator record --objective schools-stem --year 2025 --agency SGDDT \\
        --value 55 --source "Báo cáo số 125/BC-SGDĐT ngày 2/12/2025"
    """
    with app.session() as s:
        row = record_indicator(
            s, objective, year, agency, value, source, resolve_actor(actor), app.clock(now).now()
        )
    unit = "%" if row["unit"] == "percent" else ""
    click.echo(f"recorded {objective} {year} for {agency}: {row['value']:g}{unit}")


@indicator_group.command("list")
@click.option("--year", type=int, default=None, help="Only this year.")
@output_options
@pass_app
def indicator_list(app: App, year: int | None, as_json: bool, as_csv: bool) -> None:
    """List the figures agencies reported, with their sources.

    \b
    Example:
      bantin indicator list --year 2025 --json
    """
    with app.session() as s:
        rows = list_indicators(s, year)
    emit(
        rows,
        ["objective", "year", "agency", "value", "unit", "source", "recorded_by"],
        as_json=as_json,
        as_csv=as_csv,
    )
