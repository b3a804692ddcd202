"""Shared by the SQLite and PostgreSQL tests: a batch of audit events appended in one
transaction with one head update stays exactly verifiable, event by event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text

from bantin.core import audit
from bantin.core.db import Database
from bantin.core.models import AuditEvent, AuditHead

BATCH = 6


def append_batch(db: Database, at: datetime) -> list[int]:
    """One transaction, one append of BATCH events after one single event; their seqs."""
    with db.session() as s:
        audit.append(s, at, "tester", "before.batch", "thing", 0)
    records = [
        audit.AuditRecord(at, "tester", "test.batch", "thing", str(i), {"i": i, "to": "x"})
        for i in range(BATCH)
    ]
    with db.session() as s:
        audit.append_many(s, records)
        audit.seal(s)  # PostgreSQL stages the batch; SQLite chained it already
        head = s.get_one(AuditHead, 1)
        seqs = list(
            s.execute(select(AuditEvent.seq).where(AuditEvent.action == "test.batch")).scalars()
        )
        assert head.seq == max(seqs)
    return sorted(seqs)


def verify(db: Database, keys: list[bytes] | None) -> audit.VerifyResult:
    with db.read() as s:
        return audit.verify(s, keys)


def tampering_with_each_event_is_found(db: Database, keys: list[bytes], at: datetime) -> None:
    seqs = append_batch(db, at)
    assert verify(db, keys).ok
    for seq in seqs:
        with db.engine.begin() as c:
            old = c.execute(text("SELECT action FROM audit_event WHERE seq = :s"), {"s": seq})
            action = old.scalar_one()
            c.execute(text("UPDATE audit_event SET action = 'forged' WHERE seq = :s"), {"s": seq})
        result = verify(db, keys)
        assert not result.ok and result.first_bad_seq == seq, (seq, result)
        with db.engine.begin() as c:
            c.execute(text("UPDATE audit_event SET action = :a WHERE seq = :s"),
                      {"a": action, "s": seq})  # fmt: skip
    assert verify(db, keys).ok
    middle = seqs[BATCH // 2]
    with db.engine.begin() as c:
        c.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": middle})
    result = verify(db, keys)
    assert not result.ok and result.first_bad_seq == middle
