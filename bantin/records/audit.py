"""The tamper-evident audit trail: an append-only hash chain.

Each event's hash covers its own fields and the previous event's hash, so editing,
deleting or inserting any row breaks every hash after it; `verify` names the first bad
sequence number. Appenders lock the single `audit_head` row, which keeps the chain linear
even with several runners on PostgreSQL.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.models import AuditEvent, AuditHead
from bantin.scrub import scrub_data

GENESIS = "0" * 64


def current_actor() -> str:
    """The OS user, used when a command is given no `--actor`."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


def event_hash(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    payload = json.dumps(
        [seq, at.isoformat(), actor, action, entity, entity_id, data, prev_hash],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    data: dict[str, Any]


def append(
    session: Session,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction."""
    return append_many(
        session, [AuditRecord(at, actor, action, entity, str(entity_id), data or {})]
    )[-1]


def append_many(session: Session, records: Iterable[AuditRecord]) -> list[AuditEvent]:
    """Append events in order, locking the chain head once for the whole batch."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    events = []
    for rec in records:
        seq = head.seq + 1
        # Round-trip through JSON so the hash covers exactly what the database stores.
        # Scrubbed first: nothing can be removed from the chain once it is hashed.
        data = scrub_data(json.loads(json.dumps(rec.data, ensure_ascii=False, default=str)))
        at = rec.at.astimezone(UTC)
        digest = event_hash(
            seq, at, rec.actor, rec.action, rec.entity, rec.entity_id, data, head.hash
        )
        event = AuditEvent(
            seq=seq,
            at=at,
            actor=rec.actor,
            action=rec.action,
            entity=rec.entity,
            entity_id=rec.entity_id,
            data=data,
            prev_hash=head.hash,
            hash=digest,
        )
        session.add(event)
        events.append(event)
        head.seq, head.hash = seq, digest
    session.flush()
    return events


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None


def _events(session: Session) -> Iterator[AuditEvent]:
    yield from session.execute(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=5000)
    ).scalars()


def verify(session: Session) -> VerifyResult:
    """Walk the chain; report the first sequence number whose row does not fit."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    for ev in _events(session):
        if ev.seq != expected_seq:
            bad = min(ev.seq, expected_seq)
            return VerifyResult(
                False, checked, bad, f"sequence jumps from {expected_seq - 1} to {ev.seq}"
            )
        if ev.prev_hash != prev_hash:
            return VerifyResult(False, checked, ev.seq, "previous-hash link broken")
        digest = event_hash(
            ev.seq, ev.at, ev.actor, ev.action, ev.entity, ev.entity_id, ev.data, ev.prev_hash
        )
        if digest != ev.hash:
            return VerifyResult(False, checked, ev.seq, "contents do not match their hash")
        prev_hash, expected_seq, checked = ev.hash, expected_seq + 1, checked + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != checked or head.hash != prev_hash):
        return VerifyResult(False, checked, checked + 1, "chain ends before its recorded head")
    return VerifyResult(True, checked)
