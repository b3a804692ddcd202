"""The parts of a report that Decree 30/2020/NĐ-CP fixes: who issues it (with its superior),
its number symbol, the place-date line, and how the plan is named.

An official reads the heading before any figure; a collective ("UBND các xã, phường")
cannot sign, so its heading is a form each member fills in with its own name, not the
collective's code.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from bantin.core.models import Plan
from bantin.records.agencies import AgencyInfo

PLACE = "Vĩnh Long"
PROVINCE_VI = "Ủy ban nhân dân tỉnh Vĩnh Long"
PROVINCE_EN = "Vĩnh Long Provincial People's Committee"
PROVINCE_SHORT = "UBND TỈNH VĨNH LONG"
BLANK = "……………"
# Collectives: what a member writes in the blank, by the collective's code.
COLLECTIVE_ISSUER = {
    "COMMUNES": ("ỦY BAN NHÂN DÂN", f"XÃ (PHƯỜNG) {BLANK}"),
    "DISTRICTS": ("ỦY BAN NHÂN DÂN", f"HUYỆN (THỊ XÃ, THÀNH PHỐ) {BLANK}"),
    "DEPARTMENTS": ("", f"SỞ, BAN, NGÀNH {BLANK}"),
    "PRESS": ("", f"CƠ QUAN BÁO CHÍ {BLANK}"),
    "RELATED": ("", f"CƠ QUAN, ĐƠN VỊ {BLANK}"),
}
_SMALL_WORDS = {"và", "các"}


def symbol(name: str) -> str:
    """The issuer's abbreviation in a number symbol, from its Vietnamese name: the first
    letter of every syllable but "và" ("Sở Giáo dục và Đào tạo" → "SGDĐT"); a People's
    Committee signs as "UBND"."""
    if name.startswith("UBND") or name.lower().startswith("ủy ban nhân dân"):
        return "UBND"
    words = re.findall(r"\w+", unicodedata.normalize("NFC", name))
    return "".join(w[0].upper() for w in words if w.lower() not in _SMALL_WORDS)


def issuer_lines(info: AgencyInfo, lang: str) -> tuple[str | None, str, str]:
    """(superior, issuer, number symbol): a People's Committee is "ỦY BAN NHÂN DÂN" over
    its place, a provincial department sits under "UBND TỈNH VĨNH LONG"."""
    superior = None
    if info.level == "province" and info.kind in ("department", "education"):
        superior = PROVINCE_SHORT if lang == "vi" else PROVINCE_EN.upper()
    if lang == "en":
        return superior, info.display_name("en").upper(), info.code.replace("_", "")
    if info.code in COLLECTIVE_ISSUER:
        top, name = COLLECTIVE_ISSUER[info.code]
        committee = top == "ỦY BAN NHÂN DÂN"
        return (
            (superior if not committee else None),
            (f"{top}\n{name}" if committee else name),
            ("UBND" if committee else BLANK),
        )
    if info.name.startswith("UBND "):
        return None, "ỦY BAN NHÂN DÂN\n" + info.name[5:].upper(), "UBND"
    return superior, info.name.upper(), symbol(info.name)


def number_line(sym: str, lang: str) -> str:
    """ "Số: …/BC-SGDĐT": the number is given by the records office when signing."""
    return f"{'Số' if lang == 'vi' else 'No.'}: …/BC-{sym}"


def place_date(dated: date | None, year: int, lang: str) -> str:
    """ "Vĩnh Long, ngày 03 tháng 12 năm 2026" (Decree 30: days below 10 and months 1 and 2
    take a leading zero); without a date, the day and month are left blank."""
    if dated is None:
        return f"{PLACE}, ngày … tháng … năm {year}" if lang == "vi" else f"{PLACE}, … … {year}"
    if lang == "en":
        return f"{PLACE}, {dated.day} {dated.strftime('%B')} {dated.year}"
    mm = f"{dated.month:02d}" if dated.month < 3 else str(dated.month)
    return f"{PLACE}, ngày {dated.day:02d} tháng {mm} năm {dated.year}"


def plan_name(plan: Plan, lang: str) -> str:
    """The plan as the decision names it: "Kế hoạch … ban hành kèm theo Quyết định số
    618/QĐ-UBND ngày 30/3/2022 của Ủy ban nhân dân tỉnh Vĩnh Long"."""
    d = plan.signed_on
    if lang == "en":
        return (
            f"the Plan issued with Decision No. {plan.number} of {d.day}/{d.month}/{d.year} "
            f"of the {PROVINCE_EN}"
        )
    return (
        f"{plan.title} ban hành kèm theo Quyết định số {plan.number} ngày "
        f"{d.day}/{d.month}/{d.year} của {PROVINCE_VI}"
    )
