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


def build_output_report(
    ctx: Context, year: int, agency: str | None = None, rollup: bool = True
) -> Report:
    """Agency output for `year`; `agency` limits it to one agency (with its predecessors
    when rolling up), `rollup=False` reports by the agency of record only."""
    ag = ctx.agencies
    period = year_period(year, ctx.tz)
    codes = None
    if agency is not None:
        ag.get(agency)
        codes = ag.lineage(agency) if rollup else frozenset({agency})
    rows = roll_up(output_counts(ctx.session, period, codes), ag, rollup)
    rows.sort(
        key=lambda r: (
            r["agency"],
            r["original_agency"],
            task_sort_key(r["task"]),
            r["channel"],
            r["month"],
        )
    )
    detail = Table(
        "output",
        ctx.t("agency") + " × " + ctx.t("task") + " × " + ctx.t("channel") + " × " + ctx.t("month"),
        [
            ctx.col("agency"),
            ctx.col("original_agency"),
            ctx.col("task"),
            ctx.col("channel"),
            ctx.col("month", "month"),
            *ctx.count_columns(),
        ],
        rows,
        footer={"agency": ctx.t("total"), **totals(rows)},
        note=ctx.t("rolled_up") if rollup else None,
    )
    by_agency: dict[str, dict[str, Any]] = {}
    for r in rows:
        acc = by_agency.setdefault(r["agency"], {"agency": r["agency"], **dict.fromkeys(COUNTS, 0)})
        for k in COUNTS:
            acc[k] += r[k]
    summary_rows = [with_share(by_agency[k]) for k in sorted(by_agency)]
    summary = Table(
        "agencies",
        ctx.t("agency"),
        [ctx.col("agency"), *ctx.count_columns(), ctx.col("published_share", "percent")],
        summary_rows,
        footer=with_share({"agency": ctx.t("total"), **totals(summary_rows)}),
    )
    act_rows = activity(ctx.session, period, ag, rows, codes, rollup)
    records = Table(
        "activity",
        ctx.t("agency") + ": " + ", ".join(ctx.t(k).lower() for k in ACTIVITY_KEYS),
        [
            ctx.col("agency"),
            ctx.col("original_agency"),
            *[ctx.col(k, "int") for k in ACTIVITY_KEYS],
        ],
        act_rows,
        footer={"agency": ctx.t("total"), **totals(act_rows, ACTIVITY_KEYS)},
    )
    months = period.months()
    published: dict[str, list[float]] = {}
    for r in rows:
        series = published.setdefault(r["agency"], [0.0] * len(months))
        series[months.index(r["month"])] += r["published"]
    chart = Chart(
        "by_month",
        ctx.t("published") + " / " + ctx.t("month"),
        [month_label(m, ctx.lang) for m in months],
        dict(sorted(published.items())),
        stacked=True,
        value_label=ctx.t("outputs"),
    )
    title = (
        "Báo cáo sản lượng thông tin theo cơ quan" if ctx.lang == "vi" else "Output by agency"
    ) + f" – {year}"
    scope = ag.name(agency, ctx.lang) if agency else ctx.t("all_agencies")
    return Report(
        kind="output",
        lang=ctx.lang,
        title=title,
        facts=[
            (ctx.t("period"), period_text(period, ctx.lang)),
            (ctx.t("scope"), scope),
            (ctx.t("generated"), ctx.generated()),
        ],
        tables=[summary, detail, records],
        charts=[chart],
        meta=ctx.meta(year=year, agency=agency, rollup=rollup),
    )
