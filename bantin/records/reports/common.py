"""What every report builder shares: its context, the count columns, the plan's identity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.content.vietnamese import format_datetime
from bantin.core.errors import RecordsError
from bantin.core.models import Plan, Task
from bantin.plan.views import task_sort_key as task_sort_key  # re-exported for the reports
from bantin.records.agencies import DIC_CODE, Agencies
from bantin.records.reports.document import Column, Official
from bantin.records.reports.heading import (
    PROVINCE_EN,
    PROVINCE_VI,
    issuer_lines,
    number_line,
    place_date,
    plan_name,
)
from bantin.records.reports.i18n import check_lang, day, share, t
from bantin.records.reports.output_query import COUNTS
from bantin.records.reports.periods import Period


@dataclass
class Context:
    """One report run: the session, the reader's language and time zone, and `now`."""

    session: Session
    tz: ZoneInfo
    now: datetime
    lang: str = "vi"
    _agencies: Agencies | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        check_lang(self.lang)

    @property
    def agencies(self) -> Agencies:
        if self._agencies is None:
            self._agencies = Agencies.load(self.session)
        return self._agencies

    def t(self, key: str) -> str:
        return t(key, self.lang)

    def col(self, key: str, kind: str = "text") -> Column:
        return Column(key, self.t(key), kind)

    def agency_col(self, key: str, kind: str = "text") -> Column:
        """A column of agency codes, read as the agencies' names in HTML, PDF and XLSX."""
        names = {a.code: a.display_name(self.lang) for a in self.agencies}
        return Column(key, self.t(key), kind, names)

    def plan_name(self) -> str:
        """The plan as its decision names it, in the reader's language."""
        return plan_name(self.plan(), self.lang)

    def dic_official(self, subject: str) -> Official:
        """The heading of a statistical report: issued by today's DIC to the province."""
        vi = self.lang == "vi"
        dic = self.agencies.holder_on(DIC_CODE, self.now.astimezone(self.tz).date())
        superior, issuer, sym = issuer_lines(self.agencies.get(dic), self.lang)
        return Official(
            superior=superior,
            issuer=issuer,
            number=number_line(sym, self.lang),
            place_date=place_date(None, self.now.astimezone(self.tz).year, self.lang),
            doc_type="BÁO CÁO" if vi else "REPORT",
            subject=subject,
            recipient=f"{'Kính gửi' if vi else 'To'}: {PROVINCE_VI if vi else PROVINCE_EN}.",
            sections=[],
            recipients=(["Như trên;", "Lưu: VT."] if vi else ["As above;", "Archive."]),
            signer_title="THỦ TRƯỞNG CƠ QUAN" if vi else "HEAD OF AGENCY",
            signer_note="(Ký, ghi rõ họ tên, đóng dấu)" if vi else "(Signature, full name, seal)",
        )

    def count_columns(self, keys: tuple[str, ...] = COUNTS) -> list[Column]:
        return [self.col(k, "int") for k in keys]

    def plan(self) -> Plan:
        plan = self.session.execute(select(Plan)).scalars().first()
        if plan is None:
            raise RecordsError("no plan loaded: run `bantin init` first")
        return plan

    def task_titles(self) -> dict[str, str]:
        return {c: t for c, t in self.session.execute(select(Task.code, Task.title))}

    def generated(self) -> str:
        """When the figures were read, as the reader writes it."""
        return format_datetime(self.now.astimezone(self.tz), lang=self.lang)

    def meta(self, **extra: Any) -> dict[str, Any]:
        return {"generated_at": self.now.isoformat(), "timezone": self.tz.key, **extra}


def with_share(row: dict[str, Any]) -> dict[str, Any]:
    """Add `published_share`: published as a % of what was due and is final by now."""
    due = row["planned"] - row.get("pending", 0)
    row["published_share"] = share(row["published"], due)
    return row


def period_text(period: Period, lang: str) -> str:
    """ "từ ngày 1 tháng 1 năm 2026 đến ngày 31 tháng 12 năm 2026" or "1 January – …"."""
    first, last = day(period.first_day, lang), day(period.last_day, lang)
    return f"{first} – {last}" if lang == "en" else f"từ {first} đến {last}"
