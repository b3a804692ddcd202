"""`/healthz` tells the truth: a runner heartbeat, a queue that moves, broken channels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from bantin import health
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import Channel, Publication


@pytest.fixture(autouse=True)
def queue_is_current(db: Database, clock: FixedClock) -> None:
    """Nothing due is left waiting (the fixture's day has rows no runner took)."""
    with db.session() as s:
        s.execute(
            update(Publication)
            .where(Publication.due_at <= clock.now(), Publication.status.in_(health.WAITING))
            .values(status="missed")
        )


def test_without_a_runner_heartbeat_it_is_503(client: FlaskClient) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json["checks"]["database"] == "ok"
    assert "runner: no recent heartbeat" in resp.json["problems"]


def test_a_fresh_heartbeat_and_a_moving_queue_is_200(
    client: FlaskClient, db: Database, clock: FixedClock
) -> None:
    health.beat(db, "runner-1", clock.now() - timedelta(seconds=20))
    resp = client.get("/healthz")
    assert resp.status_code == 200, resp.json
    assert resp.json["checks"]["runner_heartbeat_age_seconds"] == 20.0


def test_an_old_heartbeat_is_503(client: FlaskClient, db: Database, clock: FixedClock) -> None:
    health.beat(db, "runner-1", clock.now() - timedelta(minutes=10))
    assert client.get("/healthz").status_code == 503


def test_a_publication_waiting_long_after_its_time_is_503(
    client: FlaskClient, db: Database, clock: FixedClock
) -> None:
    clock.advance(hours=2)  # 06:00: the 05:30 bulletins were never taken
    health.beat(db, "runner-1", clock.now())
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json["checks"]["oldest_overdue_seconds"] == 1800.0


def test_broken_channels_are_named(client: FlaskClient, db: Database, clock: FixedClock) -> None:
    health.beat(db, "runner-1", clock.now())
    with db.session() as s:
        s.execute(
            update(Channel)
            .where(Channel.name == "loa-xa")
            .values(status="broken", status_reason="token expired")
        )
    names = [c["name"] for c in client.get("/healthz").json["checks"]["broken_channels"]]
    assert names == ["loa-xa"]


def test_an_unreachable_database_is_503(tmp_path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    broken = Database(f"sqlite:///{tmp_path / 'missing' / 'none.db'}")
    state = health.check(broken, clock.now())
    assert not state.ok and state.checks["database"] == "unreachable"


def test_anonymous_health_shows_no_broken_reason(
    client: FlaskClient, db: Database, clock: FixedClock
) -> None:
    """A broken channel's reason is agency data (a page id, a vendor's message): the
    anonymous health check names the channel and its state, nothing more."""
    health.beat(db, "runner-1", clock.now())
    with db.session() as s:
        s.execute(
            update(Channel)
            .where(Channel.name == "loa-xa")
            .values(status="broken", status_reason="page 1234567890 of So TTTT: token expired")
        )
    resp = client.get("/healthz")
    assert "1234567890" not in resp.get_data(as_text=True)
    assert resp.json["checks"]["broken_channels"] == [{"name": "loa-xa", "status": "broken"}]
