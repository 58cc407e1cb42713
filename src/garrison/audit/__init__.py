"""The tamper-evident audit trail: tool-call events hash-chained in the store, and their verification."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from garrison.audit.chain import GENESIS, AuditRecord, ChainBase, VerifyResult, chain_hash, verify_records

if TYPE_CHECKING:
    from garrison.store.interface import Store

__all__ = ["GENESIS", "AuditRecord", "ChainBase", "VerifyResult", "chain_hash", "verify_chain", "verify_records"]


def verify_chain(store: Store, *, anchors: Sequence[str] = ()) -> VerifyResult:
    """Check the store's whole audit chain (see :func:`verify_records`)."""
    return verify_records(store.audit_records(), store.audit_base(), anchors=anchors)
