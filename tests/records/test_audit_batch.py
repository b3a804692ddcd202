"""A batch of audit events (one transaction, one head update) on SQLite: each event of
the batch is still checked on its own by `audit verify`."""

from __future__ import annotations

from bantin.core.db import Database
from tests.audit_batch_check import BATCH, append_batch, tampering_with_each_event_is_found
from tests.conftest import T0


def test_a_batch_moves_the_head_once_to_its_last_event(db: Database) -> None:
    seqs = append_batch(db, T0)
    assert len(seqs) == BATCH and seqs == list(range(seqs[0], seqs[0] + BATCH))


def test_tampering_with_any_event_of_a_batch_is_found(
    db: Database, audit_keys: list[bytes]
) -> None:
    tampering_with_each_event_is_found(db, audit_keys, T0)
