"""The audit chain out of the database and back: JSON Lines for an external archive, and
an offline check of such a file.

One line per event with every stored field (hashes and MAC included), in sequence order,
then one closing line naming the head (`{"head": {"seq": …, "hash": …}, …}`). The check
recomputes every hash from the line's own fields with the same function that sealed
them (`audit.event_hash`), so it needs neither the database nor bantin's state: an
edited, dropped, inserted or reordered line, or a file cut short, is found and the first
bad sequence number named. Given the audit key it checks every MAC as well; without it,
the result says the MACs went unchecked (a file rewritten by someone who recomputed the
hashes would pass that weaker check). Exports of format 1 (no `mac`) read as unanchored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.core.audit import GENESIS, event_hash
from bantin.core.audit.chain import ChainCheck, VerifyResult
from bantin.core.models import AuditEvent, AuditHead

FORMAT = "bantin-audit/2"


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
        "mac": ev.mac,
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


def verify_lines(lines: Iterable[str], keys: list[bytes] | None = None) -> VerifyResult:
    """Verify an export; the same verdicts as `audit.verify` on the database."""
    check = ChainCheck(keys)
    head: dict[str, Any] | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        if head is not None:
            return check.fail(check.expected, f"{where}: text after the head")
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            return check.fail(check.expected, f"{where}: not JSON ({exc.msg})")
        if isinstance(doc, dict) and "head" in doc:
            head = doc["head"] if isinstance(doc["head"], dict) else {}
            continue
        try:
            bad = check.step(
                int(doc["seq"]), doc["prev_hash"], line_hash(doc), doc["hash"], doc.get("mac")
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return check.fail(check.expected, f"{where}: malformed ({exc})")
        if bad is not None:
            return bad
    if head is None:
        return check.fail(check.expected, "no head line: the export is cut short")
    return check.finish((head.get("seq"), head.get("hash")))


def line_hash(doc: dict[str, Any]) -> str:
    """The hash an exported event's own fields give."""
    return event_hash(
        int(doc["seq"]),
        datetime.fromisoformat(doc["at"]),
        doc["actor"],
        doc["action"],
        doc["entity"],
        doc["entity_id"],
        doc["data"],
        doc["prev_hash"],
    )
