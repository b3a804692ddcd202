"""The audit chain out of the database and back: JSON Lines for an external archive, and
an offline check of such a file.

One line per event with every stored field (hashes included), in sequence order, then
one closing line naming the head (`{"head": {"seq": …, "hash": …}, …}`). The check
recomputes every hash from the line's own fields with the same function that sealed
them (`audit.event_hash`), so it needs neither the database nor bantin's state: an
edited, dropped, inserted or reordered line, or a file cut short, is found and the first
bad sequence number named.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.models import AuditEvent, AuditHead
from bantin.records.audit import GENESIS, VerifyResult, event_hash

FORMAT = "bantin-audit/1"


def event_line(ev: AuditEvent) -> dict[str, Any]:
    return {
        "seq": ev.seq,
        "at": ev.at.isoformat(),
        "actor": ev.actor,
        "action": ev.action,
        "entity": ev.entity,
        "entity_id": ev.entity_id,
        "data": ev.data,
        "prev_hash": ev.prev_hash,
        "hash": ev.hash,
    }


def export(session: Session, out: IO[str], now: datetime) -> tuple[int, int, str]:
    """Write the whole chain to `out`; returns (events, head seq, head hash).

    Streams in sequence order, so a chain of millions of events never sits in memory.
    """
    count = 0
    rows = session.execute(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=5000)
    ).scalars()
    for ev in rows:
        out.write(json.dumps(event_line(ev), ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    head = session.get(AuditHead, 1)
    seq, digest = (head.seq, head.hash) if head is not None else (0, GENESIS)
    closing = {
        "head": {"seq": seq, "hash": digest},
        "events": count,
        "exported_at": now.isoformat(),
        "format": FORMAT,
    }
    out.write(json.dumps(closing, ensure_ascii=False, separators=(",", ":")) + "\n")
    return count, seq, digest


def verify_lines(lines: Iterable[str]) -> VerifyResult:
    """Verify an export; the same verdicts as `audit.verify` on the database."""
    prev_hash, expected, checked = GENESIS, 1, 0
    head: dict[str, Any] | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if head is not None:
            return VerifyResult(False, checked, expected, f"line {number}: text after the head")
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            return VerifyResult(False, checked, expected, f"line {number}: not JSON ({exc.msg})")
        if "head" in doc:
            head = doc["head"]
            continue
        try:
            seq = int(doc["seq"])
            if seq != expected:
                bad = min(seq, expected)
                return VerifyResult(
                    False, checked, bad, f"sequence jumps from {expected - 1} to {seq}"
                )
            if doc["prev_hash"] != prev_hash:
                return VerifyResult(False, checked, seq, "previous-hash link broken")
            digest = event_hash(
                seq,
                datetime.fromisoformat(doc["at"]),
                doc["actor"],
                doc["action"],
                doc["entity"],
                doc["entity_id"],
                doc["data"],
                doc["prev_hash"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            return VerifyResult(False, checked, expected, f"line {number}: malformed ({exc})")
        if digest != doc["hash"]:
            return VerifyResult(False, checked, seq, "contents do not match their hash")
        prev_hash, expected, checked = doc["hash"], expected + 1, checked + 1
    if head is None:
        return VerifyResult(False, checked, expected, "no head line: the export is cut short")
    if head.get("seq") != checked or head.get("hash") != prev_hash:
        return VerifyResult(False, checked, checked + 1, "chain ends before its recorded head")
    return VerifyResult(True, checked)
