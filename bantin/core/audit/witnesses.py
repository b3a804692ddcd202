"""Checking a verified chain against what was kept outside the database (signed heads,
`--head SEQ:HASH`, an earlier export), and saying in one sentence what the MACs prove.

Library functions behind `bantin audit verify`, so the web's auditor view says the same.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from bantin.core.audit import anchor as audit_anchor
from bantin.core.audit import key as audit_key
from bantin.core.audit.chain import VerifyResult

#: Exit status of `audit verify` when the hashes agree but MACs exist and no key was given.
UNCHECKED = 3
KEY_HINT = f"set {audit_key.KEY_ENV}, pass --key-file, or run `bantin init`"


def check_witnesses(
    home: Path,
    s: Session,
    chain: VerifyResult,
    keys: list[bytes] | None,
    heads: tuple[str, ...],
    against: Path | None,
) -> tuple[VerifyResult | None, list[str]]:
    """Compare a verified chain with every witness kept outside it; what was compared."""
    said: list[str] = []
    signed, problems = audit_anchor.read_heads(home)
    if problems:
        return VerifyResult(False, chain.checked, chain.checked + 1, problems[0]), said
    bad = audit_anchor.check_heads(s, signed, keys, chain)
    if signed:
        newest = max(signed, key=lambda h: h.seq)
        mark = "" if keys else " (signatures not checked: no audit key)"
        said.append(f"{len(signed)} signed heads agree{mark}; newest {newest.where}")
    for text in heads:
        seq, digest = audit_anchor.parse_head_arg(text)
        bad = bad or audit_anchor.check_head(s, seq, digest, f"--head {seq}:{digest}", chain)
        said.append(f"--head {seq} agrees")
    if against is not None and bad is None:
        with against.open(encoding="utf-8") as fh:
            bad = audit_anchor.check_against(s, fh, str(against))
        said.append(f"every event of {against} is present and unchanged")
    return bad, said


def anchoring_summary(result: VerifyResult, keys: list[bytes] | None) -> tuple[str, int]:
    """One sentence on the MACs, and the exit status it implies."""
    first = result.anchored_from
    if first is None:
        if keys is None:
            return f"NOT anchored: no event carries a MAC and there is no audit key ({KEY_HINT})", 0
        return f"unanchored before sequence {result.checked + 1}: no event carries a MAC yet", 0
    before = f"unanchored before sequence {first}, " if first > 1 else ""
    if keys is None:
        return (
            f"{before}MACs from sequence {first} NOT checked: no audit key ({KEY_HINT}); "
            "a copy rewritten with recomputed hashes would pass this check",
            UNCHECKED,
        )
    return f"{before}every MAC from sequence {first} matches the audit key", 0
