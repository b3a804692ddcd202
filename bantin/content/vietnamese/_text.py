"""Small helpers shared by the read-aloud rules: sentence starts, capitals, substitution."""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["RANGE", "L", "Repl", "cap", "last_word", "roman_value", "starts_sentence", "sub"]

RANGE = "\ue000"  # a dash between two figures: read "đến" once everything else is done
L = r"[^\W\d_]"  # a letter, accented or not

Repl = Callable[[re.Match[str]], str]


def cap(text: str) -> str:
    """Capitalise the first letter only ("ủy ban nhân dân" → "Ủy ban nhân dân")."""
    return text[:1].upper() + text[1:]


def starts_sentence(line: str, pos: int) -> bool:
    """True at the start of the line, after a bullet, or after ". ", "! ", "? "."""
    before = line[:pos].rstrip().rstrip("\"'\u201c\u2018([").rstrip()
    return not before or before[-1] in ".!?…" or before in ("-", "+", "*", "•", "\u2013", "\u2014")


def last_word(line: str, pos: int) -> str:
    """The lower-cased word just before ``pos`` (only spaces between), or ""."""
    m = re.search(r"(\w+)\s*$", line[:pos])
    return m.group(1).lower() if m else ""


def sub(pattern: re.Pattern[str], func: Callable[[re.Match[str]], str | None], line: str) -> str:
    """re.sub where ``func`` may decline (None) and readings start sentences capitalised.

    Only a match that starts with a figure is capitalised: when it starts with a word
    ("ngày 5 tháng 1") that word is the author's and keeps its case.
    """

    def repl(m: re.Match[str]) -> str:
        out = func(m)
        if out is None:
            return m.group()
        if (
            not m.group()[:1].isalpha()
            and out[:1].islower()
            and starts_sentence(m.string, m.start())
        ):
            out = cap(out)
        if m.end() < len(m.string) and m.string[m.end()].isalnum() and out[-1:].isalnum():
            out += " "
        if m.start() > 0 and m.string[m.start() - 1].isalnum() and out[:1].isalnum():
            out = " " + out
        return out

    return pattern.sub(repl, line)


_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def roman_value(text: str) -> int | None:
    """The value of a canonical Roman numeral ("IV" yes, "IIII" no)."""
    total = 0
    for i, ch in enumerate(text):
        value = _ROMAN_VALUES[ch]
        nxt = _ROMAN_VALUES[text[i + 1]] if i + 1 < len(text) else 0
        total += -value if value < nxt else value
    return total if 0 < total < 4000 and _to_roman(total) == text else None


def _to_roman(n: int) -> str:
    out = ""
    for value, sym in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):  # fmt: skip
        while n >= value:
            out += sym
            n -= value
    return out
