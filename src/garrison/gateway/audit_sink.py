"""The gateway's audit trail: call records into the store's hash chain, off the relay's path (the edge).

:class:`AuditWriter` is an event sink. ``writer(event)`` only queues the event; a background thread opens the
store (lazily, in that thread) and appends queued events to the audit chain (``Store.append_audit``) in
batches, letting a burst gather for up to ``linger`` seconds (50 ms) so that it costs one commit. A store
failure never drops an event silently:

* the batch stays queued and is retried with back-off (``retry`` seconds, doubling up to ``max_retry``);
* the first failure of a streak is reported on stderr, and so is the recovery;
* the queue is bounded (``max_buffer``); past it the oldest events are dropped *and counted*, with a notice;
* on :meth:`close` the writer finishes what it can (at most ``close_timeout`` seconds) and reports on stderr
  how many events it could not write.

:class:`AuditGate` makes the trail mandatory (``--audit-required``): while the writer is failing, every
``tools/call`` is refused with JSON-RPC error ``-32010`` naming the store and the error (fail closed).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from garrison.gateway.interceptors import PASS, BaseInterceptor, Decision, SessionState
from garrison.gateway.messages import REQUEST_DENIED, Message
from garrison.model import Event

__all__ = ["AuditGate", "AuditWriter", "ChainStore"]

Notice = Callable[[str], None]
BATCH = 256


class ChainStore(Protocol):
    def append_audit(self, events: Sequence[Event]) -> list[str]: ...
    def close(self) -> None: ...


class AuditWriter:
    """``open_store`` is called in the writer thread; ``where`` names the store in notices and errors."""

    def __init__(self, open_store: Callable[[], ChainStore], *, where: str, notice: Notice,
                 max_buffer: int = 100_000, retry: float = 0.5, max_retry: float = 30.0,
                 close_timeout: float = 5.0, linger: float = 0.05) -> None:
        self._open = open_store
        self.where = where
        self._notice = notice
        self._max_buffer = max_buffer
        self._retry, self._max_retry = retry, max_retry
        self._close_timeout = close_timeout
        self._queue: deque[Event] = deque()
        self._cond = threading.Condition()
        self._stop = False
        self.error: str | None = None
        """The last write error while failing, else ``None``."""
        self.written = 0
        self.dropped = 0
        self._busy = False
        self._failures = 0
        self._flushing = 0
        self._linger = linger
        self._thread = threading.Thread(target=self._run, name="garrison-audit", daemon=True)
        self._thread.start()

    @property
    def healthy(self) -> bool:
        return self.error is None

    def __call__(self, event: Event) -> None:
        with self._cond:
            if len(self._queue) >= self._max_buffer:
                self._queue.popleft()
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    self._notice(f"audit buffer full ({self._max_buffer} events) while {self.where} is failing: "
                                 f"{self.dropped} oldest event(s) dropped so far")
            self._queue.append(event)
            self._cond.notify()

    def flush(self, timeout: float) -> bool:
        """Wait until everything queued is written (``True``), or the next write attempt fails or ``timeout``
        passes (``False``)."""
        with self._cond:
            failures = self._failures
            self._flushing += 1
            self._cond.notify_all()
            try:
                self._cond.wait_for(lambda: (not self._queue and not self._busy) or self._failures > failures,
                                    timeout)
            finally:
                self._flushing -= 1
            return not self._queue and not self._busy

    def _run(self) -> None:
        store: ChainStore | None = None
        delay = self._retry
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._stop)
                if not self._queue:
                    break
                # Let a burst gather into one transaction (one commit instead of one per call).
                self._cond.wait_for(lambda: self._stop or self._flushing or len(self._queue) >= BATCH,
                                    self._linger)
                batch = [self._queue[i] for i in range(min(BATCH, len(self._queue)))]
                self._busy = True
            try:
                if store is None:
                    store = self._open()
                store.append_audit(batch)
            except Exception as err:  # any store failure: keep the batch, say so, retry later
                text = f"{type(err).__name__}: {err}"
                with self._cond:
                    self._busy = False
                    first = self.error is None
                    self.error = text
                    self._failures += 1
                    self._cond.notify_all()
                if first:
                    self._notice(f"cannot write the audit trail to {self.where} ({text}); "
                                 f"{len(self._queue)} event(s) kept, retrying")
                if store is not None:
                    self._drop(store)
                    store = None
                with self._cond:
                    if self._cond.wait_for(lambda: self._stop, delay):
                        break
                delay = min(delay * 2, self._max_retry)
                continue
            with self._cond:
                for _ in batch:
                    if self._queue:
                        self._queue.popleft()
                self.written += len(batch)
                self._busy = False
                recovered = self.error is not None
                self.error = None
                self._cond.notify_all()
            if recovered:
                self._notice(f"audit trail to {self.where} is writing again")
            delay = self._retry
        if store is not None:
            self._drop(store)

    @staticmethod
    def _drop(store: ChainStore) -> None:
        try:
            store.close()
        except Exception:  # noqa: S110 - closing a broken store must not stop the retry loop
            pass

    def close(self) -> None:
        """Write what is queued (up to ``close_timeout`` seconds), stop the thread, report what is left."""
        self.flush(self._close_timeout)
        with self._cond:
            self._stop = True
            left = len(self._queue)
            self._cond.notify_all()
        self._thread.join(self._close_timeout)
        if left or self.dropped:
            self._notice(f"{left + self.dropped} audit event(s) were not written to {self.where}"
                         + (f" (last error: {self.error})" if self.error else ""))


class AuditGate(BaseInterceptor):
    """Refuses calls while ``writer`` cannot write (the audit trail is required)."""

    name = "audit"

    def __init__(self, writer: AuditWriter) -> None:
        self.writer = writer

    def on_client_request(self, msg: Message, session: SessionState) -> Decision:
        error = self.writer.error
        if error is None or msg.method not in ("tools/call", "prompts/get", "resources/read"):
            return PASS
        return Decision.reply_error(
            REQUEST_DENIED,
            f"the audit trail is required and {self.writer.where} cannot be written ({error}); call refused",
            {"server": session.server, "store": self.writer.where}, reason="audit trail unavailable")
