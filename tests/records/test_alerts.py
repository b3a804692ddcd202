"""Alerts: raised by dispatch when something stops, delivered by webhook or e-mail, retried."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from cryptography.fernet import Fernet
from pytest_httpserver import HTTPServer
from sqlalchemy import select, text
from werkzeug import Request, Response

from bantin import channels as channel_registry
from bantin.channels.base import (
    AuthError,
    Channel,
    ConfigError,
    PermanentError,
    Receipt,
    RetryableError,
)
from bantin.channels.webhook import signature
from bantin.config import Settings
from bantin.content.render import Rendered
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import Alert, AuditEvent
from bantin.core.models import Channel as ChannelRow
from bantin.dispatch import Dispatcher
from bantin.records import alerts
from bantin.scheduler import Runner
from bantin.secrets import store as secretstore
from tests.conftest import T0
from tests.helpers import add_channels, apply, write_campaign
from tests.smtp_server import SMTPServer

HOOK_SECRET = "hook-secret-for-alerts-Qw7"
SMTP_PASSWORD = "smtp-pass-Lp3-mat-khau"


class FailingChannel(Channel):
    schemes = ("failing",)
    kind = "failing"
    script: ClassVar[list[Exception | None]] = []

    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome
        return Receipt(external_id="ok")


@pytest.fixture(autouse=True)
def failing() -> Iterator[None]:
    FailingChannel.script = []
    channel_registry.CHANNEL_TYPES["failing"] = FailingChannel
    yield
    channel_registry.CHANNEL_TYPES.pop("failing", None)


@pytest.fixture(autouse=True)
def keys(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(secretstore.KEY_ENV, Fernet.generate_key().decode())
    monkeypatch.setenv("ALERT_HOOK_SECRET", HOOK_SECRET)


CAMPAIGN = """
id: c
title: Bài
task: "1.1"
agency: BAOVL
kind: post
period: {start: 2026-11-28, end: 2026-12-31}
schedule:
  - at: 2026-11-28T09:00
channels: [ch]
template: t.j2
"""
DUE = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def one_due(db: Database, home: Path, tmp_path: Path) -> None:
    add_channels(db, T0, [("ch", "failing://x", "BAOVL")], home)
    write_campaign(tmp_path / "c", "t.j2", "Bài {{ due_date }}\n")
    apply(db, [write_campaign(tmp_path / "c", "c.yaml", CAMPAIGN)], T0, home)


def dispatch(db: Database, settings: Settings, at: datetime = DUE) -> None:
    d = Dispatcher(db, settings, FixedClock(at), "r")
    try:
        d.run_pass()
    finally:
        d.close()


def all_alerts(db: Database) -> list[Alert]:
    with db.session() as s:
        return list(s.execute(select(Alert).order_by(Alert.id)).scalars())


def raise_some(db: Database, agency: str = "BAOVL", n: int = 1) -> list[int]:
    with db.session() as s:
        return [
            alerts.raise_alert(s, T0, agency, "publication_failed", f"failed #{i}").id
            for i in range(n)
        ]


def set_notify(db: Database, agency: str, url: str) -> None:
    with db.session() as s:
        alerts.set_notify_url(s, agency, url, T0, "test")


# -- raising ---------------------------------------------------------------------------


def test_an_alert_is_a_row_and_an_audit_event(db: Database) -> None:
    with db.session() as s:
        alert = alerts.raise_alert(s, T0, "BAOVL", "channel_broken", "token expired", None, None)
        event = s.execute(
            select(AuditEvent).where(AuditEvent.action == "alert.raised")
        ).scalar_one()
    assert (alert.agency_code, alert.kind, alert.notified_at) == ("BAOVL", "channel_broken", None)
    assert event.entity_id == str(alert.id)
    assert event.data == {"agency": "BAOVL", "kind": "channel_broken", "message": "token expired"}


def test_a_broken_channel_raises_one_alert_in_the_same_transaction(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    one_due(db, home, tmp_path)
    FailingChannel.script = [AuthError("token revoked", http_status=401)]
    dispatch(db, settings)
    [alert] = all_alerts(db)
    assert (alert.kind, alert.channel_name, alert.agency_code) == ("channel_broken", "ch", "BAOVL")
    assert "token revoked" in alert.message and "--replace" in alert.message
    assert alert.publication_id is not None and alert.at == DUE
    with db.session() as s:
        assert s.get_one(ChannelRow, "ch").status == "broken"


def test_a_permanent_failure_raises_an_alert_for_the_publications_agency(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    one_due(db, home, tmp_path)
    FailingChannel.script = [PermanentError("rejected: too long", http_status=400)]
    dispatch(db, settings)
    [alert] = all_alerts(db)
    assert (alert.kind, alert.agency_code) == ("publication_failed", "BAOVL")
    assert "rejected: too long" in alert.message


def test_a_retry_raises_nothing_but_giving_up_does(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    one_due(db, home, tmp_path)
    few = dataclasses.replace(settings, max_attempts=2)
    FailingChannel.script = [RetryableError("503"), RetryableError("503")]
    dispatch(db, few)
    assert all_alerts(db) == []
    dispatch(db, few, DUE + timedelta(hours=2))
    [alert] = all_alerts(db)
    assert "gave up after 2 attempts" in alert.message


def test_channel_list_shows_a_broken_channel_with_its_reason(
    db: Database, settings: Settings, home: Path, tmp_path: Path
) -> None:
    from bantin.channels.service import list_channels

    one_due(db, home, tmp_path)
    FailingChannel.script = [AuthError("token revoked", http_status=401)]
    dispatch(db, settings)
    with db.session() as s:
        [row] = list_channels(s, home)
    assert (row["status"], row["reason"]) == ("broken", "token revoked")


# -- notify URLs -------------------------------------------------------------------------


def test_mailto_urls_are_read_whole() -> None:
    target = alerts.parse_mailto(
        "mailto:a@x.vn,b@x.vn?smtp=mail.x.vn:587&from=bantin@x.vn&user=u"
        "&password=secret:SMTP&starttls=1&timeout=3"
    )
    assert target == alerts.MailTarget(
        ["a@x.vn", "b@x.vn"], "mail.x.vn", 587, "bantin@x.vn", "u", "secret:SMTP", True, 3.0
    )


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("mailto:a@x.vn?user=u&password=hunter2", "must be a secret reference"),
        ("mailto:a@x.vn?user=u", "user and password together"),
        ("mailto:?smtp=h:25", "at least one address"),
        ("mailto:a@x.vn?smtp=h", "HOST:PORT"),
        ("mailto:a@x.vn?cc=b@x.vn", "unknown parameter"),
        ("webhook+https://o.vn/a?secret=hunter2", "must be a secret reference"),
        ("https://o.vn/a", "a notify URL is"),
        (
            "mailto:a@x.vn?smtp=mail.x.vn:25&user=u&password=secret:SMTP",
            "a password needs an encrypted connection: add starttls=1",
        ),
        (
            "mailto:a@x.vn?smtp=127.0.0.1:25&user=u&password=secret:SMTP&starttls=1&smtps=1",
            "starttls or smtps, not both",
        ),
        ("mailto:a@x.vn?smtp=h:25&from=a@x.vn&from=b@x.vn", "given twice"),
        ("mailto:a@x.vn?smtp=h:25&smtp_password=hunter2", "must be a secret reference"),
    ],
)
def test_bad_notify_urls_are_refused(db: Database, url: str, error: str) -> None:
    with pytest.raises(ConfigError, match=error) as info:
        set_notify(db, "BAOVL", url)
    assert "hunter2" not in str(info.value)


def test_setting_a_notify_url_is_audited_masked(db: Database) -> None:
    set_notify(db, "BAOVL", "mailto:a@x.vn?smtp=h:587&user=u&password=secret:SMTP&starttls=1")
    with db.session() as s:
        event = s.execute(
            select(AuditEvent).where(AuditEvent.action == "agency.notify_set")
        ).scalar_one()
    assert event.data == {"url": "mailto:a@x.vn?smtp=h:587&user=u&password=***&starttls=1"}


def test_an_unknown_agency_is_refused(db: Database) -> None:
    with pytest.raises(ConfigError, match="unknown agency"):
        set_notify(db, "NOPE", "mailto:a@x.vn")


# -- delivering -----------------------------------------------------------------------


def hook_url(server: HTTPServer) -> str:
    return "webhook+" + server.url_for("/alerts") + "?secret=env:ALERT_HOOK_SECRET"


def test_webhook_delivery_posts_each_alert_signed(db: Database, httpserver: HTTPServer) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return Response("{}", 200, content_type="application/json")

    httpserver.expect_request("/alerts", method="POST").respond_with_handler(handler)
    set_notify(db, "BAOVL", hook_url(httpserver))
    ids = raise_some(db, n=2)
    with db.session() as s:
        stats = alerts.notify_pending(s, T0)
    assert (stats.sent, stats.failed) == (2, 0)
    docs = [json.loads(r.get_data()) for r in seen]
    assert [d["id"] for d in docs] == ids
    assert docs[0]["kind"] == "publication_failed" and docs[0]["agency"] == "BAOVL"
    assert seen[0].headers["Idempotency-Key"] == f"alert-{ids[0]}"
    ts = seen[0].headers["X-Bantin-Timestamp"]
    assert seen[0].headers["X-Bantin-Signature"] == signature(HOOK_SECRET, ts, seen[0].get_data())
    assert all(a.notified_at == T0 and a.notify_error is None for a in all_alerts(db))


def test_a_failed_delivery_is_recorded_and_retried_next_round(
    db: Database, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request("/alerts").respond_with_data("down", status=500)
    httpserver.expect_ordered_request("/alerts").respond_with_data("{}", status=200)
    set_notify(db, "BAOVL", hook_url(httpserver))
    raise_some(db)
    with db.session() as s:
        assert alerts.notify_pending(s, T0).failed == 1
    [alert] = all_alerts(db)
    assert alert.notified_at is None and alert.notify_error == "receiver error 500"
    with db.session() as s:
        assert alerts.notify_pending(s, T0 + timedelta(minutes=1)).sent == 1
    [alert] = all_alerts(db)
    assert alert.notified_at == T0 + timedelta(minutes=1) and alert.notify_error is None


def test_without_an_address_alerts_wait_and_say_why(db: Database) -> None:
    raise_some(db)
    with db.session() as s:
        alerts.notify_pending(s, T0)
    [alert] = all_alerts(db)
    assert alert.notified_at is None and "bantin agency notify" in (alert.notify_error or "")


def test_a_former_agency_alerts_its_successor(db: Database, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/alerts").respond_with_data("{}")
    set_notify(db, "SKHCN", hook_url(httpserver))
    raise_some(db, agency="STTTT")
    with db.session() as s:
        assert alerts.notify_pending(s, T0).sent == 1


def test_resolved_alerts_are_not_sent(db: Database) -> None:
    [alert_id] = raise_some(db)
    with db.session() as s:
        alerts.resolve_alert(s, alert_id, T0, "test")
        assert alerts.collect(s) == []


def test_mail_goes_once_per_agency_listing_every_alert(db: Database) -> None:
    with db.session() as s:
        secretstore.set_secret(s, "SMTP", SMTP_PASSWORD, T0, actor="test")
    with SMTPServer(user="bantin", password=SMTP_PASSWORD) as smtp:
        set_notify(
            db,
            "BAOVL",
            f"mailto:truc@baovl.vn?smtp=127.0.0.1:{smtp.port}&from=bantin@skhcn.vn"
            "&user=bantin&password=secret:SMTP",
        )
        raise_some(db, n=3)
        with db.session() as s:
            stats = alerts.notify_pending(s, T0)
    assert stats.sent == 3
    [msg] = smtp.box.messages
    assert smtp.box.logins == ["bantin"]
    assert smtp.box.envelopes == [("bantin@skhcn.vn", ["truc@baovl.vn"])]
    assert msg["Subject"] == "[bantin] 3 cảnh báo cho BAOVL"
    body = msg.get_content()
    assert all(f"failed #{i}" in body for i in range(3))


def test_a_refused_login_is_recorded_without_the_password(db: Database) -> None:
    with db.session() as s:
        secretstore.set_secret(s, "SMTP", SMTP_PASSWORD, T0, actor="test")
    with SMTPServer(user="bantin", password="other", echo=True) as smtp:
        url = f"mailto:a@baovl.vn?smtp=127.0.0.1:{smtp.port}&user=bantin&password=secret:SMTP"
        set_notify(db, "BAOVL", url)
        raise_some(db)
        with db.session() as s:
            alerts.notify_pending(s, T0)
    [alert] = all_alerts(db)
    assert alert.notified_at is None
    assert "535" in (alert.notify_error or "") and SMTP_PASSWORD not in (alert.notify_error or "")


def test_an_unreachable_mail_server_is_recorded(db: Database) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    set_notify(db, "BAOVL", f"mailto:a@baovl.vn?smtp=127.0.0.1:{port}&timeout=2")
    raise_some(db)
    with db.session() as s:
        alerts.notify_pending(s, T0)
    [alert] = all_alerts(db)
    assert f"mail to 127.0.0.1:{port} failed" in (alert.notify_error or "")


def test_the_runner_sends_without_holding_the_database(
    db: Database, settings: Settings, httpserver: HTTPServer
) -> None:
    wrote = threading.Event()

    def handler(_: Request) -> Response:
        # A writer must get in while the notification is on the wire (SQLite: one writer).
        with db.session() as s:
            s.execute(text("UPDATE audit_head SET seq = seq"))
        wrote.set()
        return Response("{}", 200)

    httpserver.expect_request("/alerts").respond_with_handler(handler)
    set_notify(db, "BAOVL", hook_url(httpserver))
    raise_some(db)
    Runner(db, settings, FixedClock(T0)).notify_alerts()
    assert wrote.is_set()
    assert all_alerts(db)[0].notified_at == T0


def test_the_runner_notifies_every_minute(db: Database, settings: Settings) -> None:
    runner = Runner(db, settings, FixedClock(T0))
    runner.start()
    try:
        job = runner.scheduler.get_job("notify-alerts")
        assert job is not None and job.trigger.interval == timedelta(seconds=60)
        assert job.func.__wrapped__ == runner.notify_alerts  # under its singleton duty
    finally:
        runner.shutdown()


def test_a_non_ascii_smtp_password_is_a_clear_error(db: Database) -> None:
    with db.session() as s:
        secretstore.set_secret(s, "SMTP", "mật-khẩu-dài", T0, actor="test")
    with SMTPServer(user="bantin", password="x") as smtp:
        url = f"mailto:a@baovl.vn?smtp=127.0.0.1:{smtp.port}&user=bantin&password=secret:SMTP"
        set_notify(db, "BAOVL", url)
        raise_some(db)
        with db.session() as s:
            alerts.notify_pending(s, T0)
    [alert] = all_alerts(db)
    assert "not plain ASCII" in (alert.notify_error or "")
    assert "mật" not in (alert.notify_error or "")


def test_mail_with_a_password_over_plain_smtp_goes_only_to_allowed_loopback(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "mailto:a@x.vn?smtp=127.0.0.1:25&user=u&password=secret:SMTP"
    set_notify(db, "BAOVL", url)  # a test server: loopback, allowed by the test settings
    monkeypatch.setenv("BANTIN_OUTBOUND_ALLOW", "")
    with pytest.raises(ConfigError, match="encrypted connection"):
        set_notify(db, "BAOVL", url)


def test_smtps_is_read() -> None:
    target = alerts.parse_mailto("mailto:a@x.vn?smtp=mail.x.vn:465&user=u&password=env:P&smtps=1")
    assert target.smtps and not target.starttls


def test_an_internal_mail_server_is_refused_before_connecting(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.setblocking(False)
        port = sock.getsockname()[1]
        set_notify(db, "BAOVL", f"mailto:a@baovl.vn?smtp=127.0.0.1:{port}&timeout=2")
        raise_some(db)
        monkeypatch.setenv("BANTIN_OUTBOUND_ALLOW", "")
        with db.session() as s:
            alerts.notify_pending(s, T0)
        with pytest.raises(BlockingIOError):
            sock.accept()  # nobody connected
    [alert] = all_alerts(db)
    assert "loopback address" in (alert.notify_error or "")
    assert "BANTIN_OUTBOUND_ALLOW" in (alert.notify_error or "")


def test_an_internal_alert_webhook_is_refused_before_connecting(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.channels.recording_server import recording_server

    with recording_server() as hook:
        set_notify(db, "BAOVL", f"webhook+{hook.url('/alerts')}?secret=env:OPS")
        raise_some(db)
        monkeypatch.setenv("OPS", "ops-signing-secret")
        monkeypatch.setenv("BANTIN_OUTBOUND_ALLOW", "")
        with db.session() as s:
            alerts.notify_pending(s, T0)
        assert hook.requests == []
    [alert] = all_alerts(db)
    assert "loopback address" in (alert.notify_error or "")
