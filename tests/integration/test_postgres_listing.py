"""The bounded `schedule --limit` listing (a union of per-state index ranges, then rows up
to a due-time bound) lists on PostgreSQL exactly what the full order lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from bantin.core.db import Database
from bantin.records.query import Filters, list_publications
from tests.integration.test_postgres import examples, pg, pg_cluster, pg_url  # noqa: F401

UNSENT = ("planned", "pending_approval", "approved", "claimed", "sending", "retry_wait")


@pytest.mark.parametrize("limit", [1, 20, 200])
def test_a_limited_listing_is_the_head_of_the_full_listing_on_postgresql(
    pg: Database,  # noqa: F811
    home: Path,
    limit: int,
) -> None:
    examples(pg, home)
    with pg.session() as s:
        full = [r["id"] for r in list_publications(s, Filters(status=UNSENT))]
        head = [r["id"] for r in list_publications(s, Filters(status=UNSENT), limit)]
        every = [r["id"] for r in list_publications(s, Filters(), limit)]
    assert len(full) > 200
    assert head == full[:limit]
    assert len(every) == limit
