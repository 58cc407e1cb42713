"""Canonical JSON and content hashes.

A pin is only as good as its hash: the same definition must hash the same way on every machine and in every
Python version. Canonical form is sorted-key, compact, UTF-8 JSON with no NaN/Infinity; the digest is SHA-256
written as ``sha256:<hex>``.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import orjson

__all__ = ["canonical_json", "digest"]


def _check_finite(value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("canonical JSON cannot encode NaN or Infinity")
    if isinstance(value, dict):
        for item in value.values():
            _check_finite(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_finite(item)


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` to canonical JSON bytes (sorted keys, compact, UTF-8)."""
    _check_finite(value)
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def digest(value: Any) -> str:
    """Return ``sha256:<hex>`` over the canonical JSON of ``value``."""
    return "sha256:" + hashlib.sha256(canonical_json(value)).hexdigest()
