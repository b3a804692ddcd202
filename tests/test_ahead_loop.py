"""Sends made ready ahead go out on the send loop (bantin.ahead_loop, channels.sendloop):
at their second, signed then, with every outcome recorded as a send on a thread records
it — receipts, receiver errors, a provider's 429, timeouts, a secret gone meanwhile —
and the heap frozen while the rows wait."""

from __future__ import annotations

import gc
import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bantin.channels.webhook import WebhookChannel
from bantin.config import Settings
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import DeliveryAttempt
from bantin.dispatch import Dispatcher
from tests.channels.recording_server import Answer, Recorder, recording_server
from tests.test_ahead import DUE, LATER, rows, setup_rows
from tests.test_ahead import clock as clock  # the test clock, at the lead before DUE
from tests.test_ahead import dispatcher as dispatcher  # naps move that clock
from tests.test_ahead import stamp as stamp  # registers `stamp://` channels (autouse)

SECRET = "loa-secret"


@pytest.fixture(autouse=True)
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOA_SECRET", SECRET)


@pytest.fixture
def naps(dispatcher: Dispatcher) -> list[int]:
    """gc's frozen-object count at each nap of the dispatcher."""
    counts: list[int] = []
    nap = dispatcher.sleep

    def counted(seconds: float) -> object:
        counts.append(gc.get_freeze_count())
        return nap(seconds)

    dispatcher.sleep = counted
    return counts


@pytest.fixture
def no_thread_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    """A webhook send on a dispatch thread fails the test."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("sent on a thread, not on the send loop")

    monkeypatch.setattr(WebhookChannel, "publish_prebuilt", refuse)
    monkeypatch.setattr(WebhookChannel, "publish", refuse)


def answering(status: int, body: dict[str, Any], **headers: str) -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        data = json.dumps(body).encode()
        handler.rfile.read(int(handler.headers["Content-Length"]))
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.end_headers()
        handler.wfile.write(data)

    return answer


def setup_webhooks(
    db: Database, home: Path, tmp_path: Path, server: Recorder, query: str = ""
) -> None:
    setup_rows(db, home, tmp_path, f"webhook+{server.url('/loa')}?secret=env:LOA_SECRET{query}")


def attempts(db: Database) -> list[DeliveryAttempt]:
    with db.read() as s:
        return list(s.execute(select(DeliveryAttempt).order_by(DeliveryAttempt.id)).scalars())


def test_rows_made_ready_ahead_go_out_on_the_send_loop_at_their_second(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher, clock: FixedClock,
    no_thread_sends: None,
) -> None:  # fmt: skip
    arrived: list[datetime] = []
    ok = answering(201, {"id": "ext-9"})

    def answer(handler: BaseHTTPRequestHandler) -> None:
        arrived.append(clock.now())
        ok(handler)

    with recording_server(answer=answer) as server:
        setup_webhooks(db, home, tmp_path, server)
        assert dispatcher.run_pass().published == 4
    assert arrived == [DUE, DUE, LATER, LATER]
    assert {(p.status, p.external_id) for p in rows(db)} == {("published", "ext-9")}
    assert [a.started_at for a in attempts(db)] == [DUE, DUE, LATER, LATER]


def test_a_send_on_the_loop_is_signed_at_its_second(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher, no_thread_sends: None
) -> None:
    bodies: list[bytes] = []
    ok = answering(200, {})

    def answer(handler: BaseHTTPRequestHandler) -> None:
        bodies.append(handler.rfile.read(int(handler.headers["Content-Length"])))
        handler.headers.replace_header("Content-Length", "0")
        ok(handler)

    with recording_server(answer=answer) as server:
        setup_webhooks(db, home, tmp_path, server)
        dispatcher.run_pass()
        keys = {p.idempotency_key for p in rows(db)}
        for (_, _, headers), body in zip(server.requests, bodies, strict=True):
            ts = headers["X-Bantin-Timestamp"]
            mac = hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256)
            assert headers["X-Bantin-Signature"] == "sha256=" + mac.hexdigest()
            assert abs(int(ts) - time.time()) < 60  # signed when sent, on the real clock
            assert json.loads(body)["id"] == headers["Idempotency-Key"]
    assert {h["Idempotency-Key"] for _, _, h in server.requests} == keys


def test_a_receiver_error_on_the_loop_waits_to_be_retried(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher
) -> None:
    with recording_server(answer=answering(503, {"error": "busy"})) as server:
        setup_webhooks(db, home, tmp_path, server)
        dispatcher.run_pass()
    first = [p for p in rows(db) if p.due_at == DUE]
    assert {p.status for p in first} == {"retry_wait"}
    assert {(a.outcome, a.error) for a in attempts(db)[:2]} == {("retry", "receiver error 503")}


def test_a_429_on_the_loop_holds_the_whole_channel(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher, clock: FixedClock
) -> None:
    with recording_server(answer=answering(429, {}, Retry_After="120")) as server:
        setup_webhooks(db, home, tmp_path, server)
        dispatcher.run_pass()
    assert set(dispatcher.holds.active(clock.now())) >= {"ch1", "ch2"}
    assert {p.status for p in rows(db) if p.due_at == DUE} == {"retry_wait"}


def test_a_timeout_on_the_loop_is_recorded_and_retried(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher
) -> None:
    def slow(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(1.0)

    with recording_server(answer=slow) as server:
        setup_webhooks(db, home, tmp_path, server, "&timeout=0.2")
        dispatcher.run_pass()
    assert {p.status for p in rows(db)} == {"retry_wait"}
    assert {a.error for a in attempts(db)} == {"receiver timed out after 0.2 s"}


def test_a_secret_gone_before_the_second_sends_nothing_and_says_so(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from bantin.dispatch import PassStats

    with recording_server(answer=answering(200, {})) as server:
        setup_webhooks(db, home, tmp_path, server)
        dispatcher.step_ahead(PassStats())  # made ready, bodies built
        monkeypatch.delenv("LOA_SECRET")
        dispatcher.run_pass()
        assert server.requests == []
    first = attempts(db)[:2]
    assert [a.error for a in first] == ["environment variable LOA_SECRET is not set"] * 2
    assert {p.status for p in rows(db) if p.due_at == DUE} == {"failed"}  # as on a thread


def test_the_heap_is_frozen_while_rows_wait_and_thawed_after_the_pass(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher, naps: list[int]
) -> None:
    with recording_server(answer=answering(200, {})) as server:
        setup_webhooks(db, home, tmp_path, server)
        dispatcher.run_pass()
    assert naps and all(count > 0 for count in naps)
    assert gc.get_freeze_count() == 0


def test_rows_due_now_still_go_on_threads(
    db: Database, home: Path, tmp_path: Path, settings: Settings
) -> None:
    """Without a lead (`dispatch --once`, retries) nothing is prebuilt: the lean path."""
    with recording_server(answer=answering(200, {"id": "t"})) as server:
        setup_webhooks(db, home, tmp_path, server)
        d = Dispatcher(db, settings, FixedClock(LATER + timedelta(seconds=1)), "r")
        try:
            assert d.run_pass().published == 4
        finally:
            d.close()
    assert d._sendloop is None


def test_channels_that_do_not_send_on_the_loop_never_start_it(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher
) -> None:
    setup_rows(db, home, tmp_path)  # `stamp://` channels: made ready ahead, sent on threads
    assert dispatcher.run_pass().published == 4
    assert dispatcher._sendloop is None
