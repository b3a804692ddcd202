"""Group commit of send outcomes: one write transaction for many publications.

A transaction per outcome made every worker thread queue for SQLite's one writer (and, on
PostgreSQL, for the audit head) after each send. Here the workers hand their results to
one committer thread, which writes whatever has arrived — up to `max_items`, waiting at
most `max_wait` seconds after the first — in one transaction.

Nothing is lost by waiting: until its outcome is committed a row stays `sending` with its
attempt on record, exactly as during the network call, so a crash in between is
reconciled like a crash during the send (docs/guarantees.md).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence

from bantin.batchwrite import Sent

log = logging.getLogger("bantin.dispatch")

#: Outcomes written in one transaction at most, and how long the first one waits for more.
MAX_ITEMS = 128
MAX_WAIT = 0.005
#: While a burst made ready ahead is leaving (`hold`), outcomes wait for it to end: at most
#: this long after the first, and at most this many. The burst's sends get the CPU the
#: writes would have taken; until written the rows stay `sending` with their attempts, as
#: during their network calls, and those rows are all on channels that deduplicate, so a
#: crash meanwhile resends them with their keys (docs/guarantees.md).
MAX_HOLD = 1.0
MAX_HOLD_ITEMS = 4096

Writer = Callable[[Sequence[Sent]], dict[int, str]]


class GroupCommit:
    """A committer thread fed by `put`; `flush` waits until everything put is written."""

    def __init__(
        self, write: Writer, max_items: int = MAX_ITEMS, max_wait: float = MAX_WAIT
    ) -> None:
        self.write = write
        self.max_items = max_items
        self.max_wait = max_wait
        self._queue: queue.Queue[Sent | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._holding = threading.Event()

    def hold(self) -> None:
        """Outcomes wait (see MAX_HOLD) until `release`."""
        self._holding.set()

    def release(self) -> None:
        self._holding.clear()

    def put(self, sent: Sent) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="dispatch-commit", daemon=True
                )
                self._thread.start()
        self._queue.put(sent)

    def flush(self) -> None:
        """Wait until every outcome put so far is committed (or reported as an error)."""
        self._queue.join()

    def close(self) -> None:
        if self._thread is not None:
            self.flush()
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                self._queue.task_done()
                return
            group, stop = self._collect(first)
            for start in range(0, len(group), self.max_items):
                commit(self.write, group[start : start + self.max_items])
            for _ in group:
                self._queue.task_done()
            if stop:
                return

    def _collect(self, first: Sent) -> tuple[list[Sent], bool]:
        """The outcomes to write with `first`, and whether `close` was asked meanwhile."""
        group = [first]
        t0 = time.monotonic()
        while True:
            holding = self._holding.is_set() and time.monotonic() < t0 + MAX_HOLD
            limit, until = (MAX_HOLD_ITEMS, t0 + MAX_HOLD) if holding else (
                self.max_items, t0 + self.max_wait)  # fmt: skip
            left = until - time.monotonic()
            if len(group) >= limit or left <= 0:
                return group, False
            try:  # while holding, look at the hold again at least every 20 ms
                item = self._queue.get(timeout=min(left, 0.02) if holding else left)
            except queue.Empty:
                continue
            if item is None:
                self._queue.task_done()
                return group, True
            group.append(item)


def commit(write: Writer, group: Sequence[Sent]) -> None:
    """Write a group; when the transaction fails, write each alone so one bad row cannot
    keep the others' outcomes off the record. A row that still fails stays `sending` and
    is reconciled when its lease runs out."""
    try:
        states = write(group)
    except Exception:
        if len(group) == 1:
            log.exception("recording the outcome of publication %s failed", group[0].pub_id)
            group[0].done("error")
            return
        for item in group:
            commit(write, [item])
        return
    for item in group:
        item.done(states.get(item.pub_id, "skipped"))
