"""Dates typed the Vietnamese way, day first, are read beside ISO by every command."""

from __future__ import annotations

import json

import pytest

from bantin.cli.dates import to_iso
from tests.conftest import EXAMPLES, Cli


@pytest.mark.parametrize(
    ("typed", "iso"),
    [
        ("03/12/2026", "2026-12-03"),
        ("3/12/2026", "2026-12-03"),
        ("3/12/2026 05:30", "2026-12-03T05:30"),
        ("03/12/2026T5:30", "2026-12-03T05:30"),
        ("2026-12-03", "2026-12-03"),
        ("2026-12-03T05:30+07:00", "2026-12-03T05:30+07:00"),
    ],
)
def test_a_date_typed_either_way_becomes_iso(typed: str, iso: str) -> None:
    assert to_iso(typed) == iso


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("03/12/26", "write the year in full"),
        ("12/31/2026", "day/month/year"),
        ("03-12-2026", "is not a date or time bantin reads"),
        ("3.12.2026", "is not a date or time bantin reads"),
    ],
)
def test_an_ambiguous_or_unknown_form_is_refused_clearly(typed: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        to_iso(typed)


def test_schedule_reads_a_vietnamese_date_and_now(run_cli: Cli) -> None:
    run_cli("channel", "add", "loa-xa", "outbox://outbox/loa-xa", "--agency", "COMMUNES")
    run_cli("campaign", "apply", str(EXAMPLES / "loa-cds.yaml"), "--now", "01/12/2026 08:00")
    iso = run_cli("schedule", "--from", "2026-12-03", "--to", "2026-12-03", "--json")
    vn = run_cli("schedule", "--from", "03/12/2026", "--to", "3/12/2026", "--json")
    assert vn.exit_code == 0 and json.loads(vn.output) == json.loads(iso.output)
    assert json.loads(vn.output)


def test_a_bad_date_on_the_command_line_is_one_clear_line(run_cli: Cli) -> None:
    result = run_cli("schedule", "--from", "03/12/26")
    assert result.exit_code == 2
    assert "write the year in full" in result.output
