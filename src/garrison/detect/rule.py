"""The Sigma rule model: a parsed, validated rule document (pure: mapping in, :class:`SigmaRule` out).

Reading YAML files is the caller's business (:mod:`garrison.events.rulefiles`); this module only checks
the shape of one already-loaded document and names ``where`` (``path`` or ``path#doc``) in every error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from garrison.errors import RuleError
from garrison.model import LogSource, Severity

__all__ = ["LEVELS", "SAMPLES_KEY", "SigmaRule", "parse_rule", "split_tags"]

SAMPLES_KEY = "x-garrison-samples"
LEVELS = {
    "informational": Severity.INFO, "low": Severity.LOW, "medium": Severity.MEDIUM,
    "high": Severity.HIGH, "critical": Severity.CRITICAL,
}
_TECHNIQUE_TAG = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$", re.IGNORECASE)
_TACTIC_ID_TAG = re.compile(r"^attack\.(ta\d{4})$", re.IGNORECASE)
_OTHER_ATTACK_TAG = re.compile(r"^attack\.([gs]\d{4})$", re.IGNORECASE)
_TACTIC_NAME_TAG = re.compile(r"^attack\.([a-z][a-z_-]+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SigmaRule:
    """One Sigma detection rule. ``detection`` keeps the search identifiers as written."""

    id: str
    title: str
    level: Severity
    logsource: LogSource
    detection: Mapping[str, Any]
    conditions: tuple[str, ...]
    where: str
    status: str | None = None
    description: str = ""
    tags: tuple[str, ...] = ()
    techniques: tuple[str, ...] = ()
    """ATT&CK technique IDs from ``attack.tNNNN[.NNN]`` tags, upper-cased."""
    tactics: tuple[str, ...] = ()
    """ATT&CK tactic short names (``credential-access``) or IDs (``TA0006``) from tags."""
    falsepositives: tuple[str, ...] = ()
    samples: Mapping[str, Any] | None = field(default=None)
    """The ``x-garrison-samples`` block (``positive``/``negative`` lists of field mappings), if any."""
    name: str | None = None
    """Sigma ``name``: how correlation rules may refer to this rule (besides its ``id``)."""


def split_tags(tags: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(techniques, tactics)`` named by Sigma ``attack.*`` tags, in tag order, without duplicates."""
    techniques: list[str] = []
    tactics: list[str] = []
    for tag in tags:
        if m := _TECHNIQUE_TAG.match(tag):
            value = m.group(1).upper()
            if value not in techniques:
                techniques.append(value)
        elif m := _TACTIC_ID_TAG.match(tag):
            value = m.group(1).upper()
            if value not in tactics:
                tactics.append(value)
        elif _OTHER_ATTACK_TAG.match(tag):
            continue
        elif m := _TACTIC_NAME_TAG.match(tag):
            value = m.group(1).lower().replace("_", "-")
            if value not in tactics:
                tactics.append(value)
    return tuple(techniques), tuple(tactics)


def _text(doc: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
    value = doc.get(key)
    if value is None:
        if required:
            raise RuleError(f"missing required field {key!r}", where=where)
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise RuleError(f"field {key!r} must be a string", where=where)
    return str(value)


def _string_list(doc: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = doc.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        raise RuleError(f"field {key!r} must be a list of strings", where=where)
    return tuple(str(v) for v in value if v is not None)


def _logsource(doc: Mapping[str, Any], where: str) -> LogSource:
    value = doc.get("logsource")
    if not isinstance(value, Mapping):
        raise RuleError("missing or invalid 'logsource' (expected a mapping)", where=where)
    parts = {}
    for key in ("product", "category", "service"):
        item = value.get(key)
        if item is not None and not isinstance(item, str):
            raise RuleError(f"logsource {key!r} must be a string", where=where)
        parts[key] = item.lower() if isinstance(item, str) else None
    if not any(parts.values()):
        raise RuleError("logsource names no product, category or service", where=where)
    return LogSource(**parts)


def parse_rule(doc: Any, *, where: str) -> SigmaRule:
    """Validate one Sigma rule document. Correlation and filter documents are refused with a reason."""
    if not isinstance(doc, Mapping):
        raise RuleError("a rule must be a YAML mapping", where=where)
    if "correlation" in doc:
        raise RuleError("a correlation rule, not a detection rule (read it with parse_correlation)", where=where)
    if "filter" in doc and "detection" not in doc:
        raise RuleError("Sigma filter documents are not supported", where=where)
    title = _text(doc, "title", where, required=True)
    rule_id = _text(doc, "id", where, required=True)
    detection = doc.get("detection")
    if not isinstance(detection, Mapping):
        raise RuleError("missing or invalid 'detection' (expected a mapping)", where=where)
    condition = detection.get("condition")
    if isinstance(condition, str):
        conditions: tuple[str, ...] = (condition,)
    elif isinstance(condition, list) and condition and all(isinstance(c, str) for c in condition):
        conditions = tuple(condition)
    else:
        raise RuleError("detection needs a 'condition' string", where=where)
    level_text = (_text(doc, "level", where, required=False) or "medium").lower()
    if level_text not in LEVELS:
        raise RuleError(f"unknown level {level_text!r} (expected one of: {', '.join(LEVELS)})", where=where)
    tags = _string_list(doc, "tags", where)
    techniques, tactics = split_tags(tags)
    samples = doc.get(SAMPLES_KEY)
    if samples is not None and not isinstance(samples, Mapping):
        raise RuleError(f"{SAMPLES_KEY!r} must be a mapping with 'positive' and 'negative' lists", where=where)
    return SigmaRule(
        id=str(rule_id),
        title=str(title),
        level=LEVELS[level_text],
        logsource=_logsource(doc, where),
        detection={str(k): v for k, v in detection.items() if k not in ("condition", "timeframe")},
        conditions=conditions,
        where=where,
        status=_text(doc, "status", where, required=False),
        description=_text(doc, "description", where, required=False) or "",
        tags=tags,
        techniques=techniques,
        tactics=tactics,
        falsepositives=_string_list(doc, "falsepositives", where),
        samples=samples,
        name=_text(doc, "name", where, required=False),
    )
