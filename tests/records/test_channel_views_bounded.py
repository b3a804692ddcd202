"""The channels page's last success / last failure per channel read a few index entries,
not every sent row of the other channels (issue 10: a channel that never sent anything
walked all 500,000 published rows, 120 ms each, at a million publications)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from bantin.core.db import Database
from bantin.core.models import Publication
from bantin.records.channel_views import channel_rows
from tests.conftest import EXAMPLES, T0
from tests.helpers import OUTBOX_CHANNELS, add_channels, apply
from tests.records.report_data import TZ

SILENT = ("kenh-moi", "outbox://outbox/kenh-moi", "SKHCN")


@pytest.fixture
def sent(db: Database, home: Path) -> Database:
    """A week of the examples, every row sent (one in 13 failed), and a silent channel."""
    add_channels(db, T0, [*OUTBOX_CHANNELS, SILENT], home)
    apply(db, sorted(EXAMPLES.glob("*.yaml")), T0, home, days=7)
    with db.session() as s:
        s.execute(update(Publication).values(status="published", published_at=Publication.due_at))
        s.execute(update(Publication).where(Publication.id % 13 == 0).values(status="failed"))
    return db


@contextmanager
def vm_steps(s: Session) -> Iterator[list[int]]:
    """Count SQLite virtual-machine steps run on the session's connection (a scan shows)."""
    raw = s.connection().connection.dbapi_connection
    assert raw is not None
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    raw.set_progress_handler(tick, 1)  # type: ignore[attr-defined]
    try:
        yield steps
    finally:
        raw.set_progress_handler(None, 1)  # type: ignore[attr-defined]


def test_a_channel_that_never_sent_costs_a_few_index_steps(sent: Database) -> None:
    with sent.session() as s:
        rows = s.query(Publication).count()
        with vm_steps(s) as steps:
            (row,) = channel_rows(s, TZ, agency="SKHCN")
    assert rows > 1000
    assert row["last_success"] is None and row["last_failure"] is None
    assert steps[0] < 500, f"{steps[0]} steps for a channel without rows: a scan"


def test_last_success_and_failure_are_the_newest_of_their_channel(sent: Database) -> None:
    with sent.session() as s:
        newest = {
            status: max(
                p.due_at
                for p in s.query(Publication).filter_by(channel_name="loa-xa", status=status)
            )
            for status in ("published", "failed")
        }
        (row,) = channel_rows(s, TZ, agency="COMMUNES")
    assert row["last_success"] == newest["published"].astimezone(TZ).strftime("%d/%m/%Y %H:%M")
    assert row["last_failure"] == newest["failed"].astimezone(TZ).strftime("%d/%m/%Y %H:%M")
