"""Sends on non-blocking sockets: one thread running an asyncio event loop carries the
sends of rows made ready ahead of their second (bantin.ahead), where the lean path
(bantin.channels.lean) parks one blocked thread on each.

Why, measured on this machine (docs/performance.md, round four): at a morning burst of
1,984 webhooks, 256 threads each sending on `http.client` spent their time handing the
interpreter lock to each other; the same sends from one event loop take about a third of
the CPU, and the burst drains in about half the time, bounded by the receiver.

The wire is h11's, the sans-I/O HTTP/1.1 library httpx and uvicorn are built on: it frames
requests and answers (length, chunked, or until close), refuses malformed headers and
says when a connection may be kept. What bantin adds is what the lean path does: requests
go to the address the outbound policy checked (`lean.Target`, resolved and checked by the
caller on every request), TLS with the host name in SNI and the certificate check against
requests' CA bundle, Nagle off and TCP keep-alive on, kept-alive connections per address
up to the dispatch workers (most recent first, one request at a time on each, dropped
when the peer closes them), a deadline per request from its write to its last byte (so a
server dripping its answer is abandoned on time), and failures handed over as requests'
exceptions, which channels map to the same channel errors as `publish`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence

import h11
import requests

from bantin.channels import lean
from bantin.channels.pool import SOCKET_OPTIONS

log = logging.getLogger(__name__)

#: Called on the loop's thread with the answer, or with the failure (a requests exception).
Done = Callable[[requests.Response | None, Exception | None], None]


class _Job:
    __slots__ = ("body", "done", "headers", "reason", "request", "status", "timer")

    def __init__(self, request: lean.Prepared, done: Done) -> None:
        self.request, self.done = request, done
        self.timer: asyncio.TimerHandle | None = None
        self.status, self.reason = 0, ""
        self.headers: list[tuple[str, str]] = []
        self.body: list[bytes] = []


class SendLoop:
    """The event loop's thread and its connections; `send` and `warm` may be called from
    any thread, `close` waits for what was handed over."""

    def __init__(self, per_target: int) -> None:
        self.per_target = max(1, per_target)
        self.loop = asyncio.new_event_loop()
        self._slots: dict[lean.Target, _Slot] = {}
        self._pending = 0
        self._idle = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="sendloop", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
            tasks = asyncio.all_tasks(self.loop)  # connections still opening
            for task in tasks:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        finally:
            self.loop.close()

    def send(self, items: Sequence[tuple[lean.Prepared, Done]]) -> None:
        """Hand requests over; each `done` is called once, on the loop's thread."""
        if not items:
            return
        with self._idle:
            self._pending += len(items)
        self.loop.call_soon_threadsafe(self._accept, list(items))

    def warm(self, target: lean.Target, count: int, timeout: float) -> None:
        """Open up to `count` connections to `target` ahead of its requests (handshakes,
        no request), within its limit; a failure here is met again by the sends."""
        self.loop.call_soon_threadsafe(lambda: self._slot(target).warm(count, timeout))

    def pending(self) -> int:
        with self._idle:
            return self._pending

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every request handed over has had its `done` called."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float | None = None) -> None:
        """Let the requests handed over finish (each is bounded by its deadline), then
        close the connections and stop the thread."""
        self.wait_idle(timeout)
        with self._idle:
            if self._closing:
                return
            self._closing = True
        self.loop.call_soon_threadsafe(self._stop)
        self._thread.join(timeout)

    def _stop(self) -> None:
        for slot in self._slots.values():
            slot.close()
        self.loop.stop()

    def _slot(self, target: lean.Target) -> _Slot:
        slot = self._slots.get(target)
        if slot is None:
            slot = self._slots.setdefault(target, _Slot(self, target, self.per_target))
        return slot

    def _accept(self, items: list[tuple[lean.Prepared, Done]]) -> None:
        touched: dict[lean.Target, _Slot] = {}
        for request, done in items:
            slot = touched.get(request.target) or self._slot(request.target)
            touched[request.target] = slot
            slot.queue.append(_Job(request, done))
        for slot in touched.values():
            slot.pump()

    def finished(
        self, job: _Job, answer: requests.Response | None, error: Exception | None
    ) -> None:
        """Report a job's end to its caller, once; a caller's bug is logged, not raised
        into the loop."""
        if job.timer is not None:
            job.timer.cancel()
        try:
            job.done(answer, error)
        except Exception:
            log.exception("a send loop callback failed")
        finally:
            with self._idle:
                self._pending -= 1
                if self._pending <= 0:
                    self._idle.notify_all()


class _Slot:
    """The connections to one target: idle ones (the most recent last), how many are
    open or opening (never more than the limit), and the requests waiting for one."""

    def __init__(self, owner: SendLoop, target: lean.Target, limit: int) -> None:
        self.owner, self.target, self.limit = owner, target, limit
        self.idle: list[_Connection] = []
        self.open = 0  # connected, busy or idle, or connecting
        self.connecting = 0
        self.queue: deque[_Job] = deque()

    def pump(self) -> None:
        """Start what waits on idle connections; open more, as many as wait, within
        the limit."""
        while self.queue:
            if self.idle:
                conn = self.idle.pop()
                if not conn.usable():  # closing: its connection_lost is on its way
                    continue
                conn.start(self.queue.popleft())
            elif self.connecting < len(self.queue) and self.open < self.limit:
                self._open(self.queue[0].request.timeout, for_job=True)
            else:
                return

    def warm(self, count: int, timeout: float) -> None:
        for _ in range(min(count, self.limit - self.open)):
            self._open(timeout, for_job=False)

    def _open(self, timeout: float, *, for_job: bool) -> None:
        self.open += 1
        self.connecting += 1
        self.owner.loop.create_task(self._connect(timeout, for_job))

    async def _connect(self, timeout: float, for_job: bool) -> None:
        to = self.target
        tls = to.scheme == "https"
        try:
            _, conn = await asyncio.wait_for(
                self.owner.loop.create_connection(
                    lambda: _Connection(self),
                    to.ip,
                    to.port,
                    ssl=lean.tls_context() if tls else None,
                    server_hostname=to.name if tls else None,
                ),
                timeout,
            )
        except Exception as exc:
            self.connecting -= 1
            self.open -= 1
            if for_job and self.queue:  # the request this connection was opened for fails
                job = self.queue.popleft()
                self.owner.finished(job, None, lean.as_requests_error(exc, connecting=True))
            else:
                log.debug("opening a connection to %s failed: %s", to.name, type(exc).__name__)
            self.pump()
            return
        self.connecting -= 1
        self.idle.append(conn)
        self.pump()

    def release(self, conn: _Connection) -> None:
        """A connection finished a request and may be kept."""
        self.idle.append(conn)
        self.pump()

    def forget(self, conn: _Connection) -> None:
        """An idle connection its peer closed or spoke on: never to be used again."""
        if conn in self.idle:
            self.idle.remove(conn)

    def lost(self, conn: _Connection) -> None:
        """A connection closed (by either side)."""
        self.open -= 1
        self.forget(conn)
        self.pump()

    def close(self) -> None:
        for conn in list(self.idle):
            conn.abort()


class _Connection(asyncio.Protocol):
    """One kept-alive connection: one request at a time, framed by h11."""

    def __init__(self, slot: _Slot) -> None:
        self.slot = slot
        self.transport: asyncio.Transport | None = None
        self.h11 = h11.Connection(h11.CLIENT)
        self.job: _Job | None = None
        self.gone = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            for level, option, value in SOCKET_OPTIONS:
                sock.setsockopt(level, option, value)

    def start(self, job: _Job) -> None:
        self.job = job
        request = job.request
        job.timer = self.slot.owner.loop.call_later(request.timeout, self._timed_out)
        try:
            wire = self.h11.send(
                h11.Request(method=request.method, target=request.path, headers=request.headers)
            )
            wire = (wire or b"") + (self.h11.send(h11.Data(data=request.body)) or b"")
            wire += self.h11.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError as exc:
            self._fail(requests.exceptions.InvalidHeader(str(exc)))
            return
        assert self.transport is not None
        self.transport.write(wire)

    def usable(self) -> bool:
        return not self.gone and self.transport is not None and not self.transport.is_closing()

    def data_received(self, data: bytes) -> None:
        if self.job is None:  # an idle connection spoken to: not ours to read
            self.slot.forget(self)
            self.abort()
            return
        try:
            self.h11.receive_data(data)
            self._read()
        except h11.RemoteProtocolError as exc:
            self._fail(requests.ConnectionError(f"bad answer: {exc}"))

    def eof_received(self) -> bool | None:
        if self.job is None:  # the peer closed an idle connection
            self.slot.forget(self)
        else:
            try:
                self.h11.receive_data(b"")  # an answer framed by the close ends here
                self._read()
            except h11.RemoteProtocolError as exc:
                self._fail(requests.ConnectionError(f"bad answer: {exc}"))
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.gone:
            return
        self.gone = True
        if self.job is not None:
            why = exc or ConnectionResetError("the peer closed the connection without an answer")
            self._fail(lean.as_requests_error(why, connecting=False), lost=True)
        self.slot.lost(self)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def _read(self) -> None:
        job = self.job
        while job is not None:
            event = self.h11.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Response):
                job.status, job.reason = event.status_code, event.reason.decode("latin-1")
                job.headers = [(k.decode("latin-1"), v.decode("latin-1"))
                               for k, v in event.headers.raw_items()]  # fmt: skip
            elif isinstance(event, h11.Data):
                job.body.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                self._answered(job)
                return
            elif isinstance(event, h11.ConnectionClosed):
                raise h11.RemoteProtocolError("closed before the answer ended")

    def _answered(self, job: _Job) -> None:
        self.job = None
        url = job.request.url
        encoding = next((v for k, v in job.headers if k.lower() == "content-encoding"), None)
        try:
            content = lean.decoded(b"".join(job.body), encoding)
        except Exception as exc:
            self.slot.owner.finished(job, None, lean.as_requests_error(exc, connecting=False))
            self.abort()
            return
        answer = lean.response(job.status, job.reason, job.headers, content, url)
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
            self.slot.owner.finished(job, answer, None)
            if not self.gone:
                self.slot.release(self)
        else:
            self.slot.owner.finished(job, answer, None)
            self.abort()

    def _timed_out(self) -> None:
        if self.job is not None:
            self._fail(requests.ReadTimeout(f"no answer within {self.job.request.timeout:g} s"))

    def _fail(self, error: Exception, lost: bool = False) -> None:
        job, self.job = self.job, None
        if job is not None:
            self.slot.owner.finished(job, None, error)
        if not lost:
            self.abort()
