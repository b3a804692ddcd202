"""A batch of audit events on PostgreSQL (the test server of tests/integration/pg.py):
tampering with any event of the batch is found, as on SQLite."""

from __future__ import annotations

import pytest

from bantin.core.audit import key as audit_key
from bantin.core.db import Database
from tests.audit_batch_check import tampering_with_each_event_is_found
from tests.conftest import T0
from tests.integration.test_postgres import pg, pg_cluster, pg_url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow


def test_tampering_with_any_event_of_a_batch_is_found_on_postgresql(
    pg: Database,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = audit_key.new_key()
    monkeypatch.setenv(audit_key.KEY_ENV, key.decode())
    tampering_with_each_event_is_found(pg, audit_key.parse_keys([key.decode()], "test"), T0)
