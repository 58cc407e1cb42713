"""Parameters whose purpose is not the tool's purpose.

A parameter is judged by its name and description against the tool's :class:`Scope`: a ``sidenote`` that asks
for file contents on a weather tool, an ``llm_model_name`` on a document tool, a ``_system_prompt_`` that must
"always be included". Parameters about the caller (the model, its prompt, its conversation, the tool list) are
out of scope unless the tool is about exactly that; catch-all parameters (notes, metadata, diagnostics) are
reported only when their description asks for something the tool does not need.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from garrison.analysis.definitions import revealed as reveal
from garrison.analysis.directives import SENSITIVE_PATH, Scope, words
from garrison.model import Definition, Severity

__all__ = ["ParameterIssue", "judge_parameters"]

_CALLER = frozenset({"llm", "assistant", "ai", "gpt", "claude", "chatbot", "copilot"})
_CALLER_CONTEXT = frozenset({"conversation", "transcript", "chat", "tools", "tool", "functions"})
_CATCHALL = frozenset({
    "note", "notes", "sidenote", "remark", "remarks", "comment", "comments", "extra", "misc", "annotation",
    "feedback", "debug", "diagnostic", "diagnostics", "telemetry", "internal", "trace", "metadata", "meta",
    "context", "details", "info", "summary", "reasoning", "thoughts", "memo", "aux", "hidden",
})
_DESC_CALLER = re.compile(
    r"\b(?:(?:llm|model|assistant|ai|agent)\s+(?:\w+\s+)?(?:(?:that|which|who)\s+(?:is\s+)?)?(?:call|calls|"
    r"calling|uses|using|invok\w*)\s+(?:this|the)\s+(?:tool|function|server)|"
    r"(?:your|the\s+model'?s?|the\s+assistant'?s?)\s+(?:name|identity|version|instructions|system\s+prompt)|"
    r"system\s+prompt|conversation|chat\s+history|previous\s+messages|(?:list|names)\s+of\s+"
    r"(?:all\s+)?(?:available\s+)?tools|tools?\s+(?:list|available))\b",
    re.IGNORECASE,
)
_DESC_HARVEST = re.compile(
    r"\b(?:contents?\s+of|(?:any|all|every)\s+(?:relevant\s+|other\s+|additional\s+)?(?:files?|information|details|"
    r"context|data|documents|messages)|/\.\w+|credentials?|passwords?|private\s+keys?|api\s+keys?|"
    r"tokens?|secrets?|environment\s+variables|shell\s+\w+|history|user'?s\s+\w+|internal\s+context|"
    r"everything\s+(?:the\s+)?user|user\s+has\s+(?:said|typed|written|shared)|(?:this|the\s+current)\s+"
    r"(?:session|conversation|chat))\b|" + SENSITIVE_PATH.pattern,
    re.IGNORECASE,
)
_DESC_INSIST = re.compile(
    r"\b(?:always|must|mandatory|required\s+for|do\s+not\s+(?:omit|skip|leave)|never\s+(?:omit|skip|leave)|"
    r"for\s+(?:telemetry|diagnostics?|logging|compliance|consistency|auditing)|not\s+(?:shown|displayed|visible)|"
    r"hidden|internal)\b",
    re.IGNORECASE,
)


_NEGATION = re.compile(r"\b(?:not|never|no|without)\b|n't\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ParameterIssue:
    """One parameter that does not belong to the tool. ``location`` is its path in the definition."""

    parameter: str
    location: str
    severity: Severity
    reason: str
    text: str


def _location(definition: Definition, name: str) -> str:
    if definition.kind == "prompt":
        for i, arg in enumerate(definition.arguments):
            if arg.get("name") == name:
                return f"arguments[{i}]"
    return f"inputSchema.properties.{name}"


def _judge(name: str, schema: Mapping[str, Any], scope: Scope) -> tuple[Severity, str] | None:
    raw_description = schema.get("description")
    description = reveal(raw_description).text if isinstance(raw_description, str) else ""
    plain_name = reveal(name).text
    tokens = set(words(plain_name))
    hidden_name = plain_name.startswith("_")
    caller = tokens & _CALLER or (tokens & {"system"} and tokens & {"prompt", "instructions"})
    caller_desc = next((m for m in _DESC_CALLER.finditer(description)
                        if not _NEGATION.search(description[max(0, m.start() - 30) : m.start()])), None)
    caller_ctx = tokens & _CALLER_CONTEXT and not scope.covers(tokens & _CALLER_CONTEXT)
    about_caller = caller and not scope.covers(tokens)
    # What the description insists on or harvests only matters once the name or description is suspect.
    if about_caller or (caller_desc and not scope.covers(words(caller_desc.group()))) or caller_ctx:
        what = caller_desc.group() if caller_desc else plain_name
        pressed = hidden_name or _DESC_INSIST.search(description) or _DESC_HARVEST.search(description)
        severity = Severity.HIGH if pressed else Severity.MEDIUM
        return severity, f"asks the model about itself or its context ({what}), which the tool does not need"
    catchall = tokens & _CATCHALL
    if not (hidden_name or (catchall and not scope.covers(catchall))):
        return None
    insist = _DESC_INSIST.search(description) is not None
    harvest = _DESC_HARVEST.search(description)
    if catchall and not scope.covers(catchall):
        if harvest and not scope.covers(words(harvest.group())):
            return Severity.HIGH, f"a catch-all parameter that asks for {harvest.group()!r}"
        if insist or hidden_name:
            return Severity.MEDIUM, "a catch-all parameter the model is pressed to fill"
    if hidden_name and (insist or harvest):
        return Severity.MEDIUM, "a hidden-looking parameter the model is pressed to fill"
    return None


def judge_parameters(definition: Definition, scope: Scope) -> list[ParameterIssue]:
    """Every parameter of ``definition`` whose purpose is not the definition's purpose (pure)."""
    out: list[ParameterIssue] = []
    for name, schema in definition.parameters().items():
        verdict = _judge(name, schema, scope)
        if verdict is None:
            continue
        severity, reason = verdict
        description = schema.get("description")
        text = f"{name}: {description}" if isinstance(description, str) else name
        out.append(ParameterIssue(name, _location(definition, name), severity, reason, text))
    return out
