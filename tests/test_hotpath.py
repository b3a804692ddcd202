"""The batched hot path (issue 11): one write transaction marks a batch `sending` before
any send, outcomes are group-committed, shared rows are read once a pass, reads never
take SQLite's write lock, and a channel in a hold is neither claimed nor woken for."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import event, select

from bantin import channels as channel_registry
from bantin.channels.base import Channel, RateLimited, Receipt
from bantin.config import Settings
from bantin.content.render import Rendered
from bantin.core.clock import FixedClock
from bantin.core.db import Database
from bantin.core.models import DeliveryAttempt, Publication
from bantin.dispatch import Dispatcher, PassStats
from bantin.groupcommit import GroupCommit
from tests.conftest import T0
from tests.helpers import add_channels, apply, write_campaign

ROWS = 10
CAMPAIGN = "\n".join(
    [
        "id: many",
        "title: Nhiều bài",
        'task: "1.1"',
        "agency: BAOVL",
        "kind: post",
        "period: {start: 2026-11-28, end: 2026-12-31}",
        "schedule:",
        *(f"  - at: 2026-11-28T09:{m:02d}" for m in range(ROWS)),
        "channels: [ch]",
        "template: t.j2",
        "",
    ]
)
FIRST = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 09:00 in Vĩnh Long
ALL_DUE = FIRST + timedelta(minutes=ROWS)


class ProbeChannel(Channel):
    """Looks at the database from outside (its own connection) at each send."""

    schemes = ("probe",)
    kind = "probe"
    dedupes = True
    db_url: ClassVar[str] = ""
    seen: ClassVar[list[tuple[str, int]]] = []
    script: ClassVar[list[Exception | None]] = []
    on_send: ClassVar[list[Any]] = []

    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        for hook in self.on_send:
            hook()
        if self.db_url:
            outside = Database(self.db_url)
            with outside.read() as s:
                pub = s.execute(
                    select(Publication).where(Publication.idempotency_key == idempotency_key)
                ).scalar_one()
                attempts = s.execute(
                    select(DeliveryAttempt).where(DeliveryAttempt.publication_id == pub.id)
                ).all()
                self.seen.append((pub.status, len(attempts)))
            outside.engine.dispose()
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome
        return Receipt(external_id=idempotency_key[:8], http_status=200)


@pytest.fixture(autouse=True)
def probe() -> Iterator[None]:
    ProbeChannel.db_url, ProbeChannel.seen, ProbeChannel.script = "", [], []
    ProbeChannel.on_send = []
    channel_registry.CHANNEL_TYPES["probe"] = ProbeChannel
    yield
    channel_registry.CHANNEL_TYPES.pop("probe", None)


def setup_rows(db: Database, home: Path, tmp_path: Path, url: str = "probe://x") -> None:
    add_channels(db, T0, [("ch", url, "BAOVL")], home)
    write_campaign(tmp_path / "c", "t.j2", "Bài {{ due_date }}\n")
    apply(db, [write_campaign(tmp_path / "c", "many.yaml", CAMPAIGN)], T0, home)


class Statements:
    """Every statement the engine runs, in order."""

    def __init__(self, db: Database) -> None:
        self.sql: list[str] = []
        event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cur: Any, statement: str, *_args: Any) -> None:
        self.sql.append(" ".join(statement.split()))

    def writes(self) -> int:
        return sum(1 for s in self.sql if s.startswith("BEGIN IMMEDIATE"))

    def moving_writes(self) -> int:
        """Write transactions that changed some publication's state."""
        found, in_write, moved = 0, False, False
        for s in [*self.sql, "BEGIN"]:
            if s.startswith("BEGIN"):
                found += in_write and moved
                in_write, moved = s.startswith("BEGIN IMMEDIATE"), False
            moved = moved or s.startswith("UPDATE publication SET status")
        return found

    def reads_of(self, table: str) -> int:
        return sum(1 for s in self.sql if s.startswith("SELECT") and f"FROM {table} " in s + " ")


@pytest.fixture
def dispatchers() -> Iterator[list[Dispatcher]]:
    made: list[Dispatcher] = []
    yield made
    for d in made:
        d.close()


def test_every_send_finds_its_row_sending_with_its_attempt_committed(
    db: Database, settings: Settings, home: Path, tmp_path: Path, dispatchers: list[Dispatcher]
) -> None:
    setup_rows(db, home, tmp_path)
    ProbeChannel.db_url = settings.db_url
    dispatchers.append(d := Dispatcher(db, settings, FixedClock(ALL_DUE), "r"))
    assert d.run_pass().published == ROWS
    assert ProbeChannel.seen == [("sending", 1)] * ROWS


def test_a_batch_is_marked_sending_in_one_write_transaction_before_any_send(
    db: Database, settings: Settings, home: Path, tmp_path: Path, dispatchers: list[Dispatcher]
) -> None:
    setup_rows(db, home, tmp_path)
    dispatchers.append(d := Dispatcher(db, settings, FixedClock(ALL_DUE), "r"))
    ids = d.claim(ALL_DUE)
    log = Statements(db)
    at_first_send: list[tuple[int, int]] = []
    one = threading.Lock()

    def first_send() -> None:
        with one:
            if at_first_send:
                return
            with db.read() as s:
                sending = s.execute(select(Publication.id).where(Publication.status == "sending"))
                at_first_send.append((log.writes(), len(sending.all())))

    ProbeChannel.on_send = [first_send]
    d.deliver_batch(ids, PassStats())
    d.wait_for_sends()
    assert at_first_send == [(1, ROWS)]  # one write: the whole batch, before any send


def test_the_outcomes_of_a_batch_are_group_committed(
    db: Database, settings: Settings, home: Path, tmp_path: Path, dispatchers: list[Dispatcher]
) -> None:
    setup_rows(db, home, tmp_path)
    dispatchers.append(d := Dispatcher(db, settings, FixedClock(ALL_DUE), "r"))
    d.commits = GroupCommit(d._write, max_wait=2.0)  # every send lands well within
    log = Statements(db)
    stats = d.run_pass()
    assert stats.published == ROWS
    # The claim, the batch's move to `sending`, and its outcomes: not one per row.
    assert log.moving_writes() == 3


def test_group_commit_writes_at_most_its_bound_per_transaction() -> None:
    groups: list[int] = []
    release = threading.Event()

    def write(group: Any) -> dict[int, str]:
        release.wait(5)  # the first group holds the committer while the rest queue up
        groups.append(len(group))
        return {}

    commits = GroupCommit(write, max_items=8, max_wait=1.0)
    from bantin.batchwrite import Sent

    for i in range(30):
        commits.put(Sent(i, 1, "ch", None))
    release.set()
    commits.close()
    assert sum(groups) == 30 and max(groups) <= 8 and len(groups) < 30


def test_a_pass_reads_the_rows_it_shares_once(
    db: Database, settings: Settings, home: Path, tmp_path: Path, dispatchers: list[Dispatcher]
) -> None:
    setup_rows(db, home, tmp_path)
    dispatchers.append(d := Dispatcher(db, settings, FixedClock(ALL_DUE), "r"))
    log = Statements(db)
    assert d.run_pass().published == ROWS
    for table in ("agency", "task", "plan", "campaign", "channel"):
        assert log.reads_of(table) <= 1, (table, [s for s in log.sql if f"FROM {table}" in s])


def test_next_wakeup_takes_no_write_lock(
    db: Database, settings: Settings, home: Path, tmp_path: Path, dispatchers: list[Dispatcher]
) -> None:
    setup_rows(db, home, tmp_path)
    dispatchers.append(d := Dispatcher(db, settings, FixedClock(T0), "r"))
    log = Statements(db)
    assert d.next_wakeup(T0) == FIRST
    assert log.writes() == 0


def one_worker(settings: Settings) -> Settings:
    return dataclasses.replace(settings, dispatch_workers=1)


def test_rows_falling_due_during_a_hold_are_not_claimed_until_it_ends(
    db: Database, settings: Settings, home: Path, tmp_path: Path, dispatchers: list[Dispatcher]
) -> None:
    """The provider says 429, wait an hour: the rows that fall due meanwhile stay put, and
    the runner sleeps until the hour is over."""
    setup_rows(db, home, tmp_path)
    ProbeChannel.script = [RateLimited("429", retry_after=3600, http_status=429)]
    clock = FixedClock(FIRST)
    dispatchers.append(d := Dispatcher(db, one_worker(settings), clock, "r"))
    assert d.run_pass().claimed == 1  # 09:00 only: told to wait an hour
    hold_end = FIRST + timedelta(seconds=3600)
    claims = 0
    for _ in range(ROWS + 20):  # every 2 s at first, then each minute as rows fall due
        clock.advance(seconds=2)
        claims += d.run_pass().claimed
        assert d.next_wakeup(clock.now()) == hold_end
    for _ in range(ROWS):
        clock.advance(minutes=1)
        claims += d.run_pass().claimed
        assert d.next_wakeup(clock.now()) == hold_end
    assert claims == 0
    clock.set(hold_end)
    stats = d.run_pass()
    assert (stats.claimed, stats.published) == (ROWS, ROWS)


def test_a_rate_limited_channel_has_each_row_claimed_once_per_turn(
    db: Database, settings: Settings, home: Path, tmp_path: Path, dispatchers: list[Dispatcher]
) -> None:
    """30 a minute is one turn each 2 s: at each turn one row is claimed and sent, not all
    the waiting rows claimed and put back."""
    setup_rows(db, home, tmp_path, "probe://x?rate=30/min")
    clock = FixedClock(ALL_DUE)
    dispatchers.append(d := Dispatcher(db, one_worker(settings), clock, "r"))
    claims = published = 0
    for _ in range(4 * ROWS):  # every half second for 20 s
        stats = d.run_pass()
        claims, published = claims + stats.claimed, published + stats.published
        wake = d.next_wakeup(clock.now())
        assert wake is None or wake > clock.now()
        clock.advance(seconds=0.5)
    assert published == ROWS
    # The first batch: one sent, nine put in line one turn apart; then one claim a turn.
    assert claims == ROWS + (ROWS - 1)


def test_a_runner_keeps_256_sends_in_flight_by_default(db: Database, settings: Settings) -> None:
    """A slow receiver (50 ms an answer) needs many sends in flight: 8 capped a burst at
    160 a second, 32 at 640, 128 at 2,560; 256 keep up with a burst made ready ahead."""
    dispatcher = Dispatcher(db, settings, FixedClock(T0), "runner-a")
    try:
        assert settings.dispatch_workers == 256
        assert dispatcher.pool._max_workers == 256
        assert dispatcher._max_in_flight == 256
    finally:
        dispatcher.close()


def test_held_outcomes_wait_for_the_release_then_are_written_together() -> None:
    written: list[list[int]] = []
    arrived = threading.Event()

    def write(group: Any) -> dict[int, str]:
        written.append([x.pub_id for x in group])
        arrived.set()
        return {x.pub_id: "published" for x in group}

    gc = GroupCommit(write, max_items=2, max_wait=0.001)
    gc.hold()
    from bantin.batchwrite import Sent

    for i in range(5):
        gc.put(Sent(i, 1, "ch", None))
    assert not arrived.wait(0.2)  # held: nothing written while the burst leaves
    gc.release()
    gc.flush()
    assert written == [[0, 1], [2, 3], [4]]  # then all, in transactions of max_items
    gc.close()
