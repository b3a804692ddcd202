"""An agency's annual report to the DIC, laid out as a Vietnamese administrative report.

Heading (issuing body, national name and motto, number, place and date), "BÁO CÁO" and
its subject, the period, results task by task from the records, a table of figures, the
indicators the agency reported, and the two sections only the agency can write —
difficulties and proposals — left as dotted lines to fill in. The number ("Số: …") and,
unless given, the day and month stay blank: the records office fills them when signing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from bantin.records.agencies import DIC_CODE
from bantin.records.indicators import list_indicators
from bantin.records.reports.common import Context, period_text, task_sort_key, with_share
from bantin.records.reports.coverage_query import coverage
from bantin.records.reports.document import Chart, Official, Report, Section, Table
from bantin.records.reports.heading import (
    PROVINCE_EN,
    PROVINCE_VI,
    issuer_lines,
    number_line,
    place_date,
    plan_name,
)
from bantin.records.reports.i18n import month as month_label
from bantin.records.reports.i18n import number, percent
from bantin.records.reports.output_query import COUNTS, activity, output_counts, roll_up, totals
from bantin.records.reports.periods import Period, year_period
from bantin.records.reports.progress import objective_col, unit_col
from bantin.records.responsibility import DRAFT_MONTH_DAY, roles_in_year

DEADLINE_MONTH_DAY = (12, 5)  # "trước ngày 05/12" (plan, VI.6 and VI.7)


def _task_sentence(ctx: Context, row: dict[str, Any], origins: dict[str, int]) -> str:
    def n(value: float | int | None) -> str:
        return number(value, ctx.lang)

    # With nothing due yet a share is not a number: say so, never a bare dash.
    if row["published_share"] is None:
        share = "none due yet" if ctx.lang == "en" else "chưa có lượt nào đến hạn"
    else:
        share = percent(row["published_share"], ctx.lang) + (
            " of those due" if ctx.lang == "en" else " số lượt đã đến hạn"
        )
    if ctx.lang == "en":
        text = (
            f"Planned for the year: {n(row['planned'])}; published {n(row['published'])} "
            f"({share}), of which {n(row['late'])} late; missed "
            f"{n(row['missed'])}, failed {n(row['failed'])}, outcome unknown "
            f"{n(row['unknown'])}, still to come {n(row['pending'])}."
        )
    else:
        text = (
            f"Kế hoạch năm: {n(row['planned'])} lượt; đã phát hành {n(row['published'])} lượt "
            f"({share}), trong đó {n(row['late'])} lượt trễ hạn; bỏ lỡ "
            f"{n(row['missed'])}, lỗi {n(row['failed'])}, chưa rõ kết quả {n(row['unknown'])}, "
            f"chưa đến lượt {n(row['pending'])}."
        )
    for code, planned in sorted(origins.items()):
        name = ctx.agencies.name(code, ctx.lang)
        text += (
            f" Including {n(planned)} by {name} ({code})."
            if ctx.lang == "en"
            else f" Bao gồm {n(planned)} lượt do {name} thực hiện."
        )
    return text


def _heading(ctx: Context, code: str, year: int, subject: str, dated: date | None) -> Official:
    """Issuer, number, place-date and addressee: the DIC of the reporting deadline, or the
    province's People's Committee when the agency is the DIC itself."""
    info = ctx.agencies.get(code)
    vi = ctx.lang == "vi"
    superior, issuer, sym = issuer_lines(info, ctx.lang)
    signing_year = ctx.now.astimezone(ctx.tz).year
    dic = ctx.agencies.holder_on(DIC_CODE, date(year, *DEADLINE_MONTH_DAY))
    recipient = (
        (PROVINCE_VI if vi else PROVINCE_EN) if dic == code else ctx.agencies.name(dic, ctx.lang)
    )
    return Official(
        superior=superior,
        issuer=issuer,
        number=number_line(sym, ctx.lang),
        place_date=place_date(dated, signing_year, ctx.lang),
        doc_type="BÁO CÁO" if vi else "REPORT",
        subject=subject,
        recipient=f"{'Kính gửi' if vi else 'To'}: {recipient}.",
        sections=[],
        recipients=(["Như trên;", "Lưu: VT."] if vi else ["As above;", "Archive."]),
        signer_title="THỦ TRƯỞNG CƠ QUAN" if vi else "HEAD OF AGENCY",
        signer_note="(Ký, ghi rõ họ tên, đóng dấu)" if vi else "(Signature, full name, seal)",
    )


def _sum_by_task(
    rows: list[dict[str, Any]], agency: str
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, int]]]:
    """Each task's counts summed over channels and months, and per task the outputs each
    predecessor of `agency` planned (named in the task's paragraph)."""
    by_task: dict[str, dict[str, Any]] = {}
    origins: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows:
        acc = by_task.setdefault(r["task"], {"task": r["task"], **dict.fromkeys(COUNTS, 0)})
        for k in COUNTS:
            acc[k] += r[k]
        if r["original_agency"] != agency:
            o = origins[r["task"]]
            o[r["original_agency"]] = o.get(r["original_agency"], 0) + r["planned"]
    return by_task, origins


def _roles_by_task(ctx: Context, agency: str, year: int) -> dict[str, set[str]]:
    """The roles `agency` holds in each task on the drafting day, so a task it leads
    appears even when it has no records."""
    day_ = date(year, *DRAFT_MONTH_DAY)
    roles = roles_in_year(ctx.session, year, ctx.agencies, day_).get(agency, [])
    role_of: dict[str, set[str]] = defaultdict(set)
    for role in roles:
        role_of[role.task].add(role.role)
    return role_of


def _task_results(
    ctx: Context, rows: list[dict[str, Any]], agency: str, year: int
) -> tuple[list[dict[str, Any]], list[str]]:
    """The figures table's rows and section I's paragraphs, task by task: the tasks with
    records and the tasks the agency holds a role in."""
    vi = ctx.lang == "vi"
    by_task, origins = _sum_by_task(rows, agency)
    role_of = _roles_by_task(ctx, agency, year)
    titles = ctx.task_titles()
    task_codes = sorted(set(by_task) | set(role_of), key=task_sort_key)
    task_rows = []
    paragraphs = []
    for i, code in enumerate(task_codes, start=1):
        row = with_share(by_task.get(code) or {"task": code, **dict.fromkeys(COUNTS, 0)})
        row["task_title"] = titles.get(code, "")
        row["role"] = ", ".join(ctx.t(r) for r in sorted(role_of.get(code, set()))) or "–"
        task_rows.append(row)
        head = f"{i}. {'Nhiệm vụ' if vi else 'Task'} {code} ({row['role']}): {row['task_title']}"
        if row["planned"]:
            body = _task_sentence(ctx, row, origins.get(code, {}))
        else:
            body = (
                "No publication recorded in bantin; results to be added by the agency: ……"
                if not vi
                else "Chưa có dữ liệu phát hành trên bantin; đơn vị bổ sung kết quả thực hiện: ……"
            )
        paragraphs += [head, body]
    return task_rows, paragraphs


def _coverage_paragraph(ctx: Context, period: Period, lineage: frozenset[str]) -> str | None:
    """Section I's sentence on loudspeaker coverage, if the agency sent any bulletin."""
    cov = coverage(ctx.session, period, lineage)
    if not (cov.published or cov.confirmed):
        return None
    reached, confirmed = len(cov.reached_units()), len(cov.confirmed_units())
    total = number(cov.total_units, ctx.lang)
    return (
        f"Loudspeakers: bulletins reached {number(reached, ctx.lang)}/{total} communes and "
        f"wards; {number(confirmed, ctx.lang)}/{total} confirmed airing them."
        if ctx.lang != "vi"
        else f"Truyền thanh cơ sở: bản tin đã phát tới {number(reached, ctx.lang)}/{total} "
        f"xã, phường; {number(confirmed, ctx.lang)}/{total} xã, phường xác nhận đã phát."
    )


def _figures_table(ctx: Context, task_rows: list[dict[str, Any]]) -> Table:
    """Section II's table: each task's counts, with a total."""
    return Table(
        "tasks",
        "Bảng số liệu kết quả thực hiện" if ctx.lang == "vi" else "Figures",
        [
            ctx.col("task"),
            ctx.col("task_title"),
            ctx.col("role"),
            *ctx.count_columns(),
            ctx.col("published_share", "percent"),
        ],
        task_rows,
        footer=with_share({"task": ctx.t("total"), **totals(task_rows)}),
    )


def _sum_by_month(rows: list[dict[str, Any]], months: list[str]) -> dict[str, dict[str, int]]:
    """Each month's counts summed over tasks and channels (every month present)."""
    per_month = {m: dict.fromkeys(COUNTS, 0) for m in months}
    for r in rows:
        for k in COUNTS:
            per_month[r["month"]][k] += r[k]
    return per_month


def _months_table(ctx: Context, months: list[str], per_month: dict[str, dict[str, int]]) -> Table:
    month_rows = [{"month": m, **per_month[m]} for m in months]
    return Table(
        "months", ctx.t("month"), [ctx.col("month", "month"), *ctx.count_columns()], month_rows
    )


def _months_chart(ctx: Context, months: list[str], per_month: dict[str, dict[str, int]]) -> Chart:
    """Section II's chart: outcomes stacked per month."""
    return Chart(
        "months",
        ctx.t("published") + " / " + ctx.t("month"),
        [month_label(m, ctx.lang) for m in months],
        {
            ctx.t(k): [float(per_month[m][k]) for m in months]
            for k in ("published", "missed", "failed", "unknown")
        },
        stacked=True,
        value_label=ctx.t("outputs"),
    )


def _records_table(
    ctx: Context, period: Period, rows: list[dict[str, Any]], lineage: frozenset[str]
) -> Table:
    """What bantin holds for the agency and its predecessors, by agency of record."""
    return Table(
        "activity",
        "Hồ sơ lưu trên bantin" if ctx.lang == "vi" else "Records held in bantin",
        [
            ctx.agency_col("original_agency"),
            *[
                ctx.col(k, "int")
                for k in ("planned", "published", "approved", "attempts", "receipts")
            ],
            ctx.col("feed_entries", "int"),
        ],
        activity(ctx.session, period, ctx.agencies, rows, lineage),
    )


def _indicators_table(ctx: Context, year: int, lineage: frozenset[str]) -> Table:
    """Section III's table: the indicator values the agency reported for the year."""
    return Table(
        "indicators",
        "Chỉ số đơn vị báo cáo" if ctx.lang == "vi" else "Indicators reported",
        [objective_col(ctx), ctx.col("value", "number"), unit_col(ctx), ctx.col("source")],
        list_indicators(ctx.session, year, lineage),
    )


def _sections(
    ctx: Context, paragraphs: list[str], indicators: Table, has_tasks: bool
) -> list[Section]:
    """Sections I–V: results, figures, indicators, and the two the agency writes."""
    vi = ctx.lang == "vi"
    figures_intro = (
        f"Số liệu tính đến {ctx.generated()}." if vi else f"Figures as of {ctx.generated()}."
    )
    if not paragraphs:  # no task, no record: the agency writes its results by hand
        paragraphs = [
            "Chưa có dữ liệu phát hành trên bantin; đơn vị bổ sung kết quả thực hiện: ……"
            if vi
            else "No publication recorded in bantin; results to be added by the agency: ……"
        ]
    return [
        Section("I. KẾT QUẢ THỰC HIỆN" if vi else "I. RESULTS", paragraphs),
        Section(
            "II. SỐ LIỆU" if vi else "II. FIGURES",
            [figures_intro],
            table="tasks" if has_tasks else None,
            chart="months",
        ),
        Section(
            "III. CHỈ SỐ ĐÃ BÁO CÁO" if vi else "III. INDICATORS REPORTED",
            [] if indicators.rows else ["Chưa báo cáo chỉ số nào." if vi else "None reported."],
            table="indicators" if indicators.rows else None,
        ),
        Section("IV. KHÓ KHĂN, VƯỚNG MẮC" if vi else "IV. DIFFICULTIES", fill_lines=5),
        Section("V. ĐỀ XUẤT, KIẾN NGHỊ" if vi else "V. PROPOSALS", fill_lines=5),
    ]


def build_annual_report(ctx: Context, agency: str, year: int, dated: date | None = None) -> Report:
    """The annual report of `agency` (with every predecessor's records) for `year`."""
    info = ctx.agencies.get(agency)
    lineage = ctx.agencies.lineage(agency)
    period = year_period(year, ctx.tz)
    rows = roll_up(output_counts(ctx.session, period, lineage), ctx.agencies)
    task_rows, paragraphs = _task_results(ctx, rows, agency, year)
    coverage_text = _coverage_paragraph(ctx, period, lineage)
    if coverage_text is not None:
        paragraphs.append(coverage_text)
    months = period.months()
    per_month = _sum_by_month(rows, months)
    records = _records_table(ctx, period, rows, lineage)
    indicators = _indicators_table(ctx, year, lineage)
    plan = plan_name(ctx.plan(), ctx.lang)
    subject = (
        f"Kết quả thực hiện năm {year} {plan}"
        if ctx.lang == "vi"
        else f"Results in {year} of implementing {plan}"
    )
    official = _heading(ctx, agency, year, subject, dated)
    official.sections = _sections(ctx, paragraphs, indicators, bool(task_rows))
    return Report(
        kind="annual",
        lang=ctx.lang,
        title=f"{official.doc_type} {official.subject}",
        facts=[
            (ctx.t("agency"), info.display_name(ctx.lang)),
            (ctx.t("period"), period_text(period, ctx.lang)),
            (ctx.t("generated"), ctx.generated()),
        ],
        tables=[
            _figures_table(ctx, task_rows),
            _months_table(ctx, months, per_month),
            records,
            indicators,
        ],
        charts=[_months_chart(ctx, months, per_month)],
        meta=ctx.meta(year=year, agency=agency, lineage=sorted(lineage)),
        official=official,
    )
