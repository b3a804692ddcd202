"""Hostile or careless campaign files (issue 8, item 12): each is refused with one clear
line naming file:line: field, never a traceback, in bounded time and memory."""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path

import pytest

from bantin.core.db import Database
from tests.campaigns.test_broken_files import BASE, GOOD_TEMPLATE, mutate, write
from tests.conftest import T0, Cli
from tests.helpers import OUTBOX_CHANNELS, add_channels

LETTERS = "abcdefghi"
BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{n}: &{n} [{','.join(['*' + p] * 9)}]\n" for p, n in pairwise(LETTERS)
)

# (case id, campaign text, expected line, expected fragment)
CASES = [
    ("alias-bomb", BASE.replace("vars:\n", BILLION_LAUGHS + "vars:\n"), 12, "alias"),
    ("recursive-alias", BASE + "extra: &r [*r]\n", 14, "alias"),
    ("nul-byte", BASE.replace("Thử nghiệm", "Thử\x00nghiệm"), 2, "NUL"),
    ("list-as-key", BASE + "? [a, b]\n: 1\n", 14, "key must be"),
    ("mapping-as-key", BASE + "{a: 1}: 2\n", 14, "key must be"),
    ("channels-number", mutate(10, "channels: 5"), 10, "channels: Input should be a valid list"),
    ("channels-text", mutate(10, "channels: baovl-fanpage"), 10, "channels: Input should be"),
    ("task-1.10", mutate(3, "task: 1.10"), 3, "task: unknown task '1.10'"),
    (
        "period-year-1-to-9999",
        mutate(6, "period: {start: 0001-01-01, end: 9999-12-31}"),
        6,
        "period: ",
    ),
    (
        "deep-nesting",
        BASE.replace("vars:\n", "deep: " + "[" * 5000 + "]" * 5000 + "\nvars:\n"),
        12,
        "nested",
    ),
]


@pytest.fixture
def folder(tmp_path: Path, db: Database, home: Path) -> Path:
    add_channels(db, T0, OUTBOX_CHANNELS, home)
    return tmp_path / "campaigns"


@pytest.mark.parametrize(("case", "text", "line", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_hostile_file_is_refused_with_its_line(
    case: str, text: str, line: int, fragment: str, folder: Path, run_cli: Cli
) -> None:
    path = write(folder, text, GOOD_TEMPLATE)
    started = time.monotonic()
    result = run_cli("campaign", "validate", str(path))
    assert time.monotonic() - started < 5
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith(f"{path}:{line}: ")]
    assert any(fragment in ln for ln in lines), result.stderr


def test_task_code_in_quotes_keeps_its_text(folder: Path, run_cli: Cli) -> None:
    path = write(folder, mutate(3, 'task: "1.1"'), GOOD_TEMPLATE)
    assert run_cli("campaign", "validate", str(path)).exit_code == 0


def test_unit_code_with_a_leading_zero_keeps_it(folder: Path, run_cli: Cli) -> None:
    path = write(folder, mutate(9, "targets: [012345]"), GOOD_TEMPLATE)
    result = run_cli("campaign", "validate", str(path))
    assert f"{path}:9: targets[0]: unknown unit '012345'" in result.stderr


def test_a_file_over_the_size_limit_is_refused_before_parsing(folder: Path, run_cli: Cli) -> None:
    path = write(folder, BASE + "# " + "x" * 1_100_000 + "\n", GOOD_TEMPLATE)
    result = run_cli("campaign", "validate", str(path))
    assert result.exit_code == 1
    assert f"{path}: file is 1,100" in result.stderr
    assert "the limit is 1,000,000 bytes" in result.stderr
