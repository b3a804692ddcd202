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
            group = [first]
            deadline = time.monotonic() + self.max_wait
            stop = False
            while len(group) < self.max_items:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    self._queue.task_done()
                    break
                group.append(item)
            commit(self.write, group)
            for _ in group:
                self._queue.task_done()
            if stop:
                return


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
