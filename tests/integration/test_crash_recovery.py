"""SIGKILL `bantin run` while it sends to a slow HTTP server, restart it, and show that no
publication is lost and none is delivered twice (the receiver deduplicates by
Idempotency-Key, as docs/webhook.md requires)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from bantin.core.db import Database
from bantin.core.models import DeliveryAttempt, Publication
from tests.conftest import Cli
from tests.helpers import write_campaign

pytestmark = pytest.mark.slow


class SlowReceiver(ThreadingHTTPServer):
    """Takes `delay` seconds per request; accepts each Idempotency-Key once."""

    daemon_threads = True

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.requests: list[str] = []
        self.accepted: dict[str, int] = {}
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: SlowReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        key = self.headers["Idempotency-Key"]
        json.loads(body)
        with self.server.lock:
            self.server.requests.append(key)
            self.server.accepted[key] = self.server.accepted.get(key, 0) + (
                0 if key in self.server.accepted else 1
            )
        time.sleep(self.server.delay)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"id": key[:8]}).encode())
        except (BrokenPipeError, ConnectionResetError):
            pass  # the sender died mid-request

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[SlowReceiver]:
    server = SlowReceiver(delay=1.5)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield server
    server.shutdown()
    server.server_close()


def bantin_run(home: Path, seconds: float) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BANTIN_HOME": str(home),
        "BANTIN_LEASE_SECONDS": "3",
        "BANTIN_DISPATCH_WORKERS": "1",
        "BANTIN_SAFETY_INTERVAL_SECONDS": "1",
        "LOA_SECRET": "bi-mat",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bantin", "run", "--for", str(seconds)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def test_sigkill_mid_send_loses_nothing_and_duplicates_nothing(
    home: Path,
    db: Database,
    run_cli: Cli,
    receiver: SlowReceiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOA_SECRET", "bi-mat")
    url = f"webhook+http://127.0.0.1:{receiver.server_address[1]}/b?secret=env:LOA_SECRET"
    assert run_cli("channel", "add", "loa-vendor", url, "--agency", "COMMUNES").exit_code == 0
    due = (datetime.now(UTC) + timedelta(seconds=2)).astimezone()
    path = write_campaign(
        tmp_path / "c",
        "khan.yaml",
        f"""
        id: khan
        title: Thông báo khẩn
        task: "1.3"
        agency: COMMUNES
        kind: radio_script
        period: {{start: {due.date()}, end: {due.date() + timedelta(days=1)}}}
        schedule:
          - at: {due.isoformat(timespec="seconds")}
        targets: group:thi-diem
        channels: [loa-vendor]
        template: radio/ban-tin-demo.txt.j2
        priority: emergency
    """,
    )
    assert run_cli("campaign", "apply", str(path)).exit_code == 0, "apply failed"
    with db.session() as s:
        keys = set(s.execute(select(Publication.idempotency_key)).scalars())
    assert len(keys) == 5

    first = bantin_run(home, 60)
    wait_for(lambda: len(receiver.requests) >= 2, timeout=30)  # one done, one in flight
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    with db.session() as s:
        states = list(s.execute(select(Publication.status)).scalars())
    assert "sending" in states, states  # the kill really interrupted a send
    # A batch is marked `sending` in one transaction before its sends: every row of it
    # not yet answered is in doubt after the kill, and each is reconciled on its own.
    in_doubt = states.count("sending")

    second = bantin_run(home, 60)
    try:
        wait_for(lambda: set(receiver.accepted) == keys and _all_published(db), timeout=45)
    finally:
        second.send_signal(signal.SIGTERM)
        _, err = second.communicate(timeout=30)
    assert second.returncode == 0, err.decode()
    assert b"stopped" in err

    assert set(receiver.accepted) == keys
    assert all(n == 1 for n in receiver.accepted.values())  # delivered once each
    # Every request in flight at the kill was re-sent with its key (the receiver kept the
    # first); with many workers more than one may have been in flight, never more than the
    # rows in doubt.
    resent = len(receiver.requests) - len(keys)
    assert 1 <= resent <= in_doubt
    with db.session() as s:
        outcomes = list(s.execute(select(DeliveryAttempt.outcome)).scalars())
    assert outcomes.count("interrupted") == in_doubt
    assert outcomes.count("published") == 5


def _all_published(db: Database) -> bool:
    with db.session() as s:
        return set(s.execute(select(Publication.status)).scalars()) == {"published"}
