"""Rows made ready ahead of their second (bantin.ahead): within the lead they are claimed,
rendered and committed `sending` with their attempt; the network call waits for the due
second; what cannot be resent safely, or needs a turn or an approval, waits for its
second as before; a campaign stopped meanwhile, or a stopping runner, gets its rows back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import select, update

from bantin import channels as channel_registry
from bantin.campaigns.service import set_status
from bantin.channels.base import Channel, Receipt
from bantin.config import Settings
from bantin.content.render import Rendered
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import AuditEvent, DeliveryAttempt, Publication
from bantin.dispatch import Dispatcher, PassStats
from tests.conftest import T0
from tests.helpers import add_channels, apply, write_campaign

DUE = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 09:00:00 in Vĩnh Long
LATER = DUE + timedelta(seconds=3)
START = DUE - timedelta(seconds=3)
LEAD = 5.0
CAMPAIGN = """\
id: sang
title: Bản tin sáng
task: "1.1"
agency: BAOVL
kind: post
period: {start: 2026-11-28, end: 2026-12-31}
schedule:
  - at: 2026-11-28T09:00:00
  - at: 2026-11-28T09:00:03
channels: [ch1, ch2]
template: t.j2
"""


class Stamp(Channel):
    """Records the test clock's time and the row's attempt number at each send."""

    schemes = ("stamp",)
    kind = "stamp"
    dedupes = True
    clock: ClassVar[FixedClock | None] = None
    sent: ClassVar[list[tuple[datetime, str]]] = []
    warmed: ClassVar[list[datetime]] = []

    def warm(self) -> bool:
        assert self.clock is not None
        self.warmed.append(self.clock.now())
        return True

    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        assert self.clock is not None
        self.sent.append((self.clock.now(), idempotency_key))
        return Receipt(external_id=idempotency_key[:8], http_status=200)


class StampNoDedupe(Stamp):
    schemes = ("stamp-nd",)
    dedupes = False


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(autouse=True)
def stamp(clock: FixedClock) -> Iterator[None]:
    Stamp.clock, Stamp.sent, Stamp.warmed = clock, [], []
    channel_registry.CHANNEL_TYPES["stamp"] = Stamp
    channel_registry.CHANNEL_TYPES["stamp-nd"] = StampNoDedupe
    yield
    channel_registry.CHANNEL_TYPES.pop("stamp", None)
    channel_registry.CHANNEL_TYPES.pop("stamp-nd", None)


@pytest.fixture
def dispatcher(db: Database, settings: Settings, clock: FixedClock) -> Iterator[Dispatcher]:
    """A dispatcher whose naps move the test clock, once the sends already handed over
    have finished (instant sends: the clock cannot pass them by)."""

    def nap(seconds: float) -> None:
        d.wait_for_sends()
        clock.advance(seconds=seconds)

    d = Dispatcher(db, settings, clock, "r", lead=LEAD, sleep=nap)
    yield d
    d.close()


def setup_rows(db: Database, home: Path, tmp_path: Path, url: str = "stamp://x") -> None:
    add_channels(db, T0, [("ch1", url, "BAOVL"), ("ch2", url, "BAOVL")], home)
    write_campaign(tmp_path / "c", "t.j2", "Bài {{ due_date }}\n")
    apply(db, [write_campaign(tmp_path / "c", "sang.yaml", CAMPAIGN)], T0, home)


def rows(db: Database) -> list[Publication]:
    with db.read() as s:
        return list(s.execute(select(Publication).order_by(Publication.id)).scalars())


def test_each_row_leaves_at_its_second_not_before(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher
) -> None:
    setup_rows(db, home, tmp_path)
    assert dispatcher.run_pass().published == 4
    assert [at for at, _ in Stamp.sent] == [DUE, DUE, LATER, LATER]


def test_rows_are_sending_with_their_attempt_before_their_second(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher
) -> None:
    setup_rows(db, home, tmp_path)
    dispatcher.step_ahead(PassStats())
    first = [p for p in rows(db) if p.due_at == DUE]
    assert [p.status for p in first] == ["sending", "sending"]
    assert Stamp.sent == []
    with db.read() as s:
        attempts = s.scalars(select(DeliveryAttempt.outcome)).all()
    assert attempts == ["sending", "sending"]


def test_an_attempt_starts_at_its_network_call_not_at_its_marking(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher
) -> None:
    setup_rows(db, home, tmp_path)
    dispatcher.run_pass()
    with db.read() as s:
        started = s.scalars(select(DeliveryAttempt.started_at).order_by(DeliveryAttempt.id))
        assert list(started) == [DUE, DUE, LATER, LATER]
        marked = s.scalars(
            select(AuditEvent.at).where(AuditEvent.action == "publication.sending")
        ).all()
    assert min(marked) == START  # the marking is on record as what it was: ahead


def test_a_channel_that_cannot_deduplicate_waits_for_its_second(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher, clock: FixedClock
) -> None:
    setup_rows(db, home, tmp_path, "stamp-nd://x")
    assert dispatcher.run_pass().claimed == 0
    assert clock.now() == START  # nothing to wait for
    assert {p.status for p in rows(db)} == {"planned"}


def test_a_rate_limited_channel_waits_for_its_second(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher
) -> None:
    setup_rows(db, home, tmp_path, "stamp://x?rate=30/min")
    assert dispatcher.run_pass().claimed == 0
    assert {p.status for p in rows(db)} == {"planned"}


def test_a_row_awaiting_approval_is_not_made_ready(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher
) -> None:
    setup_rows(db, home, tmp_path)
    with db.session() as s:
        s.execute(update(Publication).values(needs_approval=True))
    assert dispatcher.run_pass().claimed == 0


@pytest.mark.parametrize(("status", "ends"), [("paused", "retry_wait"), ("cancelled", "cancelled")])
def test_a_campaign_stopped_after_its_rows_were_made_ready_sends_none(
    db: Database,
    home: Path,
    tmp_path: Path,
    dispatcher: Dispatcher,
    clock: FixedClock,
    status: str,
    ends: str,
) -> None:
    setup_rows(db, home, tmp_path)
    dispatcher.step_ahead(PassStats())
    with db.session() as s:
        set_status(s, "sang", status, clock.now(), "editor")
    clock.set(DUE)
    dispatcher.run_pass()
    assert Stamp.sent == []
    first = [p for p in rows(db) if p.due_at == DUE]
    assert [p.status for p in first] == [ends, ends]
    with db.read() as s:
        assert set(s.scalars(select(DeliveryAttempt.outcome))) == {"not_sent"}


def test_a_stopping_runner_puts_its_ready_rows_back_for_their_second(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher
) -> None:
    setup_rows(db, home, tmp_path)
    dispatcher.step_ahead(PassStats())
    dispatcher.stop.set()
    dispatcher.run_pass()
    first = [p for p in rows(db) if p.due_at == DUE]
    assert [(p.status, p.next_attempt_at, p.claimed_by) for p in first] == [
        ("retry_wait", DUE, None)
    ] * 2
    assert Stamp.sent == []


def test_the_runner_wakes_the_lead_before_the_first_row(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher
) -> None:
    setup_rows(db, home, tmp_path)
    assert dispatcher.next_wakeup(DUE - timedelta(minutes=1)) == DUE - timedelta(seconds=LEAD)


def test_inside_the_lead_the_runner_wakes_at_the_rows_second(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher
) -> None:
    """What is left inside the lead after a pass could not be made ready: waking for it
    before its second would only spin."""
    setup_rows(db, home, tmp_path)
    assert dispatcher.next_wakeup(START) == DUE


def test_without_a_lead_nothing_is_claimed_before_its_second(
    db: Database, settings: Settings, home: Path, tmp_path: Path, clock: FixedClock
) -> None:
    setup_rows(db, home, tmp_path)
    d = Dispatcher(db, settings, clock, "r")  # an injected clock: no lead unless asked
    try:
        assert d.lead == 0.0
        assert d.run_pass().claimed == 0
    finally:
        d.close()


def test_connections_are_opened_while_rows_wait_one_a_row(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher
) -> None:
    setup_rows(db, home, tmp_path)
    dispatcher.run_pass()
    dispatcher.wait_for_sends()
    assert len(Stamp.warmed) == 2  # one for each row of 09:00:00, while they waited


@pytest.mark.parametrize(
    ("rows", "workers", "expected"),
    [
        ({"a": 3, "b": 1}, 256, {"a": 3, "b": 1}),  # a connection a row
        ({f"c{i}": 124 for i in range(16)}, 256, {f"c{i}": 16 for i in range(16)}),
        ({"a": 10, "b": 1, "c": 1}, 4, {"a": 4}),  # what rounding leaves: busiest first
        ({f"c{i}": 1 for i in range(5)}, 3, {"c0": 1, "c1": 1, "c2": 1}),
    ],
)
def test_connections_opened_ahead_never_exceed_the_workers_or_the_rows(
    rows: dict[str, int], workers: int, expected: dict[str, int]
) -> None:
    from collections import Counter

    from bantin.ahead import connections_to_open

    got = connections_to_open(Counter(rows), workers)  # type: ignore[arg-type]
    assert got == expected
    assert sum(got.values()) <= workers


def test_outcomes_held_during_a_burst_are_released_when_its_sends_are_done(
    db: Database, home: Path, tmp_path: Path, dispatcher: Dispatcher
) -> None:
    setup_rows(db, home, tmp_path)
    dispatcher.run_pass()
    assert not dispatcher.commits._holding.is_set()
    assert {p.status for p in rows(db)} == {"published"}
