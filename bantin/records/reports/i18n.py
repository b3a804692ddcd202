"""Words and number forms of the reports, in Vietnamese (the default) and English.

Numbers follow the locale through babel (CLDR): Vietnamese writes 1.234,5 and 70%, as
official reports do; English writes 1,234.5. Dates are written as officials write them
(`bantin.content.vietnamese.format_date`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from babel.numbers import format_decimal

from bantin.content.vietnamese import format_date

LANGS = ("vi", "en")
_CODE = re.compile(r"[A-Za-z0-9_.-]*[A-Za-z][A-Za-z0-9_.-]*")

_LABELS: dict[str, tuple[str, str]] = {
    # columns
    "agency": ("Cơ quan", "Agency"),
    "original_agency": ("Cơ quan tại thời điểm", "Agency of record"),
    "task": ("Nhiệm vụ", "Task"),
    "task_title": ("Tên nhiệm vụ", "Task title"),
    "channel": ("Kênh", "Channel"),
    "month": ("Tháng", "Month"),
    "planned": ("Kế hoạch", "Planned"),
    "published": ("Đã phát hành", "Published"),
    "late": ("Trễ hạn", "Late"),
    "missed": ("Bỏ lỡ", "Missed"),
    "failed": ("Lỗi", "Failed"),
    "unknown": ("Chưa rõ", "Unknown"),
    "pending": ("Chưa đến lượt", "Pending"),
    "outputs": ("Lượt phát hành", "Outputs"),
    "approved": ("Được duyệt", "Approved"),
    "attempts": ("Lượt gửi", "Delivery attempts"),
    "receipts": ("Xác nhận phát sóng", "Broadcast receipts"),
    "feed_entries": ("Tin từ nguồn ngoài", "Feed entries"),
    "published_share": ("Tỷ lệ phát hành", "Published share"),
    "units_total": ("Tổng số xã, phường", "Units in the province"),
    "units_reached": ("Xã, phường đã phát", "Units reached"),
    "units_confirmed": ("Xã, phường xác nhận", "Units confirmed"),
    "reached_share": ("Tỷ lệ đã phát", "Reached share"),
    "confirmed_share": ("Tỷ lệ xác nhận", "Confirmed share"),
    "target": ("Chỉ tiêu", "Target"),
    "target_met": ("Đạt chỉ tiêu", "Target met"),
    "unit_code": ("Mã", "Code"),
    "unit_name": ("Xã, phường", "Unit"),
    "months_reached": ("Số tháng đã phát", "Months reached"),
    "months_confirmed": ("Số tháng xác nhận", "Months confirmed"),
    "objective": ("Mục tiêu", "Objective"),
    "metric": ("Chỉ số", "Indicator"),
    "year": ("Năm", "Year"),
    "target_year": ("Năm mục tiêu", "Target year"),
    "judged_year": ("Năm số liệu", "Figures of"),
    "agency_name": ("Tên cơ quan", "Name"),
    "unit": ("Đơn vị tính", "Unit"),
    "value": ("Giá trị", "Value"),
    "source": ("Nguồn", "Source"),
    "status": ("Đánh giá", "Status"),
    "values": ("Số liệu báo cáo", "Reported values"),
    "role": ("Vai trò", "Role"),
    "lead_agencies": ("Chủ trì", "Lead"),
    "coordinating_agencies": ("Phối hợp", "Coordinating"),
    "campaigns": ("Chiến dịch", "Campaigns"),
    "publishes": ("Có phát hành nội dung", "Publishes content"),
    "gap": ("Thiếu", "Gap"),
    "period": ("Kỳ báo cáo", "Period"),
    "generated": ("Lập lúc", "Generated"),
    "scope": ("Phạm vi", "Scope"),
    # sheet names of the workbooks (≤ 31 characters)
    "sheet_tasks": ("Nhiệm vụ", "Tasks"),
    "sheet_months": ("Theo tháng", "By month"),
    "sheet_activity": ("Hồ sơ lưu trữ", "Records held"),
    "sheet_indicators": ("Chỉ số", "Indicators"),
    "sheet_objectives": ("Mục tiêu", "Objectives"),
    "sheet_task_gaps": ("Nhiệm vụ chưa có chiến dịch", "Tasks without campaign"),
    "sheet_agency_gaps": ("Cơ quan chưa có sản phẩm", "Agencies without output"),
    "sheet_units": ("Xã, phường", "Units"),
    "sheet_agencies": ("Theo cơ quan", "By agency"),
    "sheet_output": ("Chi tiết", "Detail"),
    "chart_months": ("Biểu đồ theo tháng", "Chart by month"),
    "chart_by_month": ("Biểu đồ theo tháng", "Chart by month"),
    "chart_tasks": ("Biểu đồ theo nhiệm vụ", "Chart by task"),
    "chart_units": ("Biểu đồ xã, phường", "Chart by unit"),
    # values
    "unit_percent": ("%", "%"),
    "unit_count": ("số lượng", "count"),
    "continuous": ("Thường xuyên", "Continuous"),
    "yearly_or_triennial": ("Hàng năm hoặc giai đoạn 03 năm", "Yearly or every three years"),
    "met": ("đạt", "met"),
    "not_met": ("chưa đạt", "not met"),
    "no_data": ("chưa có số liệu", "no data"),
    "no_data_yet": ("Chưa có số liệu", "No figures yet"),
    "yes": ("có", "yes"),
    "no": ("không", "no"),
    "lead": ("chủ trì", "lead"),
    "coordinating": ("phối hợp", "coordinating"),
    "owner": ("chủ chiến dịch", "campaign owner"),
    "all_agencies": ("Tất cả cơ quan", "All agencies"),
    "total": ("Tổng cộng", "Total"),
    "rolled_up": (
        "Số liệu của cơ quan đã giải thể, sáp nhập được cộng vào cơ quan kế nhiệm; "
        "cột “Cơ quan tại thời điểm” giữ cơ quan đã thực hiện.",
        "Records of agencies that ceased are counted under their successor; the column "
        "“Agency of record” keeps the agency that did the work.",
    ),
}


def t(key: str, lang: str) -> str:
    """The label for `key` in `lang`."""
    vi, en = _LABELS[key]
    return en if lang == "en" else vi


def t_or(key: str, lang: str, default: str) -> str:
    """The label for `key` in `lang`, or `default` when there is none."""
    return t(key, lang) if key in _LABELS else default


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f'lang must be "vi" or "en", not {lang!r}')
    return lang


def number(value: float | int | None, lang: str) -> str:
    """1.234 / 1.234,5 (vi) or 1,234 / 1,234.5 (en); empty cells read "–"."""
    if value is None:
        return "–"
    return str(format_decimal(value, format="#,##0.##", locale=lang))


def percent(value: float | None, lang: str) -> str:
    """A share given as 0–100: "70%", "98,5%" (vi) or "98.5%" (en)."""
    if value is None:
        return "–"
    return str(format_decimal(round(value, 1), format="#,##0.#", locale=lang)) + "%"


def month(value: str, lang: str) -> str:
    """ "2026-01" as "Tháng 1/2026" (vi) or "Jan 2026" (en)."""
    y, m = (int(x) for x in value.split("-"))
    if lang == "en":
        return date(y, m, 1).strftime("%b %Y")
    return f"Tháng {m}/{y}"


def day(value: date, lang: str) -> str:
    """A date as officials write it ("ngày 5 tháng 12 năm 2026") or "5 December 2026"."""
    return format_date(value, lang=lang)


def share(part: int | float, whole: int | float) -> float | None:
    """`part` as a percentage of `whole`, or None when there is nothing to divide by."""
    return None if not whole else 100.0 * part / whole


def cell(value: Any, kind: str, lang: str, names: dict[str, str] | None = None) -> str:
    """A table cell as a person reads it: codes as the names `names` gives them."""
    if names is not None and value is not None:
        if kind == "codes":
            return _CODE.sub(lambda m: names.get(m.group(0), m.group(0)), str(value))
        return names.get(str(value), str(value))
    if value is None:
        return "–" if kind in ("int", "number", "percent") else ""
    if kind in ("int", "number"):
        return number(value, lang)
    if kind == "percent":
        return percent(value, lang)
    if kind == "month":
        return month(value, lang)
    if kind == "date":
        return day(date.fromisoformat(value) if isinstance(value, str) else value, lang)
    if kind == "bool":
        return t("yes" if value else "no", lang)
    return str(value)
