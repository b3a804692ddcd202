"""Keeping the garbage collector's full passes out of a burst's second.

CPython's cyclic collector walks every tracked object of the process in a full
(generation 2) pass. A runner holds hundreds of thousands (SQLAlchemy's mappers and
compiled statements, templates, the plan); measured at a burst of 1,984 webhooks, three
full passes took 55 to 108 ms each, and one falling inside the due second stopped every
send for that long (docs/performance.md, round four).

So while rows made ready ahead wait for their second (bantin.ahead), the runner collects
once and freezes what survives (`gc.freeze`): the collections the burst's own objects
cause then walk only those. When the pass ends the frozen objects are handed back to the
collector (`gc.unfreeze`), so nothing that became garbage meanwhile is kept for long.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_frozen = 0


def settle() -> None:
    """Collect now (while waiting, not during the second) and freeze what survives."""
    global _frozen
    with _lock:
        _frozen += 1
        if _frozen == 1:
            gc.collect()
            gc.freeze()


def release() -> None:
    """Hand the frozen objects back to the collector (once every settle is released)."""
    global _frozen
    with _lock:
        if _frozen == 0:
            return
        _frozen -= 1
        if _frozen == 0:
            gc.unfreeze()


def frozen() -> bool:
    with _lock:
        return _frozen > 0
