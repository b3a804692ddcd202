"""`channel add` and `agency notify` refuse what the outbound policy refuses, in a sentence."""

from __future__ import annotations

import pytest

from tests.conftest import Cli


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("facebook://123?token=env:FB&base=http://169.254.169.254", "cloud metadata"),
        ("facebook://123?token=env:FB&base=http://graph.example.vn", "needs https"),
        (
            "zalo://1?token=env:T&refresh_token=env:R&app_id=2&app_secret=env:S"
            "&base=http://openapi.example.vn",
            "needs https",
        ),
        ("webhook+http://10.0.0.7/hook?secret=env:S", "private address"),
        ("webhook+https://h.vn/x?secret=env:S&api_key=RAWKEY", "'api_key' must be a secret"),
    ],
)
def test_channel_add_refuses_with_a_sentence(run_cli: Cli, url: str, says: str) -> None:
    result = run_cli("channel", "add", "c", url, "--agency", "BAOVL")
    assert result.exit_code != 0
    assert says in result.output and "Traceback" not in result.output
    assert "RAWKEY" not in result.output


def test_agency_notify_refuses_a_password_over_plain_smtp(run_cli: Cli) -> None:
    url = "mailto:a@x.vn?smtp=mail.x.vn:25&user=u&password=secret:SMTP"
    result = run_cli("agency", "notify", "BAOVL", url)
    assert result.exit_code != 0
    assert "a password needs an encrypted connection: add starttls=1" in result.output
