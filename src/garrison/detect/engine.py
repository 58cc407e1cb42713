"""The detection engine: compiled rules + events → alerts (pure; no files, no clock).

Routing: an event meets only the rules whose ``logsource`` it satisfies (a rule field left empty matches
anything; ``registry_event`` rules also see ``registry_add``/``_set``/``_delete``/``_rename`` events). Each
log source gets a *group*, built on first use: the fields its rules read, one Aho-Corasick automaton per field
over the rules' necessary literals (:mod:`garrison.detect.atoms`; up to two literal sets per rule, both of
which must be hit), and the rules that must always run. Per event, the engine lowers only the fields its
group reads, runs the automata, and evaluates just the candidate rules. :meth:`Engine.tune` re-chooses the
literals from their observed frequency in a sample; results never change, only the work.

Correlation rules (:mod:`garrison.detect.correlation`) run in :meth:`Engine.run` over the stream of matches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick_rs

from garrison.detect.atoms import choose_atoms, tree_atoms
from garrison.detect.attack import AttackData, load_attack
from garrison.detect.compiler import CompiledRule
from garrison.detect.correlation import CorrelationRule, Correlator, known_rule_refs
from garrison.detect.values import field_value, text_of
from garrison.model import Event, LogSource, Severity

__all__ = ["Alert", "Engine", "event_to_json"]

SHORT_LITERAL_COST = 24.0
"""Added to an atom's cost as ``SHORT_LITERAL_COST / len(literal)``: short literals occur by chance."""
OBSERVED_WEIGHT = 1000.0
"""After :meth:`Engine.tune`: cost added per unit of observed hit rate (a literal in every event costs 1000)."""
SECOND_SET_MAX_COST = 12.0
"""A rule is indexed by a second atom set only when each of its atoms is this cheap: a literal that many
rules share (``\\powershell.exe``) costs more to track per event than the candidates it saves."""
_CATEGORY_ALIASES: Mapping[str, tuple[str, ...]] = {
    "registry_add": ("registry_event",),
    "registry_set": ("registry_event",),
    "registry_delete": ("registry_event",),
    "registry_rename": ("registry_event",),
}


def event_to_json(event: Event) -> dict[str, Any]:
    """The event's JSON line (:meth:`Event.to_json`), as alerts carry their events."""
    return event.to_json()


@dataclass(frozen=True, slots=True)
class Alert:
    """One rule matched. ``storyline`` is filled by ``garrison detect`` (:mod:`garrison.detect.storyline`)."""

    rule: str
    title: str
    severity: Severity
    techniques: tuple[str, ...]
    tactics: tuple[str, ...]
    events: tuple[Event, ...]
    storyline: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "title": self.title,
            "severity": self.severity.label,
            "attack": list(self.techniques),
            "tactics": list(self.tactics),
            "events": [event_to_json(e) for e in self.events],
            "storyline": dict(self.storyline) if self.storyline is not None else None,
        }


@dataclass(slots=True)
class _Group:
    rules: tuple[CompiledRule, ...]
    always: tuple[int, ...]
    automata: tuple[tuple[str, ahocorasick_rs.AhoCorasick, tuple[tuple[int, ...], ...],
                          tuple[tuple[tuple[int, int], ...], ...]], ...]
    """Per field: an automaton over the literals; per literal the rules it makes candidates outright (those
    indexed by one atom set), and the (rule, atom-set bit) pairs it hits of rules indexed by two."""
    full: tuple[int, ...]
    """Per rule, the bit mask of its atom sets; a rule is a candidate when every set was hit."""
    plain_fields: frozenset[str]
    dotted_fields: tuple[str, ...]


def _rule_accepts(rule: LogSource, event: LogSource) -> bool:
    if rule.product is not None and rule.product != event.product:
        return False
    if rule.service is not None and rule.service != event.service:
        return False
    if rule.category is not None and rule.category != event.category:
        return rule.category in _CATEGORY_ALIASES.get(event.category or "", ())
    return True


def _build_group(rules: Sequence[CompiledRule], cost: Callable[[tuple[str, str]], float]) -> _Group:
    literals: dict[str, dict[str, set[tuple[int, int]]]] = {}
    always: list[int] = []
    fields: set[str] = set()
    full: list[int] = []
    for index, compiled in enumerate(rules):
        fields |= compiled.fields
        sets = choose_atoms(compiled.atom_tree, cost)
        if sets and len(sets) > 1 and max(cost(a) for a in sets[1]) > SECOND_SET_MAX_COST:
            sets = sets[:1]
        full.append((1 << len(sets)) - 1 if sets else 0)
        if sets is None:
            always.append(index)
            continue
        for bit, atoms in enumerate(sets):
            for name, literal in atoms:
                literals.setdefault(name, {}).setdefault(literal, set()).add((index, 1 << bit))
    automata = []
    for name, words in sorted(literals.items()):
        keys = sorted(words)
        single = tuple(tuple(sorted(i for i, _ in words[k] if full[i] == 1)) for k in keys)
        double = tuple(tuple(sorted((i, b) for i, b in words[k] if full[i] != 1)) for k in keys)
        automata.append((name, ahocorasick_rs.AhoCorasick(keys), single, double))
    return _Group(
        rules=tuple(rules),
        always=tuple(always),
        automata=tuple(automata),
        full=tuple(full),
        plain_fields=frozenset(fields),
        dotted_fields=tuple(sorted(f for f in fields if "." in f)),
    )


class Engine:
    """Evaluate compiled rules over events. Thread-compatible: groups are built once and never mutated."""

    def __init__(self, rules: Iterable[CompiledRule], *, correlations: Sequence[CorrelationRule] = (),
                 attack: AttackData | None = None) -> None:
        self.rules: tuple[CompiledRule, ...] = tuple(rules)
        self.correlations = tuple(correlations)
        self.attack = attack if attack is not None else load_attack()
        self._groups: dict[tuple[str | None, str | None, str | None], _Group] = {}
        self._tactics = {c.rule.id: self.attack.tactics_for(c.rule.techniques, c.rule.tactics) for c in self.rules}
        shared: Counter[tuple[str, str]] = Counter()
        for compiled in self.rules:
            shared.update(tree_atoms(compiled.atom_tree))
        self._shared = shared
        self._observed: dict[tuple[str, str], float] | None = None

    def _cost(self, atom: tuple[str, str]) -> float:
        """How often an atom is expected to fire. Before :meth:`tune`, a guess: literals that many rules share
        are common in events too, and short ones occur by chance. After it, the observed hit rate leads."""
        guess = self._shared[atom] + SHORT_LITERAL_COST / len(atom[1])
        if self._observed is None:
            return guess
        return OBSERVED_WEIGHT * self._observed.get(atom, 0.0) + guess

    def tune(self, sample: Iterable[Event]) -> int:
        """Learn how often each literal occurs in ``sample`` (events like those to come) and re-index, so that
        rules are indexed by literals that are rare *in these events*. Returns the number of events seen."""
        counts: Counter[tuple[str, str]] = Counter()
        seen = 0
        everything = [(c, tree_atoms(c.atom_tree)) for c in self.rules]
        by_field: dict[str, set[str]] = {}
        for _, atoms in everything:
            for name, literal in atoms:
                if literal:
                    by_field.setdefault(name, set()).add(literal)
        automata = {name: (ahocorasick_rs.AhoCorasick(sorted(lits)), sorted(lits))
                    for name, lits in by_field.items()}
        for event in sample:
            seen += 1
            for name, (automaton, literals) in automata.items():
                text = text_of(field_value(event.fields, name))
                for item in (text,) if isinstance(text, str) else text or ():
                    hits = {literals[i] for i, _, _ in automaton.find_matches_as_indexes(item.lower(),
                                                                                         overlapping=True)}
                    counts.update((name, lit) for lit in hits)
        if seen:
            self._observed = {atom: count / seen for atom, count in counts.items()}
            self._groups.clear()
        return seen

    def _group(self, ls: LogSource) -> _Group:
        key = (ls.product, ls.category, ls.service)
        group = self._groups.get(key)
        if group is None:
            group = _build_group([c for c in self.rules if _rule_accepts(c.rule.logsource, ls)], self._cost)
            self._groups[key] = group
        return group

    def match(self, event: Event) -> list[CompiledRule]:
        """The rules that match ``event``, in rule order."""
        group = self._group(event.logsource)
        if not group.rules:
            return []
        raw = event.fields
        wanted = group.plain_fields
        low: dict[str, Any] = {}
        for name, value in raw.items():
            if name in wanted and value is not None:
                if type(value) is str:
                    low[name] = value.lower()
                    continue
                text = text_of(value)
                low[name] = text.lower() if isinstance(text, str) else tuple(t.lower() for t in text or ())
        for name in group.dotted_fields:
            if name not in low:
                text = text_of(field_value(raw, name))
                if text is not None:
                    low[name] = text.lower() if isinstance(text, str) else tuple(t.lower() for t in text)
        candidates: set[int] = set(group.always)
        seen: dict[int, int] = {}
        for name, automaton, single, double in group.automata:
            value = low.get(name)
            if value is None:
                continue
            for text in (value,) if type(value) is str else value:
                for literal, _, _ in automaton.find_matches_as_indexes(text, overlapping=True):
                    candidates.update(single[literal])
                    for index, bit in double[literal]:
                        seen[index] = seen.get(index, 0) | bit
        if seen:
            full = group.full
            candidates.update(i for i, mask in seen.items() if mask == full[i])
        rules = group.rules
        return [rules[i] for i in sorted(candidates) if rules[i].matches(low, raw)]

    def alert_for(self, compiled: CompiledRule, events: tuple[Event, ...]) -> Alert:
        rule = compiled.rule
        return Alert(rule.id, rule.title, rule.level, rule.techniques, self._tactics.get(rule.id, ()), events)

    def run(self, events: Iterable[Event]) -> Iterator[Alert]:
        """One alert per (matching rule, event), in event order, then any correlation it completes.

        With correlation rules, feed events in time order; a rule referenced only by correlations with
        ``generate: false`` raises no alert of its own."""
        correlator = None
        silenced: frozenset[str] = frozenset()
        if self.correlations:
            correlator = Correlator(self.correlations, known_rule_refs(c.rule for c in self.rules))
            silenced = correlator.silenced
        for event in events:
            matched = self.match(event)
            for compiled in matched:
                if compiled.rule.id not in silenced:
                    yield self.alert_for(compiled, (event,))
            if correlator is not None and matched:
                for trigger in correlator.feed(event, [c.rule.id for c in matched]):
                    corr = trigger.rule
                    yield Alert(corr.id, corr.title, corr.level, corr.techniques,
                                self.attack.tactics_for(corr.techniques, corr.tactics), trigger.events)
