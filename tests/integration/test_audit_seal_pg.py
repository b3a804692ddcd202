"""PostgreSQL: runners stage audit events without the chain head, a seal chains them
(bantin.core.audit.pending), and `audit verify` stays exact."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text

from bantin.core import audit
from bantin.core.audit import key as audit_key
from bantin.core.db import Database
from bantin.core.models import AuditHead
from tests.audit_batch_check import verify
from tests.conftest import T0
from tests.integration.test_postgres import pg, pg_cluster, pg_url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow


def _records(at: datetime, tag: str, n: int = 3) -> list[audit.AuditRecord]:
    return [audit.AuditRecord(at, "runner", f"test.{tag}", "thing", str(i), {"i": i})
            for i in range(n)]  # fmt: skip


def _actions(db: Database) -> list[str]:
    with db.engine.connect() as c:
        rows = c.execute(text("SELECT action FROM audit_event ORDER BY seq")).scalars()
        return [a for a in rows if a.startswith("test.")]  # the template's own events aside


def test_two_runners_append_batches_without_waiting_for_each_other(pg: Database) -> None:  # noqa: F811
    with pg.session() as first:
        audit.append_many(first, _records(T0, "first"))  # its transaction stays open
        with pg.session() as second:
            second.execute(text("SET LOCAL lock_timeout = '1s'"))
            audit.append_many(second, _records(T0, "second"))  # no wait for the head
    with pg.session() as s:
        assert audit.seal(s) == 6
    assert sorted(_actions(pg)) == ["test.first"] * 3 + ["test.second"] * 3
    assert verify(pg, None).ok


def test_a_seal_chains_staged_events_in_the_order_they_were_staged(pg: Database) -> None:  # noqa: F811
    for tag in ("a", "b", "c"):
        with pg.session() as s:
            audit.append_many(s, _records(T0, tag, 2))
    with pg.session() as s:
        audit.seal(s)
    assert _actions(pg) == ["test.a"] * 2 + ["test.b"] * 2 + ["test.c"] * 2


def test_a_single_append_seals_the_staged_events_before_it(pg: Database) -> None:  # noqa: F811
    with pg.session() as s:
        audit.append_many(s, _records(T0, "batch"))
    with pg.session() as s:
        audit.append(s, T0, "person", "test.single", "thing", "x")
    assert _actions(pg) == ["test.batch"] * 3 + ["test.single"]
    assert verify(pg, None).ok


def test_verify_says_when_staged_events_are_not_sealed_yet(pg: Database) -> None:  # noqa: F811
    with pg.session() as s:
        audit.append_many(s, _records(T0, "staged"))
    before = verify(pg, None)
    assert before.ok
    assert any("3 events staged" in note for note in before.notes)
    with pg.session() as s:
        audit.seal(s)
    after = verify(pg, None)
    assert after.ok and after.checked == before.checked + 3 and not after.notes


def _sealed_with_key(db: Database, monkeypatch: pytest.MonkeyPatch) -> tuple[list[bytes], int]:
    """Five events staged and sealed under a key; the keys and the seq before the first."""
    key = audit_key.new_key()
    monkeypatch.setenv(audit_key.KEY_ENV, key.decode())
    with db.session() as s:
        audit.append_many(s, _records(T0, "sealed", 5))
    with db.session() as s:
        base = s.get_one(AuditHead, 1).seq
        audit.seal(s)
    keys = audit_key.parse_keys([key.decode()], "test")
    assert verify(db, keys).ok
    return keys, base


@pytest.mark.parametrize("seq", [1, 3, 5])
def test_tampering_with_a_sealed_event_is_found(
    pg: Database,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    seq: int,
) -> None:
    keys, base = _sealed_with_key(pg, monkeypatch)
    bad = {"s": base + seq}
    with pg.engine.begin() as c:
        c.execute(text("UPDATE audit_event SET actor = 'forged' WHERE seq = :s"), bad)
    result = verify(pg, keys)
    assert not result.ok and result.first_bad_seq == base + seq


def test_deleting_a_sealed_event_is_found(pg: Database, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    keys, base = _sealed_with_key(pg, monkeypatch)
    with pg.engine.begin() as c:
        c.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": base + 3})
    result = verify(pg, keys)
    assert not result.ok and result.first_bad_seq == base + 3


def test_reordering_sealed_events_is_found(pg: Database, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    keys, base = _sealed_with_key(pg, monkeypatch)
    two, four = {"s": base + 2}, {"s": base + 4}
    with pg.engine.begin() as c:  # events 2 and 4 of the batch swap places
        c.execute(text("UPDATE audit_event SET seq = -1 WHERE seq = :s"), two)
        c.execute(text("UPDATE audit_event SET seq = :s WHERE seq = :t"), two | {"t": base + 4})
        c.execute(text("UPDATE audit_event SET seq = :s WHERE seq = -1"), four)
    result = verify(pg, keys)
    assert not result.ok and result.first_bad_seq == base + 2
