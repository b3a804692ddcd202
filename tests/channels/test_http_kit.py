"""The HTTP channel kit: the parameters every HTTP channel shares behave the same on each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from bantin.channels import CHANNEL_TYPES, kinds, open_channel
from bantin.channels.base import Channel, ConfigError
from bantin.channels.facebook import FacebookPageChannel
from bantin.channels.http import USER_AGENT, HTTPChannel
from bantin.channels.webhook import WebhookChannel
from bantin.channels.wordpress import WordPressChannel
from bantin.channels.zalo import ZaloOAChannel
from bantin.content.limits import CHANNEL_KINDS, LIMITS

HTTP_URLS = {
    "webhook": "webhook+https://loa.example.vn/api?secret=env:S",
    "facebook": "facebook://123456?token=env:T",
    "zalo": "zalo://123?token=env:A&refresh_token=env:R&app_id=1&app_secret=env:S",
    "wordpress": "wordpress://portal.example.vn/?user=u&app_password=env:P",
    "sms": "esms://UBND?to=0901234567&api_key=env:K&secret_key=env:S",
}


@pytest.mark.parametrize("kind", sorted(HTTP_URLS))
@pytest.mark.parametrize(
    ("extra", "error"),
    [
        (
            "&timeout=abc",
            "timeout must be a positive number of seconds, e.g. timeout=10, not 'abc'",
        ),
        ("&timeout=-1", "timeout must be a positive number"),
        ("&timeout=0", "timeout must be a positive number"),
        ("&timeout=inf", "timeout must be a positive number"),
        ("&timeout=5&timeout=6", "'timeout' is given twice"),
        ("&base=ftp://x.vn", "base must be an http\\(s\\) URL"),
        ("&base=http://x.example.vn", "base: refused plain http"),
        ("&base=https://u:p@x.example.vn", "no user name or password"),
    ],
)
def test_shared_parameters_fail_the_same_clear_way_on_every_http_channel(
    kind: str, extra: str, error: str
) -> None:
    with pytest.raises(ConfigError, match=error):
        open_channel("c", HTTP_URLS[kind] + extra)


@pytest.mark.parametrize("kind", sorted(set(HTTP_URLS) - {"webhook"}))
def test_unknown_parameters_are_refused_naming_the_known_ones(kind: str) -> None:
    with pytest.raises(ConfigError, match=r"unknown parameter\(s\) colour; a .* channel takes"):
        open_channel("c", HTTP_URLS[kind] + "&colour=red")


@pytest.mark.parametrize("kind", sorted(HTTP_URLS))
def test_timeout_and_base_are_read_by_the_kit(kind: str) -> None:
    ch = open_channel("c", HTTP_URLS[kind] + "&timeout=2.5&base=https://staging.example.vn/x/")
    assert isinstance(ch, HTTPChannel)
    assert ch.timeout == 2.5 and ch.base == "https://staging.example.vn/x"
    assert ch.session.headers["User-Agent"] == USER_AGENT


def test_webhook_base_replaces_the_receiver_address_and_keeps_its_query(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("S", "s3cret")
    httpserver.expect_request("/local", query_string="v=2").respond_with_json({"id": "x"})
    url = "webhook+https://loa.example.vn/api?secret=env:S&v=2&base=" + httpserver.url_for("/local")
    ch = open_channel("c", url, Path("."))
    assert isinstance(ch, WebhookChannel)
    assert ch.send_json({"a": 1}, "k").external_id == "x"
    assert json.loads(httpserver.log[0][0].data) == {"a": 1}


def test_wordpress_accepts_base_like_the_others() -> None:
    ch = open_channel("c", HTTP_URLS["wordpress"] + "&base=https://127.0.0.1:8443/site")
    assert isinstance(ch, WordPressChannel) and ch.base == "https://127.0.0.1:8443/site"


def test_zalo_secret_params_come_from_its_class_and_are_masked() -> None:
    assert {"refresh_token", "app_secret"} <= ZaloOAChannel.secret_params
    shown = open_channel("c", HTTP_URLS["zalo"]).url(privacy=True)
    assert "env:R" not in shown and "env:S" not in shown and "env:A" not in shown


def test_the_registry_is_discovered_from_the_package_modules() -> None:
    assert {"webhook", "facebook", "zalo", "wordpress", "outbox", "sms"} <= set(kinds())
    assert all(issubclass(cls, Channel) for cls in CHANNEL_TYPES.values())


def test_length_limits_are_read_from_the_channel_classes() -> None:
    assert LIMITS["facebook"]["post"] + 40 == FacebookPageChannel.body_maxlen
    assert LIMITS["zalo"] == dict(ZaloOAChannel.length_limits) == {"title": 150, "description": 300}
    assert set(CHANNEL_KINDS) == set(kinds())


def test_importing_the_base_loads_no_channel_module() -> None:
    import subprocess
    import sys

    code = (
        "import sys, bantin.channels.base, bantin.channels.http; "
        "print(any(m in sys.modules for m in ('bantin.channels.facebook','bantin.channels.zalo')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_channels_and_their_secret_helpers_load_no_database_code() -> None:
    import subprocess
    import sys

    code = (
        "import sys, bantin.channels as c; c.CHANNEL_TYPES.load(); "
        "import bantin.secrets.tokens, bantin.secrets.resolve; "
        "print([m for m in ('bantin.db', 'bantin.models', 'bantin.secrets.store', "
        "'bantin.secrets.dbtokens', 'sqlalchemy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
