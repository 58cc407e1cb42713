"""The audit hash chain: each audited event stores ``prev`` (the hash before it) and
``hash = sha256(prev || canonical_json(record))``, so that editing, deleting or reordering a record breaks
verification from that record on.

The chain is one per store. Its records are numbered 1, 2, 3… (``pos``); the first ``prev`` is
:data:`GENESIS`. When retention removes the start of the chain, the store keeps a :class:`ChainBase` (the
last removed position and its hash) and verification starts there.

What a chain does and does not prove: anyone who can rewrite the database can also recompute every hash after
an edit. Keep the head (``garrison audit verify`` prints it) somewhere the store's writer cannot reach, and
pass it back as an anchor: verification then also fails when the chain was rewritten or cut short before it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from garrison.model import Event, canonical_json

__all__ = [
    "GENESIS",
    "AuditRecord",
    "ChainBase",
    "VerifyResult",
    "audit_payload",
    "chain_hash",
    "verify_records",
]

GENESIS = "sha256:" + "0" * 64
FORMAT = 1
"""Version of :func:`audit_payload`; part of every hashed record, so a change is never silent."""


@dataclass(frozen=True, slots=True)
class ChainBase:
    """Where the stored chain starts: after ``pos`` records (``pruned`` of them removed by retention)."""

    pos: int = 0
    hash: str = GENESIS
    pruned: int = 0


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One stored chain link: position, the stored ``prev`` and ``hash``, and the event as stored now
    (``None``, with ``problem`` saying why, when the stored row no longer reads as an event)."""

    pos: int
    prev: str
    hash: str
    id: str
    event: Event | None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """``ok`` when every record checks; otherwise ``first_bad_id`` (or position) and ``reason`` name where
    verification failed. ``head`` is the last good hash, ``checked`` how many records were checked."""

    ok: bool
    checked: int
    first_bad_id: str | None = None
    reason: str | None = None
    head: str = GENESIS
    first_bad_pos: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "first_bad_id": self.first_bad_id,
                "first_bad_pos": self.first_bad_pos, "reason": self.reason, "head": self.head}


def audit_payload(event: Event) -> bytes:
    """The bytes hashed for one record: canonical JSON of the whole event as stored (id included). Kept
    apart from any display format on purpose: changing it would break every existing chain."""
    ls = event.logsource
    return canonical_json({
        "format": FORMAT, "id": event.id, "time": event.time, "source": event.source,
        "logsource": {"product": ls.product, "category": ls.category, "service": ls.service},
        "fields": dict(event.fields), "links": dict(event.links),
    })


def chain_hash(prev: str, event: Event) -> str:
    """``sha256(prev || canonical_json(record))`` as ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(prev.encode("ascii") + audit_payload(event)).hexdigest()


def _bad(checked: int, record: AuditRecord | None, reason: str, head: str, pos: int) -> VerifyResult:
    return VerifyResult(False, checked, record.id if record else None, reason, head, pos)


def verify_records(records: Iterable[AuditRecord], base: ChainBase = ChainBase(), *,
                   anchors: Sequence[str] = ()) -> VerifyResult:
    """Check ``records`` (in chain order) from ``base``: positions without gaps, each ``prev`` equal to the
    hash before it, each ``hash`` recomputed from the event. Every anchor must be met on the way."""
    expected_prev, expected_pos, checked = base.hash, base.pos + 1, 0
    waiting = set(anchors) - {base.hash}
    for record in records:
        if record.pos != expected_pos:
            what = "missing" if record.pos > expected_pos else "out of order"
            return _bad(checked, record, f"record {expected_pos} is {what} (found {record.pos} next)",
                        expected_prev, expected_pos)
        if record.prev != expected_prev:
            return _bad(checked, record, f"record {record.pos} does not follow the one before it "
                        "(deleted, inserted or reordered records)", expected_prev, record.pos)
        if record.event is None:
            return _bad(checked, record, f"record {record.pos} is unreadable: {record.problem}", expected_prev,
                        record.pos)
        try:
            actual = chain_hash(record.prev, record.event)
        except (TypeError, ValueError) as err:
            return _bad(checked, record, f"record {record.pos} cannot be hashed: {err}", expected_prev, record.pos)
        if actual != record.hash:
            return _bad(checked, record, f"record {record.pos} was changed after it was written (hash mismatch)",
                        expected_prev, record.pos)
        checked += 1
        expected_prev, expected_pos = record.hash, expected_pos + 1
        waiting.discard(record.hash)
    if waiting:
        return VerifyResult(False, checked, None, f"anchor {sorted(waiting)[0]} is not in the chain (the chain was "
                            "rewritten or cut short)", expected_prev, None)
    return VerifyResult(True, checked, head=expected_prev)
