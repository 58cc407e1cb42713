"""The tool-list sanitiser: strips invisible Unicode and terminal escapes from what a model reads.

Applies to ``description`` and ``title`` strings, at any depth, in the items of ``tools/list``,
``prompts/list``, ``resources/list`` and ``resources/templates/list`` results, and to the ``instructions`` of
``initialize`` and ``server/discover`` results. Names, URIs and schema values (``enum``, ``default``,
``pattern``) are left alone: changing them would change what the server accepts.

Removed: ANSI/VT escape sequences (CSI, OSC, two-byte ESC), C0/C1 controls other than tab, newline and
carriage return, zero-width and joiner characters, bidirectional embeddings/overrides/isolates, Unicode tag
characters (U+E0000–U+E007F), variation selectors and other default-ignorable code points.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from garrison.gateway.interceptors import PASS, BaseInterceptor, Decision, SessionState
from garrison.gateway.messages import Message

__all__ = ["ToolListSanitiser", "strip_invisible"]

_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC … BEL or ST
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"  # DCS, PM, APC, SOS … ST
    r"|\x1b[@-Z\\-_]"  # two-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_INVISIBLE = re.compile(
    "["
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # controls other than \t \n \r
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164"
    "\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    "\U0001d173-\U0001d17a\U000e0000-\U000e007f\U000e0100-\U000e01ef"
    "]"
)
_TEXT_KEYS = frozenset({"description", "title"})
_LIST_KEYS = {
    "tools/list": "tools",
    "prompts/list": "prompts",
    "resources/list": "resources",
    "resources/templates/list": "resourceTemplates",
}
_INSTRUCTION_METHODS = frozenset({"initialize", "server/discover"})
MAX_DEPTH = 64


def strip_invisible(text: str) -> tuple[str, int]:
    """``text`` without escapes and invisible characters, and how many characters were removed."""
    cleaned = _INVISIBLE.sub("", _ANSI.sub("", text))
    return cleaned, len(text) - len(cleaned)


def _clean(value: Any, depth: int, counter: list[int]) -> Any:
    """``value`` with ``description``/``title`` strings cleaned (the same object if nothing changed)."""
    if depth > MAX_DEPTH:
        return value
    if isinstance(value, Mapping):
        out: dict[str, Any] | None = None
        for key, item in value.items():
            if key in _TEXT_KEYS and isinstance(item, str):
                new: Any = item
                cleaned, removed = strip_invisible(item)
                if removed:
                    new = cleaned
                    counter[0] += removed
            else:
                new = _clean(item, depth + 1, counter)
            if new is not item:
                if out is None:
                    out = dict(value)
                out[key] = new
        return value if out is None else out
    if isinstance(value, list):
        items = [_clean(item, depth + 1, counter) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


class ToolListSanitiser(BaseInterceptor):
    name = "sanitise"

    def on_server_response(self, request: Message, response: Message, session: SessionState) -> Decision:
        result = response.result
        method = request.method
        if result is None or method is None:
            return PASS
        counter = [0]
        new_result: dict[str, Any] | None = None
        list_key = _LIST_KEYS.get(method)
        if list_key is not None and isinstance(result.get(list_key), list):
            items = _clean(result[list_key], 0, counter)
            if items is not result[list_key]:
                new_result = {**result, list_key: items}
        elif method in _INSTRUCTION_METHODS and isinstance(result.get("instructions"), str):
            cleaned, removed = strip_invisible(result["instructions"])
            if removed:
                counter[0] += removed
                new_result = {**result, "instructions": cleaned}
        if new_result is None:
            return PASS
        body = dict(response.body)
        body["result"] = new_result
        return Decision.rewrite(body, f"removed {counter[0]} hidden characters from {method} result")
