"""Witnesses outside the database: signed heads, a remembered `SEQ:HASH`, an earlier export.

Why: MACs stop anyone without the key from rewriting events, but deleting the newest
events and moving the head back leaves a shorter chain whose every MAC is still good.
Only something kept elsewhere remembers that the chain was once longer:

- the daily signed head, one JSON line appended to `$BANTIN_HOME/audit-heads/DATE.jsonl`
  (seq, hash, first anchored seq, time, and a MAC of those under the audit key), which
  the operator ships off the machine;
- a `SEQ:HASH` written down from an earlier `audit verify` or export;
- an earlier export: every event in it must still be in the database, unchanged.

Each check returns None when the database agrees, otherwise a failure naming the first
bad sequence number and the witness it disagrees with.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantin.core import audit
from bantin.core.audit import key as audit_key
from bantin.core.audit.chain import VerifyResult
from bantin.core.audit.export import event_line
from bantin.core.models import AuditEvent

log = logging.getLogger(__name__)

HEAD_DIR = "audit-heads"
HEAD_FORMAT = "bantin-audit-head/1"
HEAD_ARG = re.compile(r"(\d+):([0-9a-f]{64})")


@dataclass(frozen=True)
class SignedHead:
    seq: int
    hash: str
    anchored_from: int | None
    signed_at: str
    mac: str
    where: str  # file:line, for messages

    def message(self) -> str:
        return head_message(self.seq, self.hash, self.anchored_from, self.signed_at)


def head_message(seq: int, digest: str, anchored_from: int | None, signed_at: str) -> str:
    return json.dumps([HEAD_FORMAT, seq, digest, anchored_from, signed_at])


def head_dir(home: Path) -> Path:
    return home / HEAD_DIR


def _fail(seq: int, reason: str) -> VerifyResult:
    return VerifyResult(False, 0, seq, reason)


# -- writing ------------------------------------------------------------------------------


def sign_head(
    session: Session, home: Path, now: datetime, tz: tzinfo, keys: list[bytes]
) -> tuple[Path, dict[str, Any]] | VerifyResult:
    """Verify the events since the last signed head, then append a new signed head.

    Returns the file and the line written, or the failure (nothing is signed then: a
    head must never vouch for a chain that does not verify).
    """
    audit.seal(session)  # PostgreSQL: the events staged so far go into the signed chain
    heads, problems = read_heads(home)
    last = max(heads, key=lambda h: h.seq, default=None)
    after = None
    if last is not None and not problems and audit_key.matches(keys, last.message(), last.mac):
        row = session.get(AuditEvent, last.seq)
        if row is not None and row.hash == last.hash:
            after = (last.seq, last.hash, last.anchored_from)
    result = audit.verify(session, keys, after)
    if not result.ok:
        return result
    bad = check_heads(session, heads, keys, result)
    if bad is not None:
        return bad
    signed_at = now.isoformat()
    line = {
        "format": HEAD_FORMAT,
        "seq": result.checked,
        "hash": result.last_hash,
        "anchored_from": result.anchored_from,
        "signed_at": signed_at,
    }
    message = head_message(result.checked, result.last_hash, result.anchored_from, signed_at)
    line["mac"] = audit_key.mac(keys[0], message)
    path = head_dir(home) / f"{now.astimezone(tz).date().isoformat()}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, separators=(",", ":")) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return path, line


# -- reading and checking -----------------------------------------------------------------


def read_heads(home: Path) -> tuple[list[SignedHead], list[str]]:
    """Every signed head under `home`, and a message for each line that is not one."""
    heads: list[SignedHead] = []
    problems: list[str] = []
    folder = head_dir(home)
    if not folder.is_dir():
        return heads, problems
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                doc = json.loads(line)
                heads.append(
                    SignedHead(
                        int(doc["seq"]),
                        str(doc["hash"]),
                        None if doc["anchored_from"] is None else int(doc["anchored_from"]),
                        str(doc["signed_at"]),
                        str(doc["mac"]),
                        where,
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                problems.append(f"{where}: not a signed head ({exc})")
    return heads, problems


def check_heads(
    session: Session, heads: list[SignedHead], keys: list[bytes] | None, chain: VerifyResult
) -> VerifyResult | None:
    """The chain against each signed head, oldest first; the first disagreement."""
    for head in sorted(heads, key=lambda h: h.seq):
        if keys is not None and not audit_key.matches(keys, head.message(), head.mac):
            return _fail(
                head.seq, f"signed head {head.where} does not match the audit key (forged?)"
            )
        bad = check_head(session, head.seq, head.hash, f"the signed head {head.where}", chain)
        if bad is not None:
            return bad
        if head.anchored_from is not None and chain.anchored_from != head.anchored_from:
            now_from = chain.anchored_from or "nowhere"
            return _fail(
                head.anchored_from,
                f"the signed head {head.where} says events are anchored from sequence "
                f"{head.anchored_from}, the chain now from {now_from}: MACs were removed",
            )
    return None


def check_head(
    session: Session, seq: int, digest: str, witness: str, chain: VerifyResult
) -> VerifyResult | None:
    """Event `seq` must still exist with hash `digest`."""
    if seq == 0:
        return None
    if seq > chain.checked:
        return _fail(
            chain.checked + 1,
            f"the chain ends at sequence {chain.checked}, but {witness} records sequence "
            f"{seq}: the newest events were deleted",
        )
    row = session.get(AuditEvent, seq)
    if row is None or row.hash != digest:
        return _fail(seq, f"event {seq} differs from {witness}: the chain was rewritten")
    return None


def parse_head_arg(text: str) -> tuple[int, str]:
    """`SEQ:HASH` as printed by `audit verify` and `audit export`."""
    found = HEAD_ARG.fullmatch(text.strip().lower())
    if found is None:
        raise ValueError(f"{text!r} is not SEQ:HASH (a number, ':', 64 hex digits)")
    return int(found.group(1)), found.group(2)


def check_against(session: Session, lines: Iterable[str], name: str) -> VerifyResult | None:
    """Every event of an earlier export must still be in the database, unchanged."""
    rows = _rows(session)
    current = next(rows, None)
    previous = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
            if "head" in doc:
                continue
            seq = int(doc["seq"])
        except (ValueError, KeyError, TypeError):
            return _fail(previous + 1, f"{name}:{number}: not an exported audit event")
        if seq <= previous:
            return _fail(seq, f"{name}:{number}: events out of order")
        previous = seq
        while current is not None and current.seq < seq:
            current = next(rows, None)
        if current is None or current.seq != seq:
            return _fail(seq, f"event {seq} of {name} (line {number}) is missing from the database")
        changed = _changed_fields(event_line(current), doc)
        if changed:
            return _fail(
                seq,
                f"event {seq} of {name} (line {number}) was changed in the database: "
                + ", ".join(changed),
            )
    return None


def _rows(session: Session) -> Iterator[AuditEvent]:
    yield from session.execute(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=5000)
    ).scalars()


def _changed_fields(stored: dict[str, Any], exported: dict[str, Any]) -> list[str]:
    # An export written before anchoring has no `mac`; the database may have one since.
    keys = [k for k in stored if k in exported and not (k == "mac" and exported[k] is None)]
    return [k for k in keys if stored[k] != exported[k]]


def daily_head(session: Session, home: Path, now: datetime, tz: tzinfo) -> Path | None:
    """The nightly job: sign the head, or log why not; never raises into the scheduler."""
    try:
        keys = audit_key.load_keys(home)
    except (audit_key.AuditKeyError, OSError, UnicodeDecodeError) as exc:
        log.error("audit head not signed: %s", exc)
        return None
    if keys is None:
        log.warning(
            "audit head not signed: no %s and no %s",
            audit_key.KEY_ENV,
            audit_key.key_path(home),
        )
        return None
    written = sign_head(session, home, now, tz, keys)
    if isinstance(written, VerifyResult):
        log.error(
            "audit head not signed: chain broken at sequence %s: %s",
            written.first_bad_seq,
            written.reason,
        )
        return None
    path, line = written
    log.info("signed audit head %s:%s appended to %s", line["seq"], line["hash"], path)
    return path
