"""Vietnamese number readings, as a newsreader on VOV or a commune loudspeaker says them.

Conventions (see the package docstring for the full list):

* Standard northern forms, which VOV uses and every listener understands: "nghìn" (not
  "ngàn"), "tỷ", "mốt" for a final 1 after "mươi" ("hai mươi mốt"), "lăm" for a final 5
  after "mười"/"mươi" ("mười lăm", "hai mươi lăm").
* A final 4 after "mươi" is always "bốn" ("hai mươi bốn"), never "tư": on a distorted
  loudspeaker "tư" is easily misheard, and one form everywhere keeps scripts predictable.
  "tư" survives only where it is the fixed word: the ordinal "thứ tư" and the month
  "tháng tư" (see ``ordinal_words`` and ``month_words``).
* A zero tens digit after hundreds is "linh" ("một trăm linh năm"); pass ``odd="lẻ"`` for
  the southern "lẻ".
* Inside a larger number every group after the first reads its hundreds, so 2025 is "hai
  nghìn không trăm hai mươi lăm", as cheques and announcers read it; all-zero groups are
  skipped (1 000 500 is "một triệu năm trăm").
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = [
    "DIGIT_WORDS",
    "Odd",
    "decimal_words",
    "digits_words",
    "month_words",
    "number_words",
    "ordinal_words",
]

Odd = Literal["linh", "lẻ"]

DIGIT_WORDS: tuple[str, ...] = (
    "không",
    "một",
    "hai",
    "ba",
    "bốn",
    "năm",
    "sáu",
    "bảy",
    "tám",
    "chín",
)

_THOUSAND = 1_000
_MILLION = 1_000_000
_BILLION = 1_000_000_000


def _check_odd(odd: str) -> None:
    if odd not in ("linh", "lẻ"):
        raise ValueError(f'odd must be "linh" or "lẻ", not {odd!r}')


def _group(n: int, *, full: bool, odd: str) -> list[str]:
    """Words for 0 < n < 1000; ``full`` when a higher group precedes, so hundreds are said."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    said_hundreds = bool(hundreds) or full
    if said_hundreds:
        words += [DIGIT_WORDS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if said_hundreds:
                words.append(odd)
            words.append(DIGIT_WORDS[units])
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else DIGIT_WORDS[units])
    else:
        words += [DIGIT_WORDS[tens], "mươi"]
        if units == 1:
            words.append("mốt")
        elif units == 5:
            words.append("lăm")
        elif units:
            words.append(DIGIT_WORDS[units])
    return words


def _below_billion(n: int, *, full: bool, odd: str) -> list[str]:
    millions, rest = divmod(n, _MILLION)
    thousands, units = divmod(rest, _THOUSAND)
    words: list[str] = []
    started = full
    for value, scale in ((millions, "triệu"), (thousands, "nghìn"), (units, "")):
        if not value:
            continue
        words += _group(value, full=started, odd=odd)
        if scale:
            words.append(scale)
        started = True
    return words


def _cardinal(n: int, odd: str) -> list[str]:
    if n < _BILLION:
        return _below_billion(n, full=False, odd=odd) or ["không"]
    billions, rest = divmod(n, _BILLION)
    words = [*_cardinal(billions, odd), "tỷ"]
    if rest:
        words += _below_billion(rest, full=True, odd=odd)
    return words


def number_words(n: int, *, odd: Odd = "linh") -> str:
    """Read an integer aloud: 2025 → "hai nghìn không trăm hai mươi lăm".

    Announcers read every figure in full because listeners cannot see the script;
    ``odd`` chooses "linh" (standard, default) or "lẻ" (southern) for a zero tens digit.
    Negative numbers are read with "âm" ("âm năm"), as in weather bulletins.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"number_words needs an int, not {type(n).__name__}")
    _check_odd(odd)
    if n < 0:
        return "âm " + " ".join(_cardinal(-n, odd))
    return " ".join(_cardinal(n, odd))


def digits_words(digits: str) -> str:
    """Read a string of digits one by one ("1022" → "một không hai hai").

    Phone numbers, hotlines and codes are read digit by digit so listeners can write
    them down; non-digits are ignored.
    """
    return " ".join(DIGIT_WORDS[int(c)] for c in digits if c.isdecimal())


def _fraction_words(frac: str, odd: Odd) -> str:
    """The part after the decimal mark: leading zeros one by one, then up to three digits
    as a number ("25" → "hai mươi lăm", "05" → "không năm"); longer tails digit by digit."""
    stripped = frac.lstrip("0")
    words = ["không"] * (len(frac) - len(stripped))
    if stripped:
        if len(stripped) <= 3:
            words.append(number_words(int(stripped), odd=odd))
        else:
            words.append(digits_words(stripped))
    return " ".join(words)


_DECIMAL_RE = re.compile(r"\s*([-\u2212]?)(\d{1,3}(?:\.\d{3})+|\d+)(?:([,.])(\d+))?\s*")


def decimal_words(text: str, *, odd: Odd = "linh") -> str:
    """Read a written Vietnamese number with a decimal comma: "3,5" → "ba phẩy năm".

    Vietnamese writes "," for the decimal mark and "." between thousands, so "1.000,5" is
    "một nghìn phẩy năm". A dot followed by anything but groups of three digits is read
    "chấm", as in "4.0" ("bốn chấm không").
    """
    _check_odd(odd)
    m = _DECIMAL_RE.fullmatch(text)
    if not m:
        raise ValueError(f"not a written number: {text!r}")
    sign, whole, mark, frac = m.groups()
    if mark == "." and "." in whole:
        raise ValueError(f"not a written number: {text!r}")
    words = number_words(int(whole.replace(".", "")), odd=odd)
    if frac is not None:
        words += (" phẩy " if mark == "," else " chấm ") + _fraction_words(frac, odd)
    return ("âm " + words) if sign else words


def ordinal_words(n: int, *, odd: Odd = "linh") -> str:
    """The word after "thứ": 1 → "nhất", 4 → "tư", otherwise the cardinal ("thứ hai")."""
    if n == 1:
        return "nhất"
    if n == 4:
        return "tư"
    return number_words(n, odd=odd)


def month_words(month: int) -> str:
    """The word after "tháng" in a solar-calendar date: 1 → "một", 4 → "tư", 12 → "mười hai".

    "tháng giêng"/"tháng chạp" are lunar-calendar names, so January is "tháng một".
    """
    if not 1 <= month <= 12:
        raise ValueError(f"no month {month}")
    return "tư" if month == 4 else number_words(month)
