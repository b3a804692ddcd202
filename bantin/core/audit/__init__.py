"""The tamper-evident audit trail: an append-only hash chain, anchored by a keyed MAC.

Each event's hash covers its own fields and the previous event's hash, so editing,
deleting or inserting any row breaks every hash after it; `verify` names the first bad
sequence number. Hashes alone can be recomputed by anyone who can write the database, so
each event also carries HMAC-SHA256 of its hash under the audit key, which lives outside
the database (`bantin.core.audit.key`). Deleting the newest events is found against a
signed head kept elsewhere (`bantin.core.audit.anchor`). Appenders lock the single
`audit_head` row, which keeps the chain linear. On PostgreSQL the hot path's batches are
staged without that lock and sealed into the chain by `seal` (bantin.core.audit.pending).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from bantin.core.audit import key as audit_key
from bantin.core.audit import pending
from bantin.core.audit.chain import GENESIS, ChainCheck, VerifyResult
from bantin.core.models import AuditEvent, AuditHead
from bantin.core.scrub import scrub_data

__all__ = [
    "GENESIS",
    "VerifyResult",
    "append",
    "append_many",
    "event_hash",
    "seal",
    "seal_if_free",
    "verify",
]


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
    #: The data are flat strings already scrubbed (a state move: two state names and a
    #: scrubbed reason), so neither the JSON round trip nor the scrub would change them.
    clean: bool = False


def append(
    session: Session,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (on PostgreSQL after sealing the
    events staged before it, so the chain keeps their order)."""
    record = AuditRecord(at, actor, action, entity, str(entity_id), data or {})
    head = _head(session)
    if pending.deferred(session):
        _seal_into(session, head)
    (row,) = _chain(head, [record], audit_key.signing_key())
    event = AuditEvent(**row)
    session.add(event)
    session.flush()
    return event


def append_many(session: Session, records: Iterable[AuditRecord]) -> None:
    """Append events in order with ONE lock and ONE update of the chain head for the
    whole batch, and one multi-row INSERT.

    The key is looked up once per batch; each event then costs one hash and one HMAC.
    On PostgreSQL the events are staged instead, with no lock at all, and `seal` chains
    them (bantin.core.audit.pending): runners no longer take turns on the head row.
    """
    records = list(records)
    if not records:
        return
    if pending.deferred(session):
        pending.stage(session, [_clean_row(rec) for rec in records])
        return
    head = _head(session)
    rows = _chain(head, records, audit_key.signing_key())
    session.flush()  # the head's new seq and hash, before the events that end there
    session.connection().execute(_EVENTS.insert(), rows)


_EVENTS = cast(Table, AuditEvent.__table__)


def _head(session: Session) -> AuditHead:
    """The chain head, locked until the caller's transaction ends."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    return head


def seal(session: Session) -> int:
    """Chain every committed staged event into the chain, in sequence order, in the
    caller's transaction (PostgreSQL; 0 on SQLite, which stages nothing). Returns how
    many were sealed."""
    if not pending.deferred(session):
        return 0
    return _seal_into(session, _head(session))


def seal_if_free(session: Session) -> int:
    """`seal`, unless another runner is sealing right now (then 0: it or the next seal
    chains these events); the runners' periodic seal never waits for each other."""
    if not pending.deferred(session) or not pending.try_seal_lock(session):
        return 0
    return seal(session)


def _seal_into(session: Session, head: AuditHead) -> int:
    key, sealed = audit_key.signing_key(), 0
    while rows := pending.take(session):
        for row in rows:
            del row["id"]
        events = _link(head, rows, key)
        session.flush()
        session.connection().execute(_EVENTS.insert(), events)
        sealed += len(events)
    return sealed


def _clean_row(rec: AuditRecord) -> dict[str, Any]:
    """The stored form of a record: UTC time, data round-tripped through JSON so the hash
    covers exactly what the database stores, scrubbed first (nothing can be removed from
    the chain once it is hashed)."""
    data = (
        rec.data
        if rec.clean
        else scrub_data(json.loads(json.dumps(rec.data, ensure_ascii=False, default=str)))
    )
    return {
        "at": rec.at.astimezone(UTC),
        "actor": rec.actor,
        "action": rec.action,
        "entity": rec.entity,
        "entity_id": rec.entity_id,
        "data": data,
    }


def _chain(head: AuditHead, records: list[AuditRecord], key: bytes | None) -> list[dict[str, Any]]:
    """The rows of `records` chained after `head`, which is moved to the last of them."""
    return _link(head, [_clean_row(rec) for rec in records], key)


def _link(head: AuditHead, rows: list[dict[str, Any]], key: bytes | None) -> list[dict[str, Any]]:
    """Stored-form rows numbered, hashed and MACed after `head`, which moves to the last."""
    seq, prev = head.seq, head.hash
    for row in rows:
        seq += 1
        at = row["at"].astimezone(UTC)
        digest = event_hash(seq, at, row["actor"], row["action"], row["entity"],
                            row["entity_id"], row["data"], prev)  # fmt: skip
        mac = audit_key.mac(key, audit_key.event_message(digest)) if key else None
        row.update(seq=seq, at=at, prev_hash=prev, hash=digest, mac=mac)
        prev = digest
    head.seq, head.hash = seq, prev
    return rows


def _events(session: Session, after_seq: int = 0) -> Iterator[AuditEvent]:
    yield from session.execute(
        select(AuditEvent)
        .where(AuditEvent.seq > after_seq)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=5000)
    ).scalars()


def verify(
    session: Session,
    keys: list[bytes] | None = None,
    after: tuple[int, str, int | None] | None = None,
) -> VerifyResult:
    """Walk the chain; report the first sequence number whose row does not fit.

    With `keys` (`audit_key.load_keys()`), every MAC is checked too; without, the result
    says MACs went unchecked (`macs_unchecked`), never that the chain is authentic.
    `after` (seq, hash, anchored_from) starts from a head already verified, so the daily
    signed head reads only the events since the previous one.
    """
    check = ChainCheck(keys, after)
    for ev in _events(session, after[0] if after else 0):
        digest = event_hash(
            ev.seq, ev.at, ev.actor, ev.action, ev.entity, ev.entity_id, ev.data, ev.prev_hash
        )
        bad = check.step(ev.seq, ev.prev_hash, digest, ev.hash, ev.mac)
        if bad is not None:
            return bad
    head = session.get(AuditHead, 1)
    result = check.finish((head.seq, head.hash) if head is not None else None)
    waiting = pending.count(session) if pending.deferred(session) else 0
    if waiting and result.ok:  # not in the chain yet: `seal` first to check them too
        note = f"{waiting} events staged since the last seal are not in the chain yet"
        result = replace(result, notes=(*result.notes, note))
    return result
