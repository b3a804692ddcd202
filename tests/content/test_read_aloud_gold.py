"""The read-aloud gold set: how a VOV or commune-loudspeaker announcer reads each line.

``read_aloud_gold.tsv`` holds one ``written<TAB>spoken`` pair per line; lines starting
with "#" name the category that follows. Each pair is one test, identified by its line
number so a failure points straight at the line to look at.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from bantin.content.vietnamese import read_aloud

GOLD = Path(__file__).with_name("read_aloud_gold.tsv")
MIN_CASES = 480


def _cases() -> list[tuple[int, str, str]]:
    cases = []
    for number, line in enumerate(GOLD.read_text(encoding="utf-8").split("\n"), start=1):
        if not line or line.startswith("#"):
            continue
        written, spoken = line.split("\t")
        cases.append((number, written, spoken))
    return cases


CASES = _cases()


def test_gold_set_has_enough_cases() -> None:
    assert len(CASES) >= MIN_CASES


def test_gold_set_is_nfc() -> None:
    text = GOLD.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)


def test_gold_set_has_no_duplicate_inputs() -> None:
    inputs = [written for _, written, _ in CASES]
    assert len(inputs) == len(set(inputs))


@pytest.mark.parametrize(
    ("written", "spoken"),
    [pytest.param(w, s, id=f"line{n}") for n, w, s in CASES],
)
def test_read_aloud_matches_gold(written: str, spoken: str) -> None:
    assert read_aloud(written) == spoken


@pytest.mark.parametrize("spoken", [pytest.param(s, id=f"line{n}") for n, _, s in CASES])
def test_reading_a_reading_changes_nothing(spoken: str) -> None:
    """A script already spelt out (or read twice by mistake) must come back unchanged."""
    assert read_aloud(spoken) == spoken


SECOND_ROUND = (
    "# Fractions and ratios",
    "# Ranges of hours and values",
    "# Digital-transformation vocabulary",
    "# Phone numbers, hotlines and short service numbers",
    "# Units and symbols after a figure",
    "# Roman numerals in titles and congress numbers",
    "# Version-like numbers and network generations",
)


def test_each_second_round_category_has_twenty_cases() -> None:
    counts: dict[str, int] = {}
    current = ""
    for line in GOLD.read_text(encoding="utf-8").split("\n"):
        if line.startswith("#"):
            current = next((c for c in SECOND_ROUND if line.startswith(c)), "")
        elif line and current:
            counts[current] = counts.get(current, 0) + 1
    assert set(counts) == set(SECOND_ROUND)
    assert all(n >= 20 for n in counts.values()), counts
    assert sum(counts.values()) >= 150
