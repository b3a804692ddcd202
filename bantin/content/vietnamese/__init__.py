"""Vietnamese text for bulletins: written dates and times, number readings, read-aloud.

Two audiences, two forms. Written text (Zalo posts, portal news, the printed schedule)
uses the forms of administrative documents: "ngày 30 tháng 3 năm 2022", "5 giờ 30".
Spoken text (the commune loudspeaker, the provincial radio) must be spelt out first,
because an announcer reading "618/QĐ-UBND" or "05/12" live will improvise, and every
commune will hear something different. ``read_aloud`` fixes one reading, VOV-style.

Conventions chosen (each is a deliberate choice; change them here and in the gold set):

* Numbers: "nghìn", "triệu", "tỷ"; "mốt" after "mươi" (21 "hai mươi mốt") but "một"
  after "mười" (11 "mười một"); "lăm" after "mười"/"mươi" (15 "mười lăm", 25 "hai mươi
  lăm") but "năm" after "linh" (105 "một trăm linh năm"); a final 4 is always "bốn"
  ("hai mươi bốn"), clearer than "tư" on a loudspeaker. Zero tens: "linh" by default,
  ``odd="lẻ"`` for southern speech. Inner groups say their hundreds: 2025 "hai nghìn
  không trăm hai mươi lăm"; empty groups are skipped. Negative: "âm năm".
* Decimals: "," is the decimal mark, "." separates thousands ("1.000.000" "một triệu").
  "3,5" "ba phẩy năm"; "0,25" "không phẩy hai mươi lăm" (zeros after the comma one by
  one, then up to three digits as a number, longer tails digit by digit). A dot that is
  not a thousands separator is "chấm": "4.0" "bốn chấm không".
* Dates: "30/3/2022" "ngày ba mươi tháng ba năm hai nghìn không trăm hai mươi hai";
  "ngày" is not repeated after "ngày"/"hôm"/"mồng". Days 1-10 take "mồng" ("ngày mồng năm
  tháng mười hai"). Months are solar: "tháng một" (not the lunar "tháng giêng"), "tháng
  tư" (the fixed form; never "tháng bốn"). "3/2022" "tháng ba năm hai nghìn..." An x/y
  followed by a counted noun ("124/124 xã", "3/5 xã") or "24/7" is a ratio: "trên".
* Times: "17h30", "17:30", "17g30", "17 giờ 30" all read "mười bảy giờ ba mươi phút";
  whole hours drop the minutes ("7h" "bảy giờ").
* Ranges: a hyphen, en dash or em dash between two figures is "đến" ("2022 - 2030",
  "70-80%", "7h30-11h30", "thứ 2 - thứ 6").
* Ordinals: after "thứ", 1 is "nhất" and 4 is "tư"; other values are cardinals ("lần thứ
  hai", "thứ mười bốn").
* Roman numerals: a heading "II. NỘI DUNG" at the start of a line reads "Phần hai. NỘI
  DUNG" (listeners cannot see the layout, "phần" tells them a new part begins); after
  "Chương", "Phần", "Mục", "Quý", "Khóa", "Đại hội", "thế kỷ", ... the cardinal ("Chương
  bốn", "Đại hội mười ba"), after "thứ" the ordinal ("lần thứ tư"). Numbered items at
  line start read "Một. ...", "Hai chấm ba. ...".
* Document numbers: "618/QĐ-UBND" "sáu trăm mười tám quyết định ủy ban nhân dân" (the
  slash is silent, each code is expanded; never "trên QĐ-UBND"); a year inside the number
  is read with "năm": "13/2023/NĐ-CP" "mười ba năm hai nghìn không trăm hai mươi ba nghị
  định Chính phủ"; party style "57-NQ/TW" "năm mươi bảy nghị quyết Trung ương".
* Phone numbers and hotlines: digit by digit, written groups separated by commas ("0905
  123 456" "không chín không năm, một hai ba, bốn năm sáu"); this applies to any run of
  eight or more digits, numbers starting 0/+84 with 9-12 digits, 1800/1900 numbers, and
  any number after "gọi", "đường dây nóng", "tổng đài", "số điện thoại"... ("gọi 1022"
  "gọi một không hai hai"). Zero-led codes of four or more digits too; zero-led counts
  lose the zero ("02 chuyên gia" "hai chuyên gia").
* Units after a figure: "km" "ki-lô-mét", "ha" "héc-ta", "m2"/"m²" "mét vuông", "kg",
  "đ"/"VNĐ" "đồng", "%" "phần trăm", "°C" "độ C"; "đồng/tháng" "đồng một tháng",
  "người/km2" "người trên ki-lô-mét vuông", "xã/phường" "xã, phường".
* Abbreviations: ``bantin/content/abbreviations.yaml`` (editable; rules in its header).
* A figure that starts a sentence gets a capital letter ("Bảy mươi phần trăm hộ...").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from bantin.content.vietnamese.abbreviations import (
    ABBREVIATIONS_FILE,
    load_abbreviations,
    load_document_codes,
)
from bantin.content.vietnamese.dates import (
    format_date,
    format_datetime,
    format_time,
    weekday_name,
)
from bantin.content.vietnamese.numbers import (
    decimal_words,
    digits_words,
    month_words,
    number_words,
    ordinal_words,
)
from bantin.content.vietnamese.read_aloud import read_aloud

__all__ = [
    "ABBREVIATIONS_FILE",
    "FILTERS",
    "NEWSREADING_RATE_SPM",
    "count_syllables",
    "decimal_words",
    "digits_words",
    "estimate_duration",
    "format_date",
    "format_datetime",
    "format_time",
    "load_abbreviations",
    "load_document_codes",
    "month_words",
    "nfc",
    "number_words",
    "ordinal_words",
    "read_aloud",
    "weekday_name",
]

NEWSREADING_RATE_SPM = 233.0
"""Syllables per minute of Vietnamese newsreading, the measured rate used for timing."""


def nfc(text: str) -> str:
    """Unicode NFC: the same word typed on two keyboards (precomposed "ệ" or "e" plus
    combining marks) must compare, sort and hash the same, and render on every device."""
    return unicodedata.normalize("NFC", text)


def count_syllables(text: str) -> int:
    """Syllables the announcer will say: tokens of the read-aloud form that contain a letter.

    Vietnamese writes one syllable per word, so tokens are counted after ``read_aloud``;
    hyphens split loanwords written syllable by syllable ("ki-lô-mét" is three).
    """
    spoken = read_aloud(text).replace("-", " ")
    return sum(1 for token in spoken.split() if any(ch.isalpha() for ch in token))


def estimate_duration(text: str, rate_spm: float = NEWSREADING_RATE_SPM) -> timedelta:
    """How long the script takes to read aloud, unrounded, at `rate_spm` (the library's raw
    figure). Every surface shows `bantin.content.timing.script_seconds` instead: the
    configured rate, rounded up the one way."""
    if rate_spm <= 0:
        raise ValueError(f"rate_spm must be positive, not {rate_spm}")
    return timedelta(minutes=count_syllables(text) / rate_spm)


def _ngay(d: date) -> str:
    """Jinja filter ``ngay``: {{ d | ngay }} → "ngày 30 tháng 3 năm 2022"."""
    return format_date(d)


def _ngay_thu(d: date) -> str:
    """Jinja filter ``ngay_thu``: {{ d | ngay_thu }} → "thứ Tư, ngày 30 tháng 3 năm 2022"."""
    return format_date(d, weekday=True)


def _gio(t: time | datetime) -> str:
    """Jinja filter ``gio``: {{ t | gio }} → "5 giờ 30"."""
    return format_time(t)


def _so(n: Any) -> str:
    """Jinja filter ``so``: {{ 124 | so }} → "một trăm hai mươi bốn"; accepts "124" too."""
    return number_words(int(n.strip()) if isinstance(n, str) else n)


FILTERS: dict[str, Callable[..., str]] = {
    "ngay": _ngay,
    "ngay_thu": _ngay_thu,
    "gio": _gio,
    "so": _so,
    "doc": read_aloud,
    "nfc": nfc,
}
"""Jinja2 filters for campaign templates, registered by ``bantin.content.sandbox``."""
