"""One walk over an audit chain, shared by the database check and the offline export check.

Rules, in the order events come:
- sequence numbers run 1, 2, 3… and each `prev_hash` is the previous event's hash;
- each hash is what the event's own fields give (the caller recomputes it);
- events without a MAC are allowed only before the first event that has one (the chain
  from before anchoring); the first MAC covers them, since the hash it signs covers every
  earlier event. A missing MAC after that means it was stripped or written without the key;
- with keys, every MAC must match one of them (newest first): a chain recomputed by
  someone without the key fails at the first event they touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bantin.core.audit import key as audit_key

GENESIS = "0" * 64


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None
    anchored_from: int | None = None  # the first event carrying a MAC
    macs_checked: bool = False  # a key was at hand and every MAC matched it
    last_hash: str = GENESIS  # the hash of the newest event checked
    notes: tuple[str, ...] = field(default=())

    @property
    def macs_unchecked(self) -> bool:
        """Events carry MACs nobody could check (no key was given)."""
        return self.anchored_from is not None and not self.macs_checked


class ChainCheck:
    """Feed events in order with `step`; `finish` with the recorded head."""

    def __init__(
        self, keys: list[bytes] | None, after: tuple[int, str, int | None] | None = None
    ) -> None:
        """`after`: (seq, hash, anchored_from) of a head already verified; walk on from it."""
        seq, digest, anchored = after if after is not None else (0, GENESIS, None)
        self.keys = keys
        self.prev_hash = digest
        self.expected = seq + 1
        self.checked = seq
        self.anchored_from = anchored

    def fail(self, seq: int, reason: str) -> VerifyResult:
        return VerifyResult(
            False, self.checked, seq, reason, self.anchored_from, False, self.prev_hash
        )

    def step(
        self, seq: int, prev_hash: str, computed: str, stored: str, mac: str | None
    ) -> VerifyResult | None:
        """None when the event fits; otherwise the failure naming its sequence number."""
        if seq != self.expected:
            bad = min(seq, self.expected)
            return self.fail(bad, f"sequence jumps from {self.expected - 1} to {seq}")
        if prev_hash != self.prev_hash:
            return self.fail(seq, "previous-hash link broken")
        if computed != stored:
            return self.fail(seq, "contents do not match their hash")
        if mac is None:
            if self.anchored_from is not None:
                return self.fail(
                    seq,
                    f"no MAC, although events are anchored from sequence {self.anchored_from}: "
                    "the MAC was removed, or the event was written without the audit key",
                )
        else:
            if self.anchored_from is None:
                self.anchored_from = seq
            if self.keys is not None and not audit_key.matches(
                self.keys, audit_key.event_message(stored), mac
            ):
                return self.fail(
                    seq,
                    "MAC does not match the audit key: the chain was rewritten by someone "
                    "without the key (or the key given is not the one that signed it)",
                )
        self.prev_hash, self.expected, self.checked = stored, seq + 1, self.checked + 1
        return None

    def finish(self, head: tuple[object, object] | None) -> VerifyResult:
        """Compare with the recorded head (None: there is none to compare with)."""
        if head is not None and (head[0] != self.checked or head[1] != self.prev_hash):
            return self.fail(self.checked + 1, "chain ends before its recorded head")
        return VerifyResult(
            True,
            self.checked,
            anchored_from=self.anchored_from,
            macs_checked=self.keys is not None and self.anchored_from is not None,
            last_hash=self.prev_hash,
        )
