"""What one dispatch pass did, counted as its outcomes arrive from the pool's threads."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class PassStats:
    claimed: int = 0
    published: int = 0
    retried: int = 0
    failed: int = 0
    missed: int = 0
    unknown: int = 0
    released: int = 0
    recovered: int = 0
    reviews: int = 0
    outcomes: dict[int, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, pub_id: int, outcome: str) -> None:
        with self._lock:
            self._count(pub_id, outcome)

    def _count(self, pub_id: int, outcome: str) -> None:
        self.outcomes[pub_id] = outcome
        attr = {
            "published": "published",
            "retry_wait": "retried",
            "failed": "failed",
            "missed": "missed",
            "unknown": "unknown",
            "released": "released",
        }.get(outcome)
        if attr:
            setattr(self, attr, getattr(self, attr) + 1)
