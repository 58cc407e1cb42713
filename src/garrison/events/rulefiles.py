"""Reading Sigma rule files from disk (the I/O edge of :mod:`garrison.detect`).

A folder is read recursively (``*.yml``/``*.yaml``, sorted). A file may hold several YAML documents; each is
parsed and compiled on its own, and every document that cannot be used becomes a :class:`RuleFailure` naming
``path`` (and ``#N`` for the N-th document) and the reason. Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from garrison.detect.compiler import CompiledRule, compile_rule
from garrison.detect.correlation import CorrelationRule, known_rule_refs, parse_correlation
from garrison.detect.rule import parse_rule
from garrison.errors import ConfigError, GarrisonError

__all__ = [
    "MAX_RULE_FILE_BYTES",
    "RuleFailure",
    "RuleLoad",
    "builtin_rules_dir",
    "load_rule_paths",
]

MAX_RULE_FILE_BYTES = 1_000_000
_SUFFIXES = (".yml", ".yaml")
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class RuleFailure:
    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class RuleLoad:
    rules: tuple[CompiledRule, ...]
    failures: tuple[RuleFailure, ...]
    correlations: tuple[CorrelationRule, ...] = ()

    @property
    def loaded(self) -> int:
        return len(self.rules) + len(self.correlations)


def builtin_rules_dir() -> Path:
    """The built-in pack: ``garrison/rules`` when packaged, else ``rules/`` of the source checkout."""
    packaged = Path(__file__).resolve().parent.parent / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "rules"


def _rule_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in _SUFFIXES and p.is_file())
    if path.is_file():
        return [path]
    raise ConfigError("no such rule file or folder", where=str(path))


def _documents(path: Path) -> list[Any]:
    if path.stat().st_size > MAX_RULE_FILE_BYTES:
        raise ConfigError(f"rule file larger than {MAX_RULE_FILE_BYTES} bytes", where=str(path))
    text = path.read_text(encoding="utf-8")
    try:
        return [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"YAML does not parse: {getattr(err, 'problem', err)}", where=f"{path}{line}") from None


def load_rule_paths(paths: Iterable[Path], *,
                    placeholders: Mapping[str, Sequence[str]] | None = None) -> RuleLoad:
    """Parse and compile every rule under ``paths``. A missing path raises; a bad rule is a failure entry."""
    rules: list[CompiledRule] = []
    correlations: list[CorrelationRule] = []
    failures: list[RuleFailure] = []
    seen: dict[str, str] = {}
    for root in paths:
        for file in _rule_files(root):
            try:
                docs = _documents(file)
            except (OSError, UnicodeDecodeError) as err:
                failures.append(RuleFailure(str(file), f"unreadable: {err}"))
                continue
            except GarrisonError as err:
                failures.append(RuleFailure(err.where or str(file), err.message))
                continue
            for index, doc in enumerate(docs):
                where = str(file) if len(docs) == 1 else f"{file}#{index + 1}"
                try:
                    if isinstance(doc, Mapping) and "correlation" in doc:
                        correlations.append(parse_correlation(doc, where=where))
                        continue
                    compiled = compile_rule(parse_rule(doc, where=where), placeholders=placeholders)
                except GarrisonError as err:
                    failures.append(RuleFailure(where, err.message))
                    continue
                if compiled.rule.id in seen:
                    failures.append(RuleFailure(where, f"duplicate rule id {compiled.rule.id} "
                                                       f"(first in {seen[compiled.rule.id]})"))
                    continue
                seen[compiled.rule.id] = where
                rules.append(compiled)
    known = known_rule_refs([c.rule for c in rules])
    usable = []
    for corr in correlations:
        missing = [ref for ref in corr.rules if ref not in known]
        if missing:
            failures.append(RuleFailure(corr.where, f"correlation refers to unknown rule {missing[0]!r}"))
        else:
            usable.append(corr)
    return RuleLoad(tuple(rules), tuple(failures), tuple(usable))

