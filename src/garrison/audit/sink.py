"""An event sink for the gateway: each call record goes into the store's audit chain as it happens."""

from __future__ import annotations

from garrison.model import Event
from garrison.store.interface import Store

__all__ = ["AuditSink"]


class AuditSink:
    """``sink(event)`` appends ``event`` to the audit chain of ``store`` in its own transaction, so a record
    is on disk before the next request is relayed. A store failure raises
    :class:`~garrison.errors.StoreError`; the caller decides whether to stop relaying (fail closed)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.written = 0

    def __call__(self, event: Event) -> None:
        self._store.append_audit([event])
        self.written += 1
