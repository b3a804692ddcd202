"""The mail channel (used by alerts) against a local SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bantin.channels import CHANNEL_TYPES
from bantin.channels.base import ConfigError, RetryableError
from bantin.channels.mail import MailChannel
from bantin.content.render import Rendered
from tests.smtp_server import SMTPServer

R = Rendered(
    kind="post",
    title="Thông báo",
    body="Nội dung",
    campaign_id="c",
    channel="m",
    due_at=datetime(2026, 11, 30, 1, 0, tzinfo=UTC),
    priority="normal",
    agency_code="BAOVL",
    task_code="1.1",
)


def test_publish_sends_the_title_as_subject(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PW", "pw-thu")
    with SMTPServer(user="u", password="pw-thu") as smtp:
        url = f"mailto:a@x.vn,b@x.vn?smtp=127.0.0.1:{smtp.port}&user=u&password=env:SMTP_PW"
        MailChannel("m", url).publish(R, "k")
    [msg] = smtp.box.messages
    assert msg["Subject"] == "Thông báo" and "dung" in msg.get_content()
    assert smtp.box.envelopes[0][1] == ["a@x.vn", "b@x.vn"]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("smtp=h:25&timeout=abc", "timeout must be a positive number"),
        ("smtp=h:25&timeout=-1", "timeout must be a positive number"),
        ("smtp=h:25&bcc=x", "unknown parameter"),
    ],
)
def test_bad_urls(query: str, error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        MailChannel("m", f"mailto:a@x.vn?{query}")


def test_a_closed_port_is_retryable() -> None:
    with SMTPServer() as smtp:
        port = smtp.port
    with pytest.raises(RetryableError, match=f"mail to 127.0.0.1:{port} failed"):
        MailChannel("m", f"mailto:a@x.vn?smtp=127.0.0.1:{port}&timeout=2").send_text("s", "t")


def test_mail_is_not_a_campaign_channel_kind_yet() -> None:
    assert "mailto" not in CHANNEL_TYPES
