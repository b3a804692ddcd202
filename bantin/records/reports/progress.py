"""Plan progress: every objective and task of the plan with the evidence bantin holds for
a year (campaigns, publications, broadcast receipts, reported indicator values), and the
gaps an auditor asks about (tasks with no campaign, agencies with no output)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bantin.core.models import BroadcastReceipt, Campaign, Objective, Publication, Task, TaskAgency
from bantin.records.indicators import list_indicators, meets
from bantin.records.reports.common import Context, period_text, task_sort_key
from bantin.records.reports.document import Chart, Column, Report, Table
from bantin.records.reports.i18n import number, percent
from bantin.records.reports.output_query import output_counts
from bantin.records.reports.periods import Period, local_month, year_period
from bantin.records.responsibility import (
    DRAFT_MONTH_DAY,
    campaign_overlaps,
    responsible_agencies,
    task_active,
)

UNITS = ("percent", "count")


def receipts_by_task(session: Session, period: Period) -> dict[str, int]:
    r, p = BroadcastReceipt, Publication
    month = local_month(r.aired_at, session.get_bind().dialect.name, period.tz)
    q = (
        select(p.task_code, func.count())
        .select_from(r)
        .join(p, p.id == r.publication_id)
        .where(period.month_filter(month))
        .group_by(p.task_code)
    )
    return {a: n for a, n in session.execute(q)}


def _target_text(o: Objective, lang: str) -> str:
    value = percent(o.value, lang) if o.unit == "percent" else number(o.value, lang)
    return f"{o.comparator} {value}".replace(">=", "≥").replace("<=", "≤")


def objective_rows(ctx: Context, year: int) -> list[dict[str, Any]]:
    """Each target with the values reported for the year it is judged on.

    A target for year T is judged, in the report for year Y, on the values reported for
    min(Y, T): the 2025 targets on 2025's figures, the 2030 targets on the latest year.
    Percentages of different agencies cannot be averaged without their headcounts, so
    each agency's figure is judged on its own and the objective is met only if all are.
    """
    values: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for v in list_indicators(ctx.session):
        values[(v["objective"], v["year"])].append(v)
    rows = []
    objectives = ctx.session.execute(select(Objective).order_by(Objective.year, Objective.id))
    for o in objectives.scalars():
        judged = min(year, o.year)
        found = values.get((o.code, judged), [])
        if not found:
            status = "no_data"
        elif all(meets(v["value"], o.comparator, o.value) for v in found):
            status = "met"
        else:
            status = "not_met"
        fmt = percent if o.unit == "percent" else number
        shown = [
            f"{ctx.agencies.name(v['agency'], ctx.lang)}: {fmt(v['value'], ctx.lang)}"
            for v in found
        ]
        rows.append(
            {
                "objective": o.code,
                "metric": o.metric,
                "year": o.year,
                "target": _target_text(o, ctx.lang),
                "judged_year": judged,
                "values": "; ".join(shown),
                "status": ctx.t(status),
                "status_code": status,
            }
        )
    return rows


def task_rows(ctx: Context, year: int, period: Period) -> list[dict[str, Any]]:
    s, ag = ctx.session, ctx.agencies
    roles: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for ta in s.execute(select(TaskAgency)).scalars():
        holder = ag.holder_on(ta.agency_code, date(year, *DRAFT_MONTH_DAY))
        shown = ta.agency_code if holder == ta.agency_code else f"{ta.agency_code} → {holder}"
        roles[ta.task_code][ta.role].append(shown)
    campaigns: dict[str, list[str]] = defaultdict(list)
    for c in s.execute(select(Campaign).where(Campaign.status != "cancelled")).scalars():
        if campaign_overlaps(c, year):
            campaigns[c.task_code].append(c.id)
    pubs: dict[str, dict[str, int]] = defaultdict(lambda: {"planned": 0, "published": 0})
    for r in output_counts(s, period):
        pubs[r["task"]]["planned"] += r["planned"]
        pubs[r["task"]]["published"] += r["published"]
    receipts = receipts_by_task(s, period)
    rows = []
    for task in sorted(s.execute(select(Task)).scalars(), key=lambda t: task_sort_key(t.code)):
        active = task_active(task, year)
        ids = sorted(campaigns.get(task.code, []))
        rows.append(
            {
                "task": task.code,
                "task_title": task.title,
                "lead_agencies": ", ".join(sorted(roles[task.code]["lead"])),
                "coordinating_agencies": ", ".join(sorted(roles[task.code]["coordinating"])),
                "period": "–".join(str(x) for x in (task.period_start, task.period_end) if x)
                or (ctx.t(task.frequency) if task.frequency else ""),
                "active": active,
                "publishes": task.publishes,
                "campaigns": ", ".join(ids),
                "campaign_count": len(ids),
                **pubs.get(task.code, {"planned": 0, "published": 0}),
                "receipts": receipts.get(task.code, 0),
                "gap": active and not ids,
            }
        )
    return rows


def agencies_without_output(ctx: Context, year: int, period: Period) -> list[dict[str, Any]]:
    """Responsible agencies none of whose records (or their predecessors') were published."""
    published: dict[str, int] = defaultdict(int)
    for r in output_counts(ctx.session, period):
        published[r["agency_code"]] += r["published"]
    out = []
    for code in responsible_agencies(ctx.session, year, ctx.agencies):
        if not sum(published.get(c, 0) for c in ctx.agencies.lineage(code)):
            out.append({"agency": code, "agency_name": ctx.agencies.name(code, ctx.lang)})
    return out


def objective_col(ctx: Context) -> Column:
    """The objective's code, read as what it measures by people."""
    return Column("objective", ctx.t("objective"), "text", objective_names(ctx))


def objective_names(ctx: Context) -> dict[str, str]:
    """Each objective code as the plan words what it measures ("Tỷ lệ cán bộ … được đào tạo");
    a code names the same measure in its 2025 and 2030 targets."""
    objectives = select(Objective.code, Objective.metric).order_by(Objective.year, Objective.id)
    names: dict[str, str] = {}
    for code, metric in ctx.session.execute(objectives):
        names.setdefault(code, metric)
    return names


def unit_col(ctx: Context) -> Column:
    """An indicator's unit ("percent", "count") as the reader writes it."""
    return Column("unit", ctx.t("unit"), "text", {u: ctx.t("unit_" + u) for u in UNITS})


def _objectives_table(ctx: Context, year: int) -> Table:
    """Each target of the plan with the values it is judged on and whether it is met."""
    return Table(
        "objectives",
        ctx.t("objective"),
        [
            ctx.col("metric"),
            ctx.col("target_year"),
            ctx.col("target"),
            ctx.col("judged_year"),
            ctx.col("values"),
            ctx.col("status"),
        ],
        [{**r, "target_year": r["year"]} for r in objective_rows(ctx, year)],
    )


def _tasks_table(ctx: Context, tasks: list[dict[str, Any]]) -> Table:
    """Each task with its agencies, campaigns and the publications and receipts held."""
    return Table(
        "tasks",
        ctx.t("task"),
        [
            ctx.col("task"),
            ctx.col("task_title"),
            ctx.agency_col("lead_agencies", "codes"),
            ctx.agency_col("coordinating_agencies", "codes"),
            ctx.col("period"),
            ctx.col("publishes", "bool"),
            Column(
                "campaigns",
                ctx.t("campaigns"),
                "codes",
                {c: t for c, t in ctx.session.execute(select(Campaign.id, Campaign.title))},
            ),
            ctx.col("planned", "int"),
            ctx.col("published", "int"),
            ctx.col("receipts", "int"),
        ],
        tasks,
    )


def _task_gaps_table(ctx: Context, year: int, tasks: list[dict[str, Any]]) -> Table:
    """The tasks active in `year` that no campaign carries."""
    vi = ctx.lang == "vi"
    return Table(
        "task_gaps",
        ("Nhiệm vụ chưa có chiến dịch" if vi else "Tasks with no campaign") + f" ({year})",
        [ctx.col("task"), ctx.col("task_title"), ctx.col("publishes", "bool")],
        [r for r in tasks if r["gap"]],
    )


def _agency_gaps_table(ctx: Context, year: int, period: Period) -> Table:
    """The responsible agencies with nothing published in `year`."""
    vi = ctx.lang == "vi"
    return Table(
        "agency_gaps",
        ("Cơ quan chưa có sản phẩm" if vi else "Agencies with no output") + f" ({year})",
        [ctx.agency_col("agency")],
        agencies_without_output(ctx, year, period),
    )


def _indicators_table(ctx: Context, year: int) -> Table:
    """Every indicator value the agencies reported for `year`."""
    vi = ctx.lang == "vi"
    return Table(
        "indicators",
        ("Chỉ số các cơ quan báo cáo" if vi else "Indicators reported") + f" ({year})",
        [
            objective_col(ctx),
            ctx.agency_col("agency"),
            ctx.col("value", "number"),
            unit_col(ctx),
            ctx.col("source"),
        ],
        list_indicators(ctx.session, year),
    )


def _tasks_chart(ctx: Context, tasks: list[dict[str, Any]]) -> Chart:
    """Publications planned and published per task that publishes."""
    shown = [r for r in tasks if r["publishes"]]
    return Chart(
        "tasks",
        ctx.t("planned") + " / " + ctx.t("published") + " – " + ctx.t("task").lower(),
        [r["task"] for r in shown],
        {ctx.t(k): [float(r[k]) for r in shown] for k in ("planned", "published")},
        value_label=ctx.t("outputs"),
    )


def _facts(
    ctx: Context, period: Period, objectives: Table, gaps: Table, silent: Table
) -> list[tuple[str, str]]:
    """The period, objectives met out of all, and how many tasks and agencies are gaps."""
    met = sum(1 for r in objectives.rows if r["status_code"] == "met")
    return [
        (ctx.t("period"), period_text(period, ctx.lang)),
        (ctx.t("objective"), f"{met}/{len(objectives.rows)} {ctx.t('met')}"),
        (
            ctx.t("gap"),
            f"{len(gaps.rows)} {ctx.t('task').lower()}, "
            f"{len(silent.rows)} {ctx.t('agency').lower()}",
        ),
        (ctx.t("generated"), ctx.generated()),
    ]


def build_progress_report(ctx: Context, year: int) -> Report:
    """The plan's objectives and tasks with the evidence held for `year`, and its gaps."""
    period = year_period(year, ctx.tz)
    objectives = _objectives_table(ctx, year)
    tasks = task_rows(ctx, year, period)
    task_table = _tasks_table(ctx, tasks)
    gaps = _task_gaps_table(ctx, year, tasks)
    silent = _agency_gaps_table(ctx, year, period)
    indicators = _indicators_table(ctx, year)
    plan = ctx.plan()
    official = ctx.dic_official(
        f"Tiến độ thực hiện năm {year} {ctx.plan_name()}"
        if ctx.lang == "vi"
        else f"Progress in {year} of {ctx.plan_name()}"
    )
    return Report(
        kind="progress",
        lang=ctx.lang,
        title=f"{official.doc_type} {official.subject}",
        facts=_facts(ctx, period, objectives, gaps, silent),
        tables=[objectives, task_table, gaps, silent, indicators],
        charts=[_tasks_chart(ctx, tasks)],
        meta=ctx.meta(year=year, plan=plan.code),
        official=official,
    )
