"""A channel URL names secrets, never holds them: every way of slipping one in is refused."""

from __future__ import annotations

import pytest

from bantin.channels import open_channel
from bantin.channels.base import ConfigError, is_sensitive, mask_url
from bantin.records.alerts import check_notify_url

HOOK = "webhook+https://radio.example.vn/api/bulletins"


@pytest.mark.parametrize(
    ("url", "error"),
    [
        (f"{HOOK}?secret=env:S&token=RAW&token=env:X", "parameter 'token' is given twice"),
        (f"{HOOK}?secret=env:S&secret=RAW", "parameter 'secret' is given twice"),
        (f"{HOOK}?secret=env:S&mode=a&mode=b", "parameter 'mode' is given twice"),
        (f"{HOOK}?secret=env:S&Token=env:X&token=RAW", "given twice"),
        (f"{HOOK}?secret=env:S&api_key=RAW1234", "'api_key' must be a secret reference"),
        (f"{HOOK}?secret=env:S&Token=RAW1234", "'Token' must be a secret reference"),
        (f"{HOOK}?secret=env:S&access-token=RAW1", "'access-token' must be a secret reference"),
        (f"{HOOK}?secret=env:S&apikey=RAW1234", "'apikey' must be a secret reference"),
        (f"{HOOK}?secret=env:S&client_secret=R", "'client_secret' must be a secret reference"),
        (f"{HOOK}?secret=env:S&X-Password=RAW", "'X-Password' must be a secret reference"),
        (f"{HOOK}?secret=RAWSECRET", "'secret' must be a secret reference"),
        (
            "webhook+https://TOKEN123@radio.example.vn/api?secret=env:S",
            "no user name or password in the URL",
        ),
        (
            "webhook+https://u:pw@radio.example.vn/api?secret=env:S",
            "no password in the URL",
        ),
        (
            "webhook+https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
            "/sendMessage?secret=env:S",
            "looks like a token",
        ),
        (
            "webhook+https://hooks.example.vn/services/T0AB12CD3/B0XY98ZW7/"
            "q8Zr3LmN5pVt2KxW9sJd4Hf7?secret=env:S",
            "looks like a token",
        ),
        (
            "facebook://123?token=env:T&base=https://u:pw@graph.example.vn",
            "no user name or password",
        ),
    ],
)
def test_inline_secrets_are_refused(url: str, error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        open_channel("c", url)


@pytest.mark.parametrize(
    "url",
    [
        f"{HOOK}?secret=env:RADIO_SECRET",
        "webhook+https://radio.example.vn/api/v2/bulletins-2026/xa-tan-hoa?secret=secret:r",
        "webhook+https://radio.example.vn/hooks/3f2a9c1e-8b7d-4e6f-a5c4-1234567890ab?secret=env:S",
    ],
)
def test_ordinary_urls_are_accepted(url: str) -> None:
    open_channel("c", url)


@pytest.mark.parametrize(
    "name", ["token", "Token", "api_key", "API-KEY", "access-token", "client_secret", "passwd"]
)
def test_sensitive_names_are_recognised_by_their_parts(name: str) -> None:
    assert is_sensitive(name)


@pytest.mark.parametrize("name", ["user", "status", "category", "author", "timeout", "app_id"])
def test_ordinary_names_are_not_sensitive(name: str) -> None:
    assert not is_sensitive(name)


def test_listing_masks_every_sensitive_parameter_whatever_its_spelling() -> None:
    shown = open_channel("c", f"{HOOK}?secret=env:S&Api-Key=env:K").url(privacy=True)
    assert "env:S" not in shown and "env:K" not in shown


def test_mask_url_hides_userinfo_and_sensitive_values() -> None:
    shown = mask_url("https://reader:pa55word@news.example.vn/rss?apikey=abc123&x=1")
    assert "pa55word" not in shown and "reader" not in shown and "abc123" not in shown
    assert shown == "https://***@news.example.vn/rss?apikey=***&x=1"


def test_a_notify_mailto_refuses_a_duplicated_password() -> None:
    url = "mailto:ops@x.vn?smtp=mail.x.vn:465&user=u&password=RAW&password=env:P&smtps=1"
    with pytest.raises(ConfigError, match="given twice"):
        check_notify_url(url)
