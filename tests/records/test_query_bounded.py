"""`schedule --limit N` reads about N rows, not the whole table (issue 11: 1.4 s at a
million publications), and lists exactly what the unbounded order would."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bantin.core.db import Database
from bantin.core.models import Publication
from bantin.records.query import Filters, list_publications
from tests.conftest import EXAMPLES, T0
from tests.helpers import OUTBOX_CHANNELS, add_channels, apply

UNSENT = ("planned", "pending_approval", "approved", "claimed", "sending", "retry_wait")


@pytest.fixture
def planned(db: Database, home: Path) -> Database:
    add_channels(db, T0, OUTBOX_CHANNELS, home)
    apply(db, sorted(EXAMPLES.glob("*.yaml")), T0, home, days=7)
    with db.session() as s:  # a few rows in other states, inside the first tie groups
        s.execute(update(Publication).where(Publication.id % 7 == 0).values(status="approved"))
        s.execute(update(Publication).where(Publication.id % 11 == 0).values(status="failed"))
    return db


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return [r["id"] for r in rows]


@pytest.mark.parametrize("limit", [1, 5, 20, 130, 200, 5000])
def test_a_limited_listing_is_the_head_of_the_full_listing(planned: Database, limit: int) -> None:
    with planned.session() as s:
        full = list_publications(s, Filters(status=UNSENT))
        head = list_publications(s, Filters(status=UNSENT), limit)
    assert len(full) > 200
    assert ids(head) == ids(full)[:limit]


def test_filters_still_apply_with_a_limit(planned: Database) -> None:
    f = Filters(channel="loa-xa", start=T0 + timedelta(days=2))
    with planned.session() as s:
        full = list_publications(s, f)
        head = list_publications(s, f, 30)
    assert ids(head) == ids(full)[:30]
    assert {r["channel"] for r in head} == {"loa-xa"}


def test_no_status_filter_lists_every_state(planned: Database) -> None:
    with planned.session() as s:
        assert (
            ids(list_publications(s, Filters(), 300)) == ids(list_publications(s, Filters()))[:300]
        )


def vm_steps(db: Database, filters: Filters, limit: int | None) -> int:
    """SQLite virtual-machine steps (in thousands) the listing takes: grows with rows read."""
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    with db.session() as s:
        raw = s.connection().connection.driver_connection
        raw.set_progress_handler(tick, 1000)
        try:
            list_publications(s, filters, limit)
        finally:
            raw.set_progress_handler(None, 0)
    return steps[0]


def test_a_limited_listing_reads_a_bounded_part_of_the_table(planned: Database) -> None:
    with planned.session() as s:
        n = len(list_publications(s, Filters(status=UNSENT)))
    full = vm_steps(planned, Filters(status=UNSENT), None)
    head = vm_steps(planned, Filters(status=UNSENT), 20)
    assert n > 1000
    assert head * 5 < full, (head, full)
