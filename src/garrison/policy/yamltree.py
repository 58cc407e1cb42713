"""A YAML reader that keeps line numbers: every mapping, list and scalar remembers where it was written.

Policy files are small and hand-written, so errors must point at the line to fix. Documents are composed with
PyYAML's safe composer and turned into :class:`Node` values; aliases, merge keys, duplicate keys and files
larger than :data:`MAX_POLICY_BYTES` are refused (fail closed, and no billion-laughs expansion).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from garrison.errors import PolicyError

__all__ = ["MAX_DEPTH", "MAX_POLICY_BYTES", "Node", "parse_yaml"]

MAX_POLICY_BYTES = 1_048_576
MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class Node:
    """One YAML value. ``value`` is ``dict[str, Node]``, ``list[Node]`` or a plain scalar
    (``str``, ``int``, ``float``, ``bool`` or ``None``); ``line`` is 1-based."""

    value: Any
    line: int
    path: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def fail(self, message: str) -> PolicyError:
        return PolicyError(message, where=self.where)


def _convert(raw: Any, path: str, loader: Any, depth: int) -> Node:
    import yaml

    line = raw.start_mark.line + 1
    if depth > MAX_DEPTH:
        raise PolicyError(f"nesting deeper than {MAX_DEPTH} levels", where=f"{path}:{line}")
    if isinstance(raw, yaml.MappingNode):
        out: dict[str, Node] = {}
        for key_node, value_node in raw.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                raise PolicyError("mapping keys must be plain strings", where=f"{path}:{key_line}")
            key = str(key_node.value)
            if key in out:
                raise PolicyError(f"key {key!r} given twice", where=f"{path}:{key_line}")
            child = _convert(value_node, path, loader, depth + 1)
            # A value is reported at its key's line: that is the line a user looks for.
            out[key] = Node(child.value, key_line, path)
        return Node(out, line, path)
    if isinstance(raw, yaml.SequenceNode):
        return Node([_convert(item, path, loader, depth + 1) for item in raw.value], line, path)
    return Node(loader.construct_object(raw, deep=True), line, path)


def _refuse_aliases(text: str, path: str) -> None:
    import yaml

    loader_cls: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for event in yaml.parse(text, Loader=loader_cls):
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1 if event.start_mark is not None else 1
            raise PolicyError("YAML aliases are not allowed in a policy", where=f"{path}:{line}")


def parse_yaml(text: str, *, path: str) -> Node | None:
    """Parse one YAML document into a :class:`Node` tree (``None`` for an empty document).

    Every error is a :class:`~garrison.errors.PolicyError` naming ``path:line``.
    """
    import yaml

    if len(text.encode("utf-8", "surrogatepass")) > MAX_POLICY_BYTES:
        raise PolicyError(f"policy file larger than {MAX_POLICY_BYTES} bytes", where=path)
    try:
        _refuse_aliases(text, path)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        raise PolicyError(f"invalid YAML: {err.problem}", where=where) from None
    except yaml.YAMLError as err:
        raise PolicyError(f"invalid YAML: {err}", where=path) from None
    if root is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return _convert(root, path, loader, 0)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        raise PolicyError(f"invalid YAML value: {err}", where=where) from None
