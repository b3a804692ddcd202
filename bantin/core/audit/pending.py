"""PostgreSQL: audit events appended without the chain head, sealed into the chain later.

With one chain head every runner's every state change queued on one row lock: measured
with three runners, half of the server's active time was spent waiting for
`audit_head` (docs/performance.md). On PostgreSQL the hot path (`audit.append_many`)
therefore inserts its events into `audit_pending`, numbered by the table's sequence,
and takes no lock the other runners want. A sealing step (`audit.seal`) then takes the
head, chains and MACs every committed pending event in sequence order, appends them to
`audit_event` and deletes them from `audit_pending`, in one transaction: the chain that
`audit verify` walks is exactly today's chain. Runners seal after each batch of outcomes
(at most once a second, skipped while another runner seals) and at the end of every
pass; `audit.append` (the rare single events) seals first, so an event is never
chained ahead of one that committed before it.

Order: a publication's moves are made in transactions that each commit before the next
begins, so their pending numbers grow in that order and a seal that sees a later one
sees every earlier one. Events still pending are not in the chain yet: a seal covers
them within about a second (`verify` on PostgreSQL seals first).

SQLite keeps one writer at a time anyway and appends to the chain directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, text
from sqlalchemy.orm import Session

from bantin.core.models import AuditPending

#: Events sealed per statement round; a seal takes every pending event, in rounds.
SEAL_ROUND = 5000
_PENDING = cast(Table, AuditPending.__table__)
#: pg_try_advisory_xact_lock key of the sealing step (a runner that finds it taken skips
#: its periodic seal: the sealer at work will chain its events, or the next one will).
SEAL_LOCK = 0x62616E7469E5


def deferred(session: Session) -> bool:
    """True where events are staged and sealed later (PostgreSQL)."""
    return session.get_bind().dialect.name == "postgresql"


def stage(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ready rows (at, actor, action, entity, entity_id, clean data) unchained."""
    session.connection().execute(_PENDING.insert(), list(rows))


def try_seal_lock(session: Session) -> bool:
    """Take the sealing lock for this transaction if no other runner holds it."""
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SEAL_LOCK}))


def take(session: Session) -> list[dict[str, Any]]:
    """Up to SEAL_ROUND committed pending events in sequence order, deleted in the caller's
    transaction (which holds the chain head, so no other sealer sees them)."""
    rows = (
        session.execute(select(_PENDING).order_by(_PENDING.c.id).limit(SEAL_ROUND)).mappings().all()
    )
    if rows:
        ids = [r["id"] for r in rows]
        session.execute(delete(_PENDING).where(_PENDING.c.id.in_(ids)))
    return [dict(r) for r in rows]


def count(session: Session) -> int:
    """Events appended and not sealed yet."""
    return int(session.scalar(select(func.count()).select_from(_PENDING)) or 0)
