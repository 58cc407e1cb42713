"""Playbooks: ``when`` an alert looks like this, run these ``actions`` (strict YAML, errors at ``file:line``).

::

    version: 1
    playbooks:
      - name: contain-key-theft
        when:                          # every key given must hold; a list matches when any item does
          rule: c29ede9b-dc86-4f01-b3dd-b20faafaf4ce
          technique: [T1552, T1053]    # a technique also matches its sub-techniques (T1552 ⊇ T1552.004)
          tactic: credential-access
          min_priority: high           # low | medium | high | critical, or a score 0-100
          server: notes
          tag: attack.t1552.004        # Sigma-style tag of the alert's techniques and tactics
        actions:
          - kill_process_tree          # {scope: chain | server}; chain (default) is what the tool call started
          - block_tool                 # {reason: ...}
          - quarantine_server          # {reason: ...}
          - revoke_pin                 # {scope: tool | server}; default tool
          - notify: {url: "https://hooks.example/garrison", timeout: 5}

Every playbook whose ``when`` holds runs, in file order. Unknown keys, wrong types, unknown actions and
duplicate names are errors; a playbook file is used whole or not at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from garrison.errors import PolicyError
from garrison.policy.yamltree import Node, parse_yaml
from garrison.respond.results import ACTION_NAMES, ActionName
from garrison.respond.webhook import DEFAULT_TIMEOUT, check_url

__all__ = ["ActionSpec", "Condition", "Playbook", "load_playbooks", "parse_playbooks"]

VERSION = 1
LEVELS: Mapping[str, int] = {"low": 0, "medium": 35, "high": 60, "critical": 80}
_WHEN_KEYS = ("rule", "technique", "tactic", "min_priority", "server", "tag")
_OPTIONS: Mapping[str, Mapping[str, tuple[type, ...]]] = {
    "kill_process_tree": {"scope": (str,)},
    "block_tool": {"reason": (str,)},
    "quarantine_server": {"reason": (str,)},
    "revoke_pin": {"scope": (str,)},
    "notify": {"url": (str,), "timeout": (int, float)},
}
_SCOPES: Mapping[str, tuple[str, ...]] = {"kill_process_tree": ("chain", "server"),
                                          "revoke_pin": ("tool", "server")}


@dataclass(frozen=True, slots=True)
class Condition:
    rules: tuple[str, ...] = ()
    techniques: tuple[str, ...] = ()
    tactics: tuple[str, ...] = ()
    min_priority: int | None = None
    servers: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: ActionName
    options: Mapping[str, Any] = field(default_factory=dict)
    where: str = ""


@dataclass(frozen=True, slots=True)
class Playbook:
    name: str
    when: Condition
    actions: tuple[ActionSpec, ...]
    where: str


def _strings(node: Node) -> tuple[str, ...]:
    items = node.value if isinstance(node.value, list) else [node]
    out = []
    for item in items:
        if not isinstance(item.value, str) or not item.value.strip():
            raise item.fail("expected a non-empty string or a list of them")
        out.append(item.value.strip())
    if not out:
        raise node.fail("expected at least one value")
    return tuple(out)


def _min_priority(node: Node) -> int:
    value = node.value
    if isinstance(value, str) and value.lower() in LEVELS:
        return LEVELS[value.lower()]
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100:
        return value
    raise node.fail(f"'min_priority' must be one of {', '.join(LEVELS)} or a score 0-100")


def _condition(node: Node) -> Condition:
    if not isinstance(node.value, dict):
        raise node.fail("'when' must be a mapping")
    _no_unknown(node, _WHEN_KEYS)
    given: dict[str, Node] = node.value

    def strings(key: str) -> tuple[str, ...]:
        return _strings(given[key]) if key in given else ()

    return Condition(
        rules=strings("rule"),
        techniques=tuple(t.upper() for t in strings("technique")),
        tactics=tuple(t.lower().replace("_", "-") for t in strings("tactic")),
        min_priority=_min_priority(given["min_priority"]) if "min_priority" in given else None,
        servers=strings("server"),
        tags=tuple(t.lower() for t in strings("tag")),
    )


def _no_unknown(node: Node, allowed: tuple[str, ...] | Mapping[str, Any]) -> None:
    unknown = [k for k in node.value if k not in allowed]
    if unknown:
        raise node.value[unknown[0]].fail(f"unknown key {unknown[0]!r} (expected {', '.join(allowed)})")


def _action(node: Node) -> ActionSpec:
    if isinstance(node.value, str):
        name, options_node = node.value, None
    elif isinstance(node.value, dict) and len(node.value) == 1:
        name, options_node = next(iter(node.value.items()))
    else:
        raise node.fail("an action is a name or a mapping of one name to its options")
    if name not in ACTION_NAMES:
        raise node.fail(f"unknown action {name!r} (expected {', '.join(ACTION_NAMES)})")
    allowed = _OPTIONS[name]
    options: dict[str, Any] = {}
    if options_node is not None and options_node.value is not None:
        if not isinstance(options_node.value, dict):
            raise options_node.fail(f"options of {name!r} must be a mapping")
        _no_unknown(options_node, allowed)
        for key, child in options_node.value.items():
            if isinstance(child.value, bool) or not isinstance(child.value, allowed[key]):
                raise child.fail(f"{name}.{key} has the wrong type")
            options[key] = child.value
    where = node.where
    if name in _SCOPES and options.get("scope", _SCOPES[name][0]) not in _SCOPES[name]:
        raise node.fail(f"{name}.scope must be one of {', '.join(_SCOPES[name])}")
    if name == "notify":
        if "url" not in options:
            raise node.fail("notify needs a 'url'")
        check_url(options["url"], where=where)
        timeout = options.setdefault("timeout", DEFAULT_TIMEOUT)
        if not 0 < timeout <= 60:
            raise node.fail("notify.timeout must be between 0 and 60 seconds")
    typed: ActionName = next(a for a in ACTION_NAMES if a == name)
    return ActionSpec(typed, options, where)


def parse_playbooks(text: str, *, path: str) -> tuple[Playbook, ...]:
    root = parse_yaml(text, path=path)
    if root is None or not isinstance(root.value, dict):
        raise PolicyError("a playbook file must be a mapping with 'version' and 'playbooks'", where=path)
    _no_unknown(root, ("version", "playbooks"))
    version = root.value.get("version")
    if version is None or version.value != VERSION:
        raise (version or root).fail(f"'version' must be {VERSION}")
    books = root.value.get("playbooks")
    if books is None or not isinstance(books.value, list) or not books.value:
        raise (books or root).fail("'playbooks' must be a non-empty list")
    out: list[Playbook] = []
    for item in books.value:
        if not isinstance(item.value, dict):
            raise item.fail("each playbook must be a mapping")
        _no_unknown(item, ("name", "when", "actions"))
        for key in ("name", "when", "actions"):
            if key not in item.value:
                raise item.fail(f"playbook needs '{key}'")
        name_node, actions = item.value["name"], item.value["actions"]
        if not isinstance(name_node.value, str) or not name_node.value.strip():
            raise name_node.fail("'name' must be a non-empty string")
        if any(p.name == name_node.value for p in out):
            raise name_node.fail(f"playbook {name_node.value!r} is defined twice")
        if not isinstance(actions.value, list) or not actions.value:
            raise actions.fail("'actions' must be a non-empty list")
        out.append(Playbook(name_node.value, _condition(item.value["when"]),
                            tuple(_action(a) for a in actions.value), item.where))
    return tuple(out)


def load_playbooks(path: str | os.PathLike[str]) -> tuple[Playbook, ...]:
    from garrison.policy.load import read_policy_text

    where = os.fspath(path)
    try:
        text = read_policy_text(where, what="playbook file")
    except FileNotFoundError as err:
        raise PolicyError(f"cannot read the playbook file: {err.strerror or err}", where=where) from None
    return parse_playbooks(text, path=where)
