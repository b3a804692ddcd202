"""`bantin schedule` on SQLite reads through sqlite3 (issue 11: no half second importing
SQLAlchemy): the rows, their order, their fields and the filter errors are exactly the
ORM listing's."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bantin.core.db import Database
from bantin.core.errors import RecordsError
from bantin.core.models import BroadcastReceipt, Publication
from bantin.records import sqlite_listing
from bantin.records.filters import GROUP_NAMES
from bantin.records.query import GROUP_COLUMNS, Filters, list_publications
from tests.conftest import EXAMPLES, T0
from tests.helpers import OUTBOX_CHANNELS, add_channels, apply

UNSENT = ("planned", "pending_approval", "approved", "claimed", "sending", "retry_wait")


@pytest.fixture
def planned(db: Database, home: Path) -> Database:
    """A week of the examples, with rows in other states and every listed field set on
    some: a reason, attempts, a publication time with microseconds, lateness, receipts."""
    add_channels(db, T0, OUTBOX_CHANNELS, home)
    apply(db, sorted(EXAMPLES.glob("*.yaml")), T0, home, days=7)
    with db.session() as s:
        s.execute(update(Publication).where(Publication.id % 7 == 0).values(status="approved"))
        s.execute(
            update(Publication)
            .where(Publication.id % 11 == 0)
            .values(
                status="published",
                status_reason="ok: 200",
                attempts=2,
                published_at=T0 + timedelta(seconds=1.25),
                lateness_seconds=1.25,
                external_id="x-1",
                external_url="https://example.invalid/1",
            )
        )
        first = s.scalars(select(Publication).where(Publication.id % 11 == 0).limit(3)).all()
        for pub in first:
            s.add(
                BroadcastReceipt(
                    publication_id=pub.id,
                    unit_code=pub.unit_code or "29641",
                    aired_at=T0,
                    reported_by="van-hoa",
                    source="cli",
                    recorded_at=T0,
                )
            )
    return db


FILTERS = [
    Filters(status=UNSENT),
    Filters(),
    Filters(status=("published",)),
    Filters(channel="loa-xa", start=T0 + timedelta(days=2)),
    Filters(agency="communes", end=T0 + timedelta(days=3), status=UNSENT),
    Filters(unit="29641", task="1.3"),
    Filters(campaign="loa-cds", status=("approved", "planned")),
]


@pytest.mark.parametrize("limit", [None, 1, 20, 200, 5000])
@pytest.mark.parametrize("filters", FILTERS, ids=repr)
def test_sqlite_listing_equals_the_orm_listing(
    planned: Database, filters: Filters, limit: int | None
) -> None:
    with planned.session() as s:
        expected = list_publications(s, filters.checked(s), limit)
    got = sqlite_listing.list_publications(planned.url, filters, limit)
    assert got == expected
    assert got is not None and [list(r) for r in got] == [list(r) for r in expected]


def test_the_parity_fixture_covers_every_field(planned: Database) -> None:
    rows = sqlite_listing.list_publications(planned.url, Filters(), None) or []
    assert any(r["receipts"] and r["published_at"] and r["reason"] for r in rows)
    assert any(r["unit_name"] is None for r in rows)  # page-wide posts


@pytest.mark.parametrize("what", ["agency", "channel"])
def test_an_unknown_agency_or_channel_is_the_same_error(planned: Database, what: str) -> None:
    filters = Filters(**{what: "NOPE"})
    with planned.session() as s, pytest.raises(RecordsError) as orm:
        filters.checked(s)
    with pytest.raises(RecordsError) as lite:
        sqlite_listing.list_publications(planned.url, filters, 5)
    assert str(lite.value) == str(orm.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bantin@localhost/bantin",
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file:x.db?mode=ro&uri=true",
        "sqlite:////tmp/a.db?timeout=5",
        "sqlite:////tmp/with%20space.db",
    ],
)
def test_urls_it_does_not_read_plainly_go_through_sqlalchemy(url: str) -> None:
    assert sqlite_listing.sqlite_file(url) is None


def test_a_plain_sqlite_url_names_its_file() -> None:
    assert sqlite_listing.sqlite_file("sqlite:////srv/bantin/bantin.db") == Path(
        "/srv/bantin/bantin.db"
    )


def test_a_file_without_a_schema_goes_through_sqlalchemy(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert sqlite_listing.list_publications(f"sqlite:///{empty}", Filters(), 5) is None
    missing = tmp_path / "missing.db"
    assert sqlite_listing.list_publications(f"sqlite:///{missing}", Filters(), 5) is None
    assert not missing.exists()


def test_summary_groups_are_the_same_in_both_modules() -> None:
    assert set(GROUP_NAMES) == set(GROUP_COLUMNS)
