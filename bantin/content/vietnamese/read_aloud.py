"""Read-aloud normalisation: turn a written bulletin into the words an announcer says.

A commune announcer reads the script live, often at 05:30, over a loudspeaker; every
figure, date, code and abbreviation must already be spelt out the way VOV reads it, or
it will be read three different ways in three communes. Each rule below is one step of a
per-line pipeline; the order matters (document numbers before dates, phone numbers
before plain numbers, ranges before the numbers they join). The conventions are listed
in the package docstring.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from bantin.content.vietnamese import spoken_dates as sd
from bantin.content.vietnamese._text import (
    RANGE,
    L,
    Repl,
    cap,
    roman_value,
    starts_sentence,
    sub,
)
from bantin.content.vietnamese.abbreviations import (
    AbbreviationMatcher,
    domain_parts,
    load_abbreviations,
    load_document_codes,
    matcher_for,
)
from bantin.content.vietnamese.numbers import decimal_words, digits_words, number_words

__all__ = ["read_aloud"]

_ROMAN_HEADING = re.compile(r"^(\s*)([IVX]{1,7})\s*[.)\-\u2013:]\s+(?=\S)")
_NUMBER_HEADING = re.compile(r"^(\s*)(\d{1,2}(?:\.\d{1,2})*)\s*[.)]\s+(?=\S)")


def _headings(line: str) -> str:
    m = _ROMAN_HEADING.match(line)
    if m and (n := roman_value(m.group(2))):
        return f"{m.group(1)}Phần {number_words(n)}. {line[m.end() :]}"
    m = _NUMBER_HEADING.match(line)
    if m:
        parts = " chấm ".join(number_words(int(p)) for p in m.group(2).split("."))
        return f"{m.group(1)}{cap(parts)}. {line[m.end() :]}"
    return line


# --- web addresses, document numbers, abbreviations -----------------------------------

_URL = re.compile(
    r"(?<![\w@./])(?:https?://)?((?:[A-Za-z0-9-]+\.)+(?:vn|com|net|org|gov|edu|info|io))"
    r"(?![\w-]|\.[A-Za-z0-9])/?",
    re.IGNORECASE,
)


def _url(m: re.Match[str]) -> str:
    parts = domain_parts()
    return " chấm ".join(parts.get(p.lower(), p) for p in m.group(1).split("."))


_CODE_PART = r"[A-ZĐ](?:[^\W\d_]|&)*\d*"
_DOCUMENT_NUMBER = re.compile(
    rf"(?<![\w/.,])(\d{{1,5}})(?:/(\d{{4}}))?[/-]({_CODE_PART}(?:[-/]{_CODE_PART})*)(?![\w&])"
)


def _document_number(codes: Mapping[str, str]) -> Repl:
    def read(m: re.Match[str]) -> str:
        words = [number_words(int(m.group(1)))]
        if m.group(2):
            words += ["năm", number_words(int(m.group(2)))]
        for part in re.split(r"[-/]", m.group(3)):
            letters = part.rstrip("0123456789")  # "QH15": Quốc hội khóa 15
            digits = part[len(letters) :]
            words.append(codes.get(letters, letters))
            if digits:
                words.append(number_words(int(digits)))
        return " ".join(words)

    return read


# --- phone numbers --------------------------------------------------------------------

_PHONE_CONTEXT = re.compile(
    r"(?<!\w)((?i:gọi(?:\s+(?:ngay|điện))?(?:\s+(?:đến|tới|vào))?(?:\s+số)?"
    r"|số\s+điện\s+thoại|điện\s+thoại|đường\s+dây\s+nóng|tổng\s+đài"
    r"|nhắn\s+tin(?:\s+(?:đến|tới))?(?:\s+số)?|fax|báo\s+cháy|cứu\s+hỏa|cấp\s+cứu"
    r"|khẩn\s+cấp|cứu\s+nạn|(?:qua|theo)\s+số))(\s*:?\s*)(\+?\d+(?:[ .\-]\d+)*)"
    r"(?![\w/]|[.,]\d|\s+(?:người|ca|bệnh nhân|lượt|vụ|trường hợp|xe|chiến sĩ|cán bộ)(?!\w))"
)
_PHONE_CANDIDATE = re.compile(r"(?<![\w.,/+])(\+?\d+(?:[ .\-]\d+)*)(?![\w/]|[.,]\d)")


def _phone_groups(groups: list[str]) -> str:
    out = []
    for g in groups:
        reading = digits_words(g)
        out.append(f"cộng {reading}" if g.startswith("+") else reading)
    return ", ".join(out)


def _phone_in_context(m: re.Match[str]) -> str | None:
    groups = re.split(r"[ .\-]", m.group(3))
    digits = sum(len(g.lstrip("+")) for g in groups)
    head = m.group(1) + m.group(2)
    if len(groups) > 1 and 8 <= digits <= 13:
        return head + _phone_groups(groups)
    first = groups[0]
    if len(first.lstrip("+")) < 3:
        return None
    rest = m.group(3)[len(first) :]
    return head + _phone_groups([first]) + rest


def _phone(m: re.Match[str]) -> str | None:
    text = m.group(1)
    groups = re.split(r"[ .\-]", text)
    digits = "".join(groups).lstrip("+")
    if len(groups) == 1 and len(digits) >= 8:
        return _phone_groups(groups)
    if (text.startswith(("+84", "0")) and 9 <= len(digits) <= 12) or (
        text.startswith(("1800", "1900")) and 8 <= len(digits) <= 10
    ):
        return _phone_groups(groups)
    return None


# --- numbers, units -------------------------------------------------------------------

_UNITS = {
    "km²": "ki-lô-mét vuông",
    "km2": "ki-lô-mét vuông",
    "km/h": "ki-lô-mét trên giờ",
    "km": "ki-lô-mét",
    "m²": "mét vuông",
    "m2": "mét vuông",
    "m³": "mét khối",
    "m3": "mét khối",
    "cm": "xăng-ti-mét",
    "mm": "mi-li-mét",
    "m": "mét",
    "ha": "héc-ta",
    "kg": "ki-lô-gam",
    "mg": "mi-li-gam",
    "g": "gam",
    "ml": "mi-li-lít",
    "kWh": "ki-lô-oát giờ",
    "kW": "ki-lô-oát",
    "MW": "mê-ga-oát",
    "GB": "gi-ga-bai",
    "MB": "mê-ga-bai",
    "Mbps": "mê-ga-bít trên giây",
    "Gbps": "gi-ga-bít trên giây",
    "°C": "độ C",
    "‰": "phần nghìn",
    "%": "phần trăm",
    "đ": "đồng",
    "VNĐ": "đồng",
    "VND": "đồng",
    "vnđ": "đồng",
    "USD": "đô la Mỹ",
    "h": "giờ",
}
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(_UNITS, key=lambda u: (-len(u), u)))

_NUMBER = re.compile(
    r"(?<![\w.,])(?P<sign>[-\u2212](?=\d))?"
    r"(?P<num>\d{1,3}(?:\.\d{3})+(?!\d)(?:,\d+)?|\d{1,3}(?: \d{3}){2,}(?![\d.,])"
    r"|\d+\.\d+|\d+(?:,\d+)?)"
    r"(?P<scale>\s+(?:nghìn|ngàn|triệu|tỷ|tỉ)(?:\s+tỷ)?)?"
    rf"(?:(?P<gap>\s?)(?P<unit>{_UNIT_ALT})(?![\w²³]))?"
)


def _written_number(num: str) -> str:
    """Long digit runs and zero-led codes digit by digit, everything else as a number."""
    if " " in num:  # "1 000 000": thousands grouped by spaces
        return number_words(int(num.replace(" ", "")))
    if num.isdigit() and (len(num) >= 8 or (num[0] == "0" and len(num) >= 4)):
        return digits_words(num)
    return decimal_words(num)


def _number(m: re.Match[str]) -> str:
    words = _written_number(m.group("num"))
    if m.group("sign"):
        words = "âm " + words
    if m.group("scale"):
        words += " " + m.group("scale").strip()
    if m.group("unit"):
        words += " " + _UNITS[m.group("unit")]
    return words


_DOTTED = re.compile(r"(?<![\w.,])\d+(?:\.\d+){2,}(?![\w]|[.,]\d)")


def _dotted(m: re.Match[str]) -> str | None:
    """Versions and addresses such as "4.0.1" or "192.168.1.1": parts joined by "chấm"."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", m.group()):
        return None  # thousands, read by _NUMBER
    return " chấm ".join(number_words(int(p)) for p in m.group().split("."))


_GENERATION = re.compile(r"(?<![\w.,])(\d)G(?:/(\d)G)?(?!\w)")


def _generation(m: re.Match[str]) -> str:
    """Mobile network generations: "5G" "năm gờ", "4G/5G" "bốn gờ, năm gờ"."""
    first = f"{number_words(int(m.group(1)))} gờ"
    return f"{first}, {number_words(int(m.group(2)))} gờ" if m.group(2) else first


_ANY_DIGITS = re.compile(r"\d+")
_PER_UNIT = re.compile(rf"(?<={L})\s*/\s*({_UNIT_ALT})(?![\w²³])")
_WORD_SLASH = re.compile(rf"(?<={L})/(?={L})")
_PER_WORDS = re.compile(
    r"(?:tháng|năm|ngày|tuần|giờ|người|hộ|lượt|lần|buổi|suất|ca|kỳ|quý|học sinh)(?!\w)",
    re.IGNORECASE,
)


_MONEY_BEFORE = re.compile(r"(?<![^\W\d_])(?:đồng|đ|VNĐ|VND|vnđ|USD|đô la Mỹ)$")


def _per_unit(m: re.Match[str]) -> str:
    money = _MONEY_BEFORE.search(m.string, 0, m.start())
    joiner = "một" if money else "trên"
    return f" {joiner} {_UNITS[m.group(1)]}"


def _word_slash(m: re.Match[str]) -> str:
    return " một " if _PER_WORDS.match(m.string, m.end()) else ", "


def _tidy(line: str) -> str:
    line = line.replace("&", " và ").replace("%", " phần trăm ")
    line = line.replace(RANGE, " đến ")
    line = re.sub(r"\s+", " ", line).strip()
    line = re.sub(r"\s+([,.;:!?…)\]])", r"\1", line)
    return re.sub(r"([(\[])\s+", r"\1", line)


# --- the pipeline ---------------------------------------------------------------------


def _read_line(line: str, matcher: AbbreviationMatcher, codes: Mapping[str, str]) -> str:
    line = _headings(line)
    line = sub(_URL, _url, line)
    line = sub(_DOCUMENT_NUMBER, _document_number(codes), line)

    def abbreviation(m: re.Match[str], reading: str) -> str:
        if not m.group()[:1].islower() and starts_sentence(m.string, m.start()):
            reading = cap(reading)
        if m.end() < len(m.string) and m.string[m.end()].isalnum():
            reading += " "
        return reading

    line = matcher.sub(line, abbreviation)
    line = sub(_PHONE_CONTEXT, _phone_in_context, line)
    line = sub(_PHONE_CANDIDATE, _phone, line)
    line = sub(sd.DASH_DATE, sd.dash_date, line)
    line = sd.RANGE_DASH.sub(rf"\1 {RANGE} ", line)  # before "Covid-19": "14h-16h"
    line = re.sub(rf"(?<={L})-(?=\d)", " ", line)  # "Covid-19", "F-16"
    line = sub(_GENERATION, _generation, line)
    for clock in (sd.CLOCK_H, sd.CLOCK_G, sd.CLOCK_GIO, sd.CLOCK_COLON):
        line = sub(clock, sd.clock, line)
    line = sub(sd.DAY_IN_WORDS, sd.day_in_words, line)
    line = sub(sd.SLASH_DATE, sd.slash_date, line)
    line = sub(sd.MONTH_YEAR, sd.month_year, line)
    line = sub(sd.MONTH, sd.month, line)
    line = sub(sd.ROMAN_CONTEXT, sd.roman_in_context, line)
    line = sub(sd.ORDINAL, sd.ordinal, line)
    line = re.sub(r"(?<=\d)(?:\s*/\s*|:)(?=\d)", " trên ", line)  # "124/124", "1:10"
    line = sub(_DOTTED, _dotted, line)
    line = sub(_PER_UNIT, _per_unit, line)
    line = sub(_NUMBER, _number, line)
    line = sub(_ANY_DIGITS, lambda m: number_words(int(m.group())), line)
    line = _WORD_SLASH.sub(_word_slash, line)
    return _tidy(line)


def read_aloud(text: str, *, abbreviations: Mapping[str, str] | None = None) -> str:
    """Spell out a radio script so a commune announcer reads every figure the same way.

    ``abbreviations`` replaces the running-text dictionary of
    ``bantin/content/abbreviations.yaml`` (pass ``{**load_abbreviations(), **extra}`` to
    extend it). The output is NFC with tidy spaces, and has exactly one line per input
    line: scripts are reviewed line by line against the original.
    """
    entries = load_abbreviations() if abbreviations is None else dict(abbreviations)
    text = unicodedata.normalize("NFC", text)
    matcher = matcher_for(entries)
    codes = {**matcher.entries, **load_document_codes()}
    lines = [_read_line(line, matcher, codes) for line in text.split("\n")]
    return unicodedata.normalize("NFC", "\n".join(lines))
