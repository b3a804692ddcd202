"""Read-aloud rules for dates, clock times, ranges, Roman numerals and ordinals.

Each upper-case pattern pairs with the lower-case function of the same name, for
``_text.sub``; ``read_aloud`` runs them in order. Conventions: see the package docstring.
"""

from __future__ import annotations

import calendar
import re

from bantin.content.vietnamese._text import RANGE, L, last_word, roman_value
from bantin.content.vietnamese.numbers import month_words, number_words, ordinal_words

# --- dates and times ------------------------------------------------------------------

_DATE_CONTEXT = {"ngày", "hôm", "mồng", "mùng", "từ", "đến", "tới", "sáng", "trưa", "chiều"}
_DATE_CONTEXT |= {"tối", "đêm", "vào", "lúc", "qua", "trước", "sau"}
_RATIO_NOUNS = re.compile(
    r"\s*(?:xã|phường|thị trấn|huyện|quận|tỉnh|thành phố|thị xã|đơn vị|cơ quan|sở|ngành"
    r"|hộ|người|trường|thôn|ấp|bản|khu phố|tổ|địa phương|chỉ tiêu|nhiệm vụ|thủ tục|hồ sơ"
    r"|dịch vụ|tiêu chí|điểm|trạm|học sinh|doanh nghiệp|hợp tác xã|phòng|nội dung|lớp"
    r"|dân số|diện tích|tổng số|số|trường hợp)(?!\w)",
    re.IGNORECASE,
)


_FRACTION_NOUNS = re.compile(
    r"\s*(?:số(?=\s)|dân số|diện tích|tổng số|kế hoạch|khối lượng|thời gian|người dân|dân cư"
    r"|sản lượng|giá trị|vốn|kinh phí|chi phí|ngân sách|quãng đường|dung lượng|lượng"
    r"|công suất|chặng đường|nhiệm kỳ|năm học|chiều dài)(?!\w)",
    re.IGNORECASE,
)
"""Nouns of a whole that a fraction takes a part of ("1/3 dân số", "3/4 số hộ")."""


def fraction_words(numerator: int, denominator: int) -> str:
    """ "một phần ba", "ba phần tư": the spoken fraction; 4 below the line is "tư"."""
    below = "tư" if denominator == 4 else number_words(denominator)
    return f"{number_words(numerator)} phần {below}"


def _valid_day(day: int, month: int, year: int | None) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    y = 2000 if year is None or year < 100 else year
    return day <= calendar.monthrange(y, month)[1]


def _date_words(line: str, pos: int, day: int, month: int, year: int | None) -> str:
    last = last_word(line, pos)
    words = []
    if last not in ("ngày", "hôm", "mồng", "mùng"):
        words.append("ngày")
    if day <= 10 and last not in ("mồng", "mùng"):
        words.append("mồng")
    words += [number_words(day), "tháng", month_words(month)]
    if year is not None:
        words += ["năm", number_words(year)]
    return " ".join(words)


DASH_DATE = re.compile(r"(?<![\w.,/\-])(\d{1,2})([-.])(\d{1,2})\2(\d{4})(?![\w]|[.,/\-]\d)")


def dash_date(m: re.Match[str]) -> str | None:
    day, month, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
    if not _valid_day(day, month, year):
        return None
    return _date_words(m.string, m.start(), day, month, year)


RANGE_DASH = re.compile(rf"(?<=\d)((?:{L}{{1,3}}|%|°C)?)\s*[-\u2013\u2014]\s*(?=(?i:thứ\s+)?\d)")
"""A dash after a figure (or "7h", "70%", "5km") and before a figure or "thứ 6"."""

CLOCK_H = re.compile(r"(?<![\w.,/:])(\d{1,2})h(\d{2})?'?(?!\w)")
CLOCK_G = re.compile(r"(?<![\w.,/:])(\d{1,2})g(\d{2})(?!\w)")
CLOCK_GIO = re.compile(
    r"(?<![\w.,/:])(\d{1,2})\s*giờ\s*(\d{2}|\d(?=\s*phút))(?:\s*phút)?(?![\w/]|[.,]\d)"
)
CLOCK_COLON = re.compile(r"(?<![\w.,/:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?![\w:]|[.,]\d)")


def clock(m: re.Match[str]) -> str | None:
    if m.re is CLOCK_COLON and re.search(r"(?i:t[ỷỉ] lệ)\s*$", m.string[: m.start()]):
        return None  # "tỷ lệ 1:10" is a ratio, read "một trên mười"
    hour = int(m.group(1))
    minute = int(m.group(2) or 0)
    second = int(m.group(3) or 0) if m.re is CLOCK_COLON else 0
    if hour > 24 or minute > 59 or second > 59 or (hour == 24 and (minute or second)):
        return None
    words = [number_words(hour), "giờ"]
    if minute:
        words += [number_words(minute), "phút"]
    if second:
        words += [number_words(second), "giây"]
    return " ".join(words)


DAY_IN_WORDS = re.compile(r"(?<!\w)((?i:ngày))\s+0?(\d{1,2})(?=\s+(?i:tháng)\s+\d)")


def day_in_words(m: re.Match[str]) -> str | None:
    day = int(m.group(2))
    if not 1 <= day <= 31:
        return None
    return f"{m.group(1)} {'mồng ' if day <= 10 else ''}{number_words(day)}"


SLASH_DATE = re.compile(r"(?<![\w/.,])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\w/]|[.,]\d)")


def slash_date(m: re.Match[str]) -> str | None:
    a, b = int(m.group(1)), int(m.group(2))
    year = int(m.group(3)) if m.group(3) else None
    line, pos = m.string, m.start()
    in_context = last_word(line, pos) in _DATE_CONTEXT or line[:pos].rstrip().endswith(RANGE)
    if year is None and not in_context and 0 < a < b <= 10 and _FRACTION_NOUNS.match(line, m.end()):
        return fraction_words(a, b)
    ratio = bool(_RATIO_NOUNS.match(line, m.end())) or (a, b) == (24, 7)
    if year is None and not in_context and ratio:
        return f"{number_words(a)} trên {number_words(b)}"
    if not _valid_day(a, b, year):
        return None
    return _date_words(line, pos, a, b, year)


MONTH_YEAR = re.compile(r"(?<![\w/.,])(\d{1,2})/(\d{4})(?![\w/]|[.,]\d)")


def month_year(m: re.Match[str]) -> str | None:
    month, year = int(m.group(1)), int(m.group(2))
    last = last_word(m.string, m.start())
    if last in ("quý", "đợt", "kỳ"):
        return f"{number_words(month)} năm {number_words(year)}"
    if not 1 <= month <= 12:
        return None
    head = "" if last == "tháng" else "tháng "
    return f"{head}{month_words(month)} năm {number_words(year)}"


MONTH = re.compile(r"(?<!\w)((?i:tháng))\s+0?(\d{1,2})(?![\w/:]|[.,]\d)")


def month(m: re.Match[str]) -> str | None:
    month = int(m.group(2))
    return f"{m.group(1)} {month_words(month)}" if 1 <= month <= 12 else None


# --- Roman numerals and ordinals ------------------------------------------------------

ROMAN_CONTEXT = re.compile(
    r"(?<!\w)((?i:chương|phần|mục|quý|khóa|khoá|đại hội|thế kỷ|thế kỉ|tập|đợt|phụ lục"
    r"|học kỳ|giai đoạn|cấp|loại|vùng|quân khu|kỳ|thứ))\s+([IVXL]+)(?:/(\d{4}))?(?!\w)"
)


def roman_in_context(m: re.Match[str]) -> str | None:
    keyword, numeral, year = m.groups()
    n = roman_value(numeral)
    if n is None:
        return None
    reading = ordinal_words(n) if keyword.lower() == "thứ" else number_words(n)
    if keyword.isupper():
        reading = reading.upper()
    out = f"{keyword} {reading}"
    return f"{out} năm {number_words(int(year))}" if year else out


ORDINAL = re.compile(r"(?<!\w)((?i:thứ))\s+0*(\d+)(?![\w/:]|[.,]\d)")


def ordinal(m: re.Match[str]) -> str:
    return f"{m.group(1)} {ordinal_words(int(m.group(2)))}"
