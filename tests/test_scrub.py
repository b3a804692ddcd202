"""The one scrubber: known secrets in every form, and credential-looking values."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest

from bantin.core import scrub as scrubbing
from bantin.core.scrub import MASK, Scrubber, ScrubFilter, scrub_data

SECRET = "Wp7q Xk2m Zz9r Tt4u Ab3c De5f"  # a WordPress application password, spaces and all
USER = "bantin-editor"


@pytest.fixture
def s() -> Iterator[Scrubber]:
    scrubber = Scrubber()
    scrubber.register(SECRET)
    yield scrubber


def test_plain_value_is_masked(s: Scrubber) -> None:
    assert SECRET not in s.scrub(f"refused: {SECRET}.")
    assert MASK in s.scrub(f"refused: {SECRET}.")


@pytest.mark.parametrize("encode", [quote, quote_plus, lambda v: quote(v, safe="")])
def test_url_encoded_value_is_masked(s: Scrubber, encode: object) -> None:
    encoded = encode(SECRET)  # type: ignore[operator]
    assert encoded not in s.scrub(f"GET /x?app_pw={encoded}&y=1")


@pytest.mark.parametrize("prefix", ["", "a", "ab", "abc", f"{USER}:", "x:"])
def test_base64_of_any_text_containing_the_value_is_masked(s: Scrubber, prefix: str) -> None:
    """WordPress's Basic header is base64("user:password"): the secret sits at any offset."""
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        encoded = encode(f"{prefix}{SECRET}!".encode()).decode()
        out = s.scrub(f"echo: {encoded} end")
        assert encoded not in out
        assert out.endswith(" end") and out.startswith("echo: ")


def test_authorization_header_values_are_masked_without_knowing_them() -> None:
    s = Scrubber()
    text = (
        "400 Bad Request; headers {'Authorization': 'Basic dXNlcjpzZWNyZXQtcGFzcw==', "
        "'Host': 'x'}; Authorization: Bearer abc.def-ghi; sent Bearer zzz999yyy"
    )
    out = s.scrub(text)
    for value in ("dXNlcjpzZWNyZXQtcGFzcw", "abc.def-ghi", "zzz999yyy"):
        assert value not in out
    assert "'Host': 'x'" in out


@pytest.mark.parametrize(
    "text, value",
    [
        ("https://graph.x/me?access_token=EAAB12345&fields=id", "EAAB12345"),
        ('{"error": {"access_token": "EAAB98765"}}', "EAAB98765"),
        ("app_password=abcd efgh", "abcd"),
        ("client_secret: s3cr3t-v4lue", "s3cr3t-v4lue"),
        ("api-key=KEY-0001", "KEY-0001"),
    ],
)
def test_credential_named_parameters_are_masked(text: str, value: str) -> None:
    assert value not in Scrubber().scrub(text)


def test_secret_references_stay_readable() -> None:
    """`token=env:FB_TOKEN` names a secret, it is not one: operators need to see it."""
    assert Scrubber().scrub("facebook://1?token=env:FB_TOKEN") == "facebook://1?token=env:FB_TOKEN"


def test_ordinary_vietnamese_text_is_unchanged(s: Scrubber) -> None:
    text = "Bản tin chuyển đổi số ngày 3 tháng 12 năm 2026: 70% người dân dùng DVCTT."
    assert s.scrub(text) == text


def test_short_values_are_not_registered() -> None:
    s = Scrubber()
    s.register("ab", None, "")
    assert s.scrub("ab cd") == "ab cd"


def test_extra_values_are_masked_for_one_call_only() -> None:
    s = Scrubber()
    assert "one-off-secret" not in s.scrub("x one-off-secret y", "one-off-secret")
    assert "one-off-secret" in s.scrub("x one-off-secret y")


def test_scrub_data_reaches_nested_strings() -> None:
    scrubbing.register("NESTED-CANARY-42")
    try:
        data = {"reason": "echo NESTED-CANARY-42", "list": ["a", {"b": "NESTED-CANARY-42"}], "n": 3}
        assert "NESTED-CANARY-42" not in json.dumps(scrub_data(data))
        assert scrub_data(data)["n"] == 3
    finally:
        scrubbing.scrubber.forget_all()


def test_log_filter_scrubs_message_arguments_and_traceback() -> None:
    scrubbing.register("LOG-CANARY-77")
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "got %s", ("LOG-CANARY-77",), None)
    try:
        raise ValueError("LOG-CANARY-77 in the exception")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    try:
        assert ScrubFilter().filter(record)
        text = logging.Formatter().format(record)
        assert "LOG-CANARY-77" not in text
        assert "ValueError" in text
    finally:
        scrubbing.scrubber.forget_all()
