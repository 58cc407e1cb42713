"""Suppressions: accepted findings, each with a reason and an optional expiry date.

``.garrison-suppressions.yaml``::

    suppressions:
      - rule: G802                # required: a rule ID
        server: filesystem        # optional, shell-style pattern (``*``, ``?``, ``[ab]``)
        target: "tool:write_*"    # optional, shell-style pattern
        reason: reviewed in SEC-1234, writes are confined to /srv   # required
        expires: 2026-06-30       # optional; from the day after, the entry stops suppressing and warns

A bare list of entries is accepted too. Unknown keys are errors (a misspelt ``expires`` must not make a
suppression permanent). Loading is I/O; :func:`parse_suppressions` and :func:`apply` are pure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase

from garrison.errors import ConfigParseError, LimitExceeded
from garrison.model import Finding

__all__ = [
    "DEFAULT_SUPPRESSIONS_FILE",
    "MAX_SUPPRESSIONS_BYTES",
    "Suppression",
    "apply",
    "load_suppressions",
    "parse_suppressions",
]

DEFAULT_SUPPRESSIONS_FILE = ".garrison-suppressions.yaml"
MAX_SUPPRESSIONS_BYTES = 1024 * 1024
_KEYS = frozenset({"rule", "server", "target", "reason", "expires"})
_RULE = re.compile(r"G\d{3}|[A-Za-z][\w.-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class Suppression:
    """One entry. ``where`` is ``file:line`` of the entry, named in warnings."""

    rule: str
    reason: str
    server: str | None = None
    target: str | None = None
    expires: date | None = None
    where: str = ""

    def matches(self, finding: Finding) -> bool:
        return (
            finding.rule == self.rule
            and (self.server is None or fnmatchcase(finding.server, self.server))
            and (self.target is None or fnmatchcase(finding.target, self.target))
        )

    def expired(self, today: date) -> bool:
        return self.expires is not None and today > self.expires


def _entry(node: object, path: str) -> Suppression:
    import yaml

    assert isinstance(node, yaml.Node)
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        raise ConfigParseError("a suppression must be a mapping with 'rule' and 'reason'", path=path,
                               line=line)
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        at = key_node.start_mark.line + 1
        if key not in _KEYS:
            allowed = ", ".join(sorted(_KEYS))
            raise ConfigParseError(f"unknown key {key!r} (allowed: {allowed})", path=path, line=at)
        if not isinstance(value_node, yaml.ScalarNode) or value_node.tag.endswith((":null", ":bool")):
            raise ConfigParseError(f"{key!r} must be a string", path=path, line=at)
        if key in values:
            raise ConfigParseError(f"{key!r} given twice", path=path, line=at)
        values[key], lines[key] = str(value_node.value).strip(), at
    if not values.get("rule") or not _RULE.fullmatch(values["rule"]):
        raise ConfigParseError("'rule' must name a rule ID such as G801", path=path,
                               line=lines.get("rule", line))
    if not values.get("reason"):
        raise ConfigParseError(f"suppression of {values['rule']} has no 'reason'", path=path,
                               line=lines.get("reason", line))
    expires = None
    if "expires" in values:
        try:
            if not _DATE.fullmatch(values["expires"]):
                raise ValueError(values["expires"])
            expires = date.fromisoformat(values["expires"])
        except ValueError:
            raise ConfigParseError(f"'expires' must be a date YYYY-MM-DD, not {values['expires']!r}",
                                   path=path, line=lines["expires"]) from None
    return Suppression(rule=values["rule"], reason=values["reason"], server=values.get("server"),
                       target=values.get("target"), expires=expires, where=f"{path}:{line}")


def _no_aliases(node: object, path: str, seen: set[int]) -> None:
    import yaml

    assert isinstance(node, yaml.Node)
    if id(node) in seen:
        raise ConfigParseError("YAML aliases are not allowed here", path=path, line=node.start_mark.line + 1)
    seen.add(id(node))
    children: list[object] = []
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    for child in children:
        _no_aliases(child, path, seen)


def parse_suppressions(text: str, *, path: str = DEFAULT_SUPPRESSIONS_FILE) -> list[Suppression]:
    """Parse suppressions from YAML ``text``; every error names ``path:line``."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        raise ConfigParseError(f"invalid YAML: {err.problem}", path=path,
                               line=mark.line + 1 if mark else None) from err
    except yaml.YAMLError as err:
        raise ConfigParseError(f"invalid YAML: {err}", path=path) from err
    if root is None:
        return []
    _no_aliases(root, path, set())
    entries: object = root
    if isinstance(root, yaml.MappingNode):
        keys = [k.value for k, _ in root.value]
        if keys != ["suppressions"]:
            raise ConfigParseError("expected a top-level 'suppressions' list", path=path,
                                   line=root.start_mark.line + 1)
        entries = root.value[0][1]
    if isinstance(entries, yaml.ScalarNode) and entries.tag.endswith(":null"):
        return []
    if not isinstance(entries, yaml.SequenceNode):
        assert isinstance(entries, yaml.Node)
        raise ConfigParseError("suppressions must be a list", path=path, line=entries.start_mark.line + 1)
    return [_entry(node, path) for node in entries.value]


def load_suppressions(path: str | os.PathLike[str], *,
                      max_bytes: int = MAX_SUPPRESSIONS_BYTES) -> list[Suppression]:
    """Read and parse a suppressions file (UTF-8, at most ``max_bytes``)."""
    name = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as err:
        raise ConfigParseError(f"cannot read suppressions: {err.strerror or err}", path=name) from err
    if len(raw) > max_bytes:
        raise LimitExceeded(f"suppressions file is larger than {max_bytes} bytes", where=name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigParseError(f"suppressions file is not UTF-8: {err.reason}", path=name) from err
    return parse_suppressions(text, path=name)


def apply(
    findings: Sequence[Finding], suppressions: Sequence[Suppression], today: date
) -> tuple[list[Finding], list[tuple[Finding, Suppression]], list[str]]:
    """Split ``findings`` into kept and suppressed (with the entry that matched).

    An entry whose ``expires`` date is before ``today`` suppresses nothing and yields one warning.
    """
    active = [s for s in suppressions if not s.expired(today)]
    warnings = [
        f"{s.where}: suppression of {s.rule} expired on {s.expires}; its findings are reported again"
        for s in suppressions
        if s.expired(today)
    ]
    kept: list[Finding] = []
    suppressed: list[tuple[Finding, Suppression]] = []
    for finding in findings:
        match = next((s for s in active if s.matches(finding)), None)
        if match is None:
            kept.append(finding)
        else:
            suppressed.append((finding, match))
    return kept, suppressed, warnings
