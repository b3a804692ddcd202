"""Dates and times written the way Vietnamese administrative documents write them.

"ngày 30 tháng 3 năm 2022" and "5 giờ 30" are the forms of official letters and
broadcast schedules (Decree 30/2020/NĐ-CP on administrative documents writes the date in
words this way, without leading zeros). These are the *written* forms used in bulletins;
``read_aloud`` turns them into what the announcer says.
"""

from __future__ import annotations

from datetime import date, datetime, time

from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time

__all__ = ["format_date", "format_datetime", "format_time", "weekday_name"]

_LANGS = ("vi", "en")


def _check_lang(lang: str) -> None:
    if lang not in _LANGS:
        raise ValueError(f'lang must be "vi" or "en", not {lang!r}')


def weekday_name(d: date) -> str:
    """The weekday as written in a dateline: "thứ Hai" … "thứ Bảy", "Chủ nhật".

    Babel (CLDR) gives "Thứ Hai" and "Chủ Nhật"; in the middle of a sentence Vietnamese
    writes "thứ" in lower case with the numeral word capitalised, and "Chủ nhật" with a
    lower-case second syllable, so the CLDR form is adjusted.
    """
    name = _babel_date(d, "EEEE", locale="vi")
    if d.weekday() == 6:
        return "Chủ nhật"
    head, _, tail = name.partition(" ")
    return f"{head.lower()} {tail[:1].upper()}{tail[1:]}"


def format_date(d: date, *, weekday: bool = False, lang: str = "vi") -> str:
    """A date as officials write it: "ngày 5 tháng 1 năm 2026", no leading zeros.

    ``weekday=True`` prefixes the day of the week ("thứ Hai, ngày 30 tháng 3 năm 2022"),
    as broadcast schedules do. ``lang="en"`` gives "30 March 2022" for English summaries.
    """
    _check_lang(lang)
    if isinstance(d, datetime):
        d = d.date()
    if lang == "en":
        pattern = "EEEE, d MMMM y" if weekday else "d MMMM y"
        return str(_babel_date(d, pattern, locale="en"))
    text = f"ngày {d.day} tháng {d.month} năm {d.year}"
    return f"{weekday_name(d)}, {text}" if weekday else text


def format_time(t: time | datetime, *, lang: str = "vi") -> str:
    """A clock time as schedules write it: "5 giờ 30", "17 giờ", "7 giờ 05".

    Whole hours drop the minutes; minutes keep two digits, as in "17h05". Seconds are
    never written in a schedule and are ignored. ``lang="en"`` gives "05:30".
    """
    _check_lang(lang)
    if isinstance(t, datetime):
        t = t.time()
    if lang == "en":
        return str(_babel_time(t, "HH:mm", locale="en"))
    if t.minute == 0:
        return f"{t.hour} giờ"
    return f"{t.hour} giờ {t.minute:02d}"


def format_datetime(dt: datetime, *, weekday: bool = False, lang: str = "vi") -> str:
    """Time then date, as in an invitation: "5 giờ 30, ngày 30 tháng 3 năm 2022".

    The wall-clock time of ``dt`` is used as given: convert to Asia/Ho_Chi_Minh first.
    """
    return f"{format_time(dt, lang=lang)}, {format_date(dt.date(), weekday=weekday, lang=lang)}"
