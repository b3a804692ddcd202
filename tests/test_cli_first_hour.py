"""What a new user meets in the first hour: approval with nothing to approve, unknown
filters, agency codes in any case (issue 12)."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLES, Cli

NOW = "2026-12-01T08:00"


@pytest.fixture
def column(run_cli: Cli) -> Cli:
    """The weekly column (needs approval) applied on a Tuesday morning."""
    run_cli("channel", "add", "baovl-portal", "outbox://outbox/portal", "--agency", "BAOVL")
    result = run_cli("campaign", "apply", str(EXAMPLES / "chuyen-muc-cds.yaml"), "--now", NOW)
    assert result.exit_code == 0, result.output
    return run_cli


def test_approve_an_id_that_does_not_exist_says_no_such_publication(column: Cli) -> None:
    result = column("approve", "999999", "--now", NOW)
    assert result.exit_code == 1
    assert "no such publication: 999999" in result.output


def test_reject_an_id_that_does_not_exist_says_no_such_publication(column: Cli) -> None:
    result = column("reject", "999999", "--reason", "thử", "--now", NOW)
    assert "no such publication: 999999" in result.output


def test_approving_nothing_says_when_review_opens(column: Cli) -> None:
    result = column(
        "approve", "--campaign", "chuyen-muc-cds", "--until", "2026-12-02", "--now", NOW
    )
    assert result.exit_code == 0
    assert "approved 0" in result.output
    assert "nothing awaits approval now; next: publication" in result.output
    assert "rendered for review from" in result.output and "24 h before" in result.output


def test_an_empty_pending_approval_schedule_says_when_review_opens(
    column: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANTIN_NOW", NOW)
    result = column("schedule", "--status", "pending_approval")
    assert result.exit_code == 0
    assert "rendered for review from" in result.output


@pytest.mark.parametrize(("option", "value"), [("--agency", "XYZ"), ("--channel", "kenh-khong-co")])
def test_an_unknown_agency_or_channel_is_named_with_the_known_ones(
    column: Cli, option: str, value: str
) -> None:
    result = column("schedule", option, value)
    assert result.exit_code == 1
    assert f"unknown {option[2:]} {value} (known: " in result.output


def test_agency_codes_are_read_in_any_case(column: Cli) -> None:
    lower = column("schedule", "--agency", "baovl", "--limit", "3", "--json")
    upper = column("schedule", "--agency", "BAOVL", "--limit", "3", "--json")
    assert lower.exit_code == 0 and lower.output == upper.output
    assert "baovl-portal" in lower.output
