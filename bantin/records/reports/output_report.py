"""The agency output report: per agency × task × channel × month, planned and outcome,
rolled up to today's agencies with the agency of record kept beside it."""

from __future__ import annotations

from typing import Any

from bantin.records.reports.common import Context, period_text, task_sort_key, with_share
from bantin.records.reports.document import Chart, Report, Table
from bantin.records.reports.i18n import month as month_label
from bantin.records.reports.output_query import (
    ACTIVITY_KEYS,
    COUNTS,
    activity,
    output_counts,
    roll_up,
    totals,
)
from bantin.records.reports.periods import year_period


def _scope_codes(ctx: Context, agency: str | None, rollup: bool) -> frozenset[str] | None:
    """The agencies of record to count: all (None), or `agency` with its predecessors when
    rolling up; an unknown `agency` is refused by `Agencies.get`."""
    if agency is None:
        return None
    ctx.agencies.get(agency)
    return ctx.agencies.lineage(agency) if rollup else frozenset({agency})


def _sorted_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` sorted in place by agency, agency of record, task, channel and month."""
    rows.sort(
        key=lambda r: (
            r["agency"],
            r["original_agency"],
            task_sort_key(r["task"]),
            r["channel"],
            r["month"],
        )
    )
    return rows


def _detail_table(ctx: Context, rows: list[dict[str, Any]], rollup: bool) -> Table:
    """One row per agency × task × channel × month."""
    return Table(
        "output",
        ctx.t("agency") + " × " + ctx.t("task") + " × " + ctx.t("channel") + " × " + ctx.t("month"),
        [
            ctx.agency_col("agency"),
            ctx.agency_col("original_agency"),
            ctx.col("task"),
            ctx.col("channel"),
            ctx.col("month", "month"),
            *ctx.count_columns(),
        ],
        rows,
        footer={"agency": ctx.t("total"), **totals(rows)},
        note=ctx.t("rolled_up") if rollup else None,
    )


def _summary_table(ctx: Context, rows: list[dict[str, Any]]) -> Table:
    """One row per agency: its counts summed over tasks, channels and months."""
    by_agency: dict[str, dict[str, Any]] = {}
    for r in rows:
        acc = by_agency.setdefault(r["agency"], {"agency": r["agency"], **dict.fromkeys(COUNTS, 0)})
        for k in COUNTS:
            acc[k] += r[k]
    summary_rows = [with_share(by_agency[k]) for k in sorted(by_agency)]
    return Table(
        "agencies",
        ctx.t("agency"),
        [ctx.agency_col("agency"), *ctx.count_columns(), ctx.col("published_share", "percent")],
        summary_rows,
        footer=with_share({"agency": ctx.t("total"), **totals(summary_rows)}),
    )


def _records_table(ctx: Context, act_rows: list[dict[str, Any]]) -> Table:
    """What bantin holds per agency: records of each kind (approvals, attempts, …)."""
    return Table(
        "activity",
        ctx.t("agency") + ": " + ", ".join(ctx.t(k).lower() for k in ACTIVITY_KEYS),
        [
            ctx.agency_col("agency"),
            ctx.agency_col("original_agency"),
            *[ctx.col(k, "int") for k in ACTIVITY_KEYS],
        ],
        act_rows,
        footer={"agency": ctx.t("total"), **totals(act_rows, ACTIVITY_KEYS)},
    )


def _published_chart(ctx: Context, rows: list[dict[str, Any]], months: list[str]) -> Chart:
    """Publications per month, stacked by agency."""
    published: dict[str, list[float]] = {}
    for r in rows:
        series = published.setdefault(r["agency"], [0.0] * len(months))
        series[months.index(r["month"])] += r["published"]
    return Chart(
        "by_month",
        ctx.t("published") + " / " + ctx.t("month"),
        [month_label(m, ctx.lang) for m in months],
        {ctx.agencies.name(a, ctx.lang): v for a, v in sorted(published.items())},
        stacked=True,
        value_label=ctx.t("outputs"),
    )


def build_output_report(
    ctx: Context, year: int, agency: str | None = None, rollup: bool = True
) -> Report:
    """Agency output for `year`; `agency` limits it to one agency (with its predecessors
    when rolling up), `rollup=False` reports by the agency of record only."""
    ag = ctx.agencies
    period = year_period(year, ctx.tz)
    codes = _scope_codes(ctx, agency, rollup)
    rows = _sorted_rows(roll_up(output_counts(ctx.session, period, codes), ag, rollup))
    detail = _detail_table(ctx, rows, rollup)
    summary = _summary_table(ctx, rows)
    records = _records_table(ctx, activity(ctx.session, period, ag, rows, codes, rollup))
    chart = _published_chart(ctx, rows, period.months())
    official = ctx.dic_official(
        f"Sản lượng thông tin theo cơ quan năm {year} thực hiện {ctx.plan_name()}"
        if ctx.lang == "vi"
        else f"Output by agency in {year} under {ctx.plan_name()}"
    )
    scope = ag.name(agency, ctx.lang) if agency else ctx.t("all_agencies")
    return Report(
        kind="output",
        lang=ctx.lang,
        title=f"{official.doc_type} {official.subject}",
        official=official,
        facts=[
            (ctx.t("period"), period_text(period, ctx.lang)),
            (ctx.t("scope"), scope),
            (ctx.t("generated"), ctx.generated()),
        ],
        tables=[summary, detail, records],
        charts=[chart],
        meta=ctx.meta(year=year, agency=agency, rollup=rollup),
    )
