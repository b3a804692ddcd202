"""The coverage report: communes and wards reached by loudspeaker bulletins, per month and
per unit, against the plan's commune target."""

from __future__ import annotations

from typing import Any

from bantin.records.reports.common import Context, period_text
from bantin.records.reports.coverage_query import COVERAGE_OBJECTIVE, Coverage, coverage
from bantin.records.reports.document import Chart, Report, Table
from bantin.records.reports.i18n import month as month_label
from bantin.records.reports.i18n import number, percent, share
from bantin.records.reports.periods import Period, year_period
from bantin.records.reports.progress import objective_names


def _month_rows(cov: Coverage) -> list[dict[str, Any]]:
    """Each month's units reached and confirmed, as shares of all units and against the
    target."""
    total = cov.total_units
    month_rows: list[dict[str, Any]] = []
    for m in cov.months:
        reached, confirmed = cov.reached_in(m), cov.confirmed_in(m)
        confirmed_share = share(confirmed, total)
        month_rows.append(
            {
                "month": m,
                "units_total": total,
                "units_reached": reached,
                "reached_share": share(reached, total),
                "units_confirmed": confirmed,
                "confirmed_share": confirmed_share,
                "target": cov.target,
                # Only a receipt shows that a commune aired the bulletin, so the target is
                # judged on confirmed units, not on what was sent.
                "target_met": None if cov.target is None else (confirmed_share or 0) >= cov.target,
            }
        )
    return month_rows


def _months_table(ctx: Context, month_rows: list[dict[str, Any]]) -> Table:
    return Table(
        "months",
        ctx.t("month"),
        [
            ctx.col("month", "month"),
            ctx.col("units_total", "int"),
            ctx.col("units_reached", "int"),
            ctx.col("reached_share", "percent"),
            ctx.col("units_confirmed", "int"),
            ctx.col("confirmed_share", "percent"),
            ctx.col("target", "percent"),
            ctx.col("target_met", "bool"),
        ],
        month_rows,
    )


def _units_table(ctx: Context, unit_rows: list[dict[str, Any]]) -> Table:
    return Table(
        "units",
        ctx.t("unit_name"),
        [
            ctx.col("unit_code"),
            ctx.col("unit_name"),
            ctx.col("published", "int"),
            ctx.col("months_reached", "int"),
            ctx.col("receipts", "int"),
            ctx.col("months_confirmed", "int"),
        ],
        unit_rows,
    )


def _charts(
    ctx: Context, cov: Coverage, month_rows: list[dict[str, Any]], unit_rows: list[dict[str, Any]]
) -> list[Chart]:
    """The shares per month against the target, and bulletins and receipts per unit."""
    return [
        Chart(
            "months",
            ctx.t("confirmed_share") + " / " + ctx.t("month"),
            [month_label(m, ctx.lang) for m in cov.months],
            {
                ctx.t("reached_share"): [r["reached_share"] or 0.0 for r in month_rows],
                ctx.t("confirmed_share"): [r["confirmed_share"] or 0.0 for r in month_rows],
            },
            value_label="%",
            target=cov.target,
            target_label=ctx.t("target"),
        ),
        *_unit_charts(ctx, cov, unit_rows),
    ]


UNITS_PER_CHART = 31


def _unit_charts(ctx: Context, cov: Coverage, unit_rows: list[dict[str, Any]]) -> list[Chart]:
    """Bulletins and receipts per unit, 31 units to a chart: all 124 in one chart would be
    taller than the page."""
    charts = []
    names = [name for _, name in cov.units]
    parts = range(0, len(names), UNITS_PER_CHART)
    for i, start in enumerate(parts, start=1):
        rows = unit_rows[start : start + UNITS_PER_CHART]
        part = f" ({i}/{len(parts)})" if len(parts) > 1 else ""
        charts.append(
            Chart(
                f"units{'' if i == 1 else f'_{i}'}",
                ctx.t("published") + " / " + ctx.t("receipts") + part,
                names[start : start + UNITS_PER_CHART],
                {
                    ctx.t("published"): [float(r["published"]) for r in rows],
                    ctx.t("receipts"): [float(r["receipts"]) for r in rows],
                },
                horizontal=True,
            )
        )
    return charts


def _facts(ctx: Context, cov: Coverage, period: Period) -> list[tuple[str, str]]:
    """The year's totals: units reached and confirmed out of all, and the target."""
    total = cov.total_units
    reached_year, confirmed_year = len(cov.reached_units()), len(cov.confirmed_units())
    target_text = (
        f"{percent(cov.target, ctx.lang)} "
        f"({objective_names(ctx).get(COVERAGE_OBJECTIVE, COVERAGE_OBJECTIVE)}, {cov.target_year})"
        if cov.target is not None
        else "–"
    )
    return [
        (ctx.t("period"), period_text(period, ctx.lang)),
        (ctx.t("units_total"), number(total, ctx.lang)),
        (
            ctx.t("units_reached"),
            f"{number(reached_year, ctx.lang)}/{number(total, ctx.lang)} "
            f"({percent(share(reached_year, total), ctx.lang)})",
        ),
        (
            ctx.t("units_confirmed"),
            f"{number(confirmed_year, ctx.lang)}/{number(total, ctx.lang)} "
            f"({percent(share(confirmed_year, total), ctx.lang)})",
        ),
        (ctx.t("target"), target_text),
        (ctx.t("generated"), ctx.generated()),
    ]


def build_coverage_report(ctx: Context, year: int) -> Report:
    """Units reached (published) and confirmed (broadcast receipt) by radio scripts."""
    period = year_period(year, ctx.tz)
    cov = coverage(ctx.session, period)
    month_rows = _month_rows(cov)
    per_unit = cov.by_unit()
    unit_rows: list[dict[str, Any]] = [
        {"unit_code": code, "unit_name": name, **per_unit[code]} for code, name in cov.units
    ]
    official = ctx.dic_official(
        f"Độ phủ truyền thanh cơ sở năm {year} thực hiện {ctx.plan_name()}"
        if ctx.lang == "vi"
        else f"Loudspeaker coverage in {year} under {ctx.plan_name()}"
    )
    return Report(
        kind="coverage",
        lang=ctx.lang,
        title=f"{official.doc_type} {official.subject}",
        official=official,
        facts=_facts(ctx, cov, period),
        tables=[_months_table(ctx, month_rows), _units_table(ctx, unit_rows)],
        charts=_charts(ctx, cov, month_rows, unit_rows),
        meta=ctx.meta(
            year=year,
            units_total=cov.total_units,
            units_reached=len(cov.reached_units()),
            units_confirmed=len(cov.confirmed_units()),
            target=cov.target,
            target_year=cov.target_year,
        ),
    )
