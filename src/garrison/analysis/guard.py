"""The runtime content guard: one verdict for one tool output or one set of call arguments.

``judge`` is pure and fast (the gateway calls it on every call):

- **outputs** (server → model): injected instructions inside data (``GO101``), instructions smuggled in
  hidden or encoded content (``GO103``), invisible characters and terminal escapes (``GO102``), and secrets
  (``GS1xx``, flagged and redacted).
- **arguments** (model → server): secrets (``GS1xx``) and sensitive file content (``GA101``: key files,
  ``/etc/shadow``, shell profiles, client configs such as an ``mcp.json``) leaving the machine are blocked;
  references to credential stores (``GA102``) and shell or option injection (``GA103``, ``GA104``) are flagged.

Verdicts: ``allow`` < ``flag`` < ``block``; the verdict is the strongest any finding asks for. Input larger
than ``GuardPolicy.max_chars`` is never allowed: it is judged on its head and flagged as truncated (``GO199``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from garrison.analysis import outputs, secrets
from garrison.analysis.normalize import Revealed, make_visible, reveal
from garrison.model import CheckInfo, Evidence, Finding, Severity

__all__ = ["DEFAULT", "INFOS", "Direction", "GuardPolicy", "Verdict", "VerdictKind", "judge"]

Direction = Literal["output", "arguments"]
VerdictKind = Literal["allow", "flag", "block"]
_RANK: dict[VerdictKind, int] = {"allow": 0, "flag": 1, "block": 2}


@dataclass(frozen=True, slots=True)
class GuardPolicy:
    """Tunable limits and thresholds. ``None`` thresholds use the shipped model's."""

    flag_threshold: float | None = None
    block_threshold: float | None = None
    secrets_in_output: VerdictKind = "flag"
    hidden_characters: VerdictKind = "flag"
    max_chars: int = 1_000_000
    max_depth: int = 32


DEFAULT = GuardPolicy()


@dataclass(frozen=True, slots=True)
class Verdict:
    """``redacted`` is the text with secrets masked, when any were found (else ``None``)."""

    verdict: VerdictKind
    findings: tuple[Finding, ...]
    redacted: str | None = None


def _info(rid: str, slug: str, title: str, sev: Severity, fix: str, tech: tuple[str, ...]) -> CheckInfo:
    return CheckInfo(id=rid, slug=slug, title=title, severity=sev, remediation=fix, techniques=tech)


INJECTION = _info("GO101", "injected-instruction", "Injected instruction in tool output", Severity.HIGH,
                  "Do not let the model act on this output; review the data source.", ("AML.T0051.001",))
HIDDEN_CHARS = _info("GO102", "hidden-characters", "Invisible characters or terminal escapes in tool output",
                     Severity.MEDIUM, "Strip invisible characters before the model reads the output.",
                     ("AML.T0051.001",))
HIDDEN_INSTRUCTION = _info("GO103", "hidden-instruction", "Instruction hidden in encoded or invisible content",
                           Severity.CRITICAL, "Block this output; its source is hiding instructions.",
                           ("AML.T0051.001", "T1027"))
TRUNCATED = _info("GO199", "input-over-limit", "Input larger or deeper than the guard's limits", Severity.MEDIUM,
                  "Raise the limit or reject oversized content.", ())
FILE_CONTENT = _info("GA101", "sensitive-file-content", "Sensitive file content in tool-call arguments",
                     Severity.CRITICAL, "Block the call; the model is sending credential material out.",
                     ("T1552.001", "AML.T0057"))
SENSITIVE_PATH = _info("GA102", "credential-store-path", "Tool call names a credential store",
                       Severity.MEDIUM, "Confirm the user asked for this file.", ("T1552.001",))
SHELL_INJECTION = _info("GA103", "shell-injection", "Shell command injection in tool-call arguments",
                        Severity.HIGH, "Reject the call; the argument carries shell syntax.", ("T1059",))
OPTION_INJECTION = _info("GA104", "option-injection", "Command-line option smuggled into an argument",
                         Severity.MEDIUM, "Reject values that start options inside a name.", ("T1059",))
INFOS: tuple[CheckInfo, ...] = (INJECTION, HIDDEN_CHARS, HIDDEN_INSTRUCTION, TRUNCATED, FILE_CONTENT,
                                SENSITIVE_PATH, SHELL_INJECTION, OPTION_INJECTION)

_INVISIBLE_KINDS = frozenset({"zero_width", "bidi", "tag_chars", "variation_selector", "control", "ansi"})
_MIN_HIDDEN_TEXT = 12
_FLOOR_CUES = frozenset({"override", "jailbreak"})
"""Cues that flag a segment whatever the model says: an override or jailbreak phrase that is *used* (not quoted
or discussed) in data is an instruction to the model. The model still decides between flag and block."""

# --- argument content ----------------------------------------------------------------------------------------

_FILE_CONTENT: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("shadow file", re.compile(r"(?m)^[a-z_][a-z0-9_-]{0,31}:(?:\$[0-9a-z]{1,3}\$[^:\n]{8,}|!!?|\*):\d{0,6}:")),
    ("passwd file", re.compile(r"(?m)(?:^[a-z_][a-z0-9_-]{0,31}:x:\d+:\d+:[^\n]*\n?){3,}")),
    ("shell profile", re.compile(r"(?m)(?:^[ \t]*(?:export[ \t]+[A-Z_][A-Z0-9_]*=|alias[ \t]+[\w.-]+=|"
                                 r"(?:source|\.)[ \t]+\S+|PS1=|PATH=)[^\n]*\n?){3,}")),
    ("MCP client config", re.compile(r'"(?:mcpServers|mcp\.servers|context_servers|servers)"\s*:\s*\{[\s\S]{0,4000}?'
                                     r'"(?:command|url)"\s*:')),
    ("kubeconfig", re.compile(r"(?s)\bkind:\s*Config\b.{0,4000}?\b(?:client-key-data|token|"
                              r"client-certificate-data):")),
    ("dotenv file", re.compile(r"(?m)(?:^[ \t]*[A-Z][A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASS|PWD)[ \t]*="
                               r"[ \t]*\S{6,}[^\n]*\n?){2,}")),
    ("SSH private key", re.compile(r"-----BEGIN (?:OPENSSH|RSA|DSA|EC|ENCRYPTED) PRIVATE KEY-----")),
    ("shell history", re.compile(r"(?m)(?:^(?:: \d{9,10}:\d+;)?(?:sudo |cd |ls |git |ssh |export |cat )[^\n]*\n){6,}")),
)
_CRED_PATH = re.compile(
    r"(?i)(?:^|[\s'\"=:/~])(?:"
    r"\.ssh/(?:id_[a-z0-9_]+|[\w.-]+\.pem|authorized_keys|known_hosts|config)\b|\.aws/(?:credentials|config)\b|"
    r"\.azure/|\.config/gcloud/|\.kube/config\b|\.docker/config\.json|\.netrc\b|\.pgpass\b|\.git-credentials\b|"
    r"\.npmrc\b|\.pypirc\b|\.gnupg/|\.password-store/|/etc/(?:shadow|gshadow|sudoers|master\.passwd)\b|"
    r"\.(?:bash|zsh|sh)_history\b|\.(?:bashrc|zshrc|bash_profile|profile)\b|\.env(?:\.[\w-]+)?\b|"
    r"claude_desktop_config\.json|\.?mcp\.json\b|\.cursor/mcp\.json|id_(?:rsa|dsa|ecdsa|ed25519)\b|"
    r"Login Data\b|Cookies\b|keychain-db\b|wallet\.dat\b)"
)
_SHELL = re.compile(
    r"\$\([^)]{1,200}\)|`[^`\n]{2,200}`|(?:;|&&|\|\|?)\s*(?:curl|wget|nc|ncat|bash|sh|zsh|python3?|perl|rm|"
    r"chmod|powershell|iex|base64)\b|\|\s*(?:ba|z)?sh\b"
)
_OPTION = re.compile(r"^[\w./:@-]*[\w.]\s+--?[A-Za-z][\w-]*(?:[=\s]|$)")


def _walk(value: Any, path: str, depth: int, limit: int, deep: list[str]) -> Iterator[tuple[str, str]]:
    """``(location, text)`` for every string in an argument value, to ``limit`` levels; the paths where the
    limit cut the walk short are appended to ``deep``."""
    if depth > limit:
        deep.append(path)
        return
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}", depth + 1, limit, deep)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]", depth + 1, limit, deep)


def _clip(text: str, limit: int = 200) -> str:
    visible = make_visible(text.strip())
    return visible if len(visible) <= limit else visible[: limit - 1] + "…"


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_ESCAPE = re.compile(r"\\[ux]")
_ENCODED_RUN = re.compile(r"[A-Za-z0-9+/_=-]{16}")
_BLANK_RUN = re.compile(r"[ \t]{40}")
_BLANK_LINES = re.compile(r"(?:[ \t]*\n){8}")


def _nothing_hidden(text: str) -> bool:
    """True when ``text`` is plain ASCII with nothing :func:`reveal` could decode or strip: no control
    characters, comments, escapes, entities, encoded runs or padding. The cheap substring tests come first
    and the regexes only run where their literal part occurs; without tabs, a run of blanks is a run of
    spaces and a run of blank lines (none ending in a space) is a run of line breaks."""
    if not text.isascii() or "<!--" in text or "&#" in text or _CONTROL.search(text):
        return False
    if ("%" in text and _PERCENT.search(text)) or ("\\" in text and _ESCAPE.search(text)):
        return False
    if "\t" in text:
        if _BLANK_RUN.search(text) or _BLANK_LINES.search(text):
            return False
    elif " " * 40 in text or (_BLANK_LINES.search(text) if " \n" in text else "\n" * 8 in text):
        return False
    return _ENCODED_RUN.search(text) is None


def _reveal(text: str) -> Revealed:
    """:func:`reveal`, skipped for plain ASCII text with nothing it could decode or strip (the common case)."""
    if _nothing_hidden(text):
        return Revealed(text, text, ())
    return reveal(text)


# --- judging -----------------------------------------------------------------------------------------------


class _Acc:
    """Collects findings and the verdict they ask for."""

    def __init__(self, server: str, target: str) -> None:
        self.server, self.target = server, target
        self.findings: list[Finding] = []
        self.verdict: VerdictKind = "allow"

    def add(self, info: CheckInfo, want: VerdictKind, location: str, message: str,
            evidence: Evidence | None = None, severity: Severity | None = None) -> None:
        self.findings.append(info.finding(server=self.server, target=self.target, location=location,
                                          message=message, evidence=evidence, severity=severity))
        if _RANK[want] > _RANK[self.verdict]:
            self.verdict = want


def _secrets(acc: _Acc, text: str, location: str, want: VerdictKind, direction: str) -> list[secrets.SecretMatch]:
    found = secrets.find_secrets(text).matches
    for m in found:
        info = m.pattern.info
        acc.add(info, want, location, f"{info.title} in tool {direction}: {secrets.mask(m.value)}",
                Evidence(secrets.mask(m.value), m.start, m.end))
    return list(found)


def _injection(acc: _Acc, text: str, location: str, policy: GuardPolicy) -> None:
    model = outputs.load_model()
    flag_at = model.flag if policy.flag_threshold is None else policy.flag_threshold
    block_at = model.block if policy.block_threshold is None else policy.block_threshold
    revealed = _reveal(text)
    scored = outputs.score_segments(revealed.text, model, directive_only=True)
    best = max(scored, key=lambda s: s.probability, default=None)
    floor = next((s for s in scored if not _FLOOR_CUES.isdisjoint(s.cues)), None)
    if (best is None or best.probability < flag_at) and floor is not None:
        best, flag_at = floor, 0.0
    if best is not None and best.probability >= flag_at:
        want: VerdictKind = "block" if best.probability >= block_at else "flag"
        seg = best.segment
        exact = not revealed.changed
        acc.add(INJECTION, want, location,
                f"text addressed to the model (p={best.probability:.2f}; cues: {', '.join(best.cues) or 'none'})",
                Evidence(_clip(seg.text), seg.start if exact else None, seg.end if exact else None),
                severity=Severity.HIGH if want == "block" else Severity.MEDIUM)
    invisible = [h for h in revealed.hidden if h.kind in _INVISIBLE_KINDS]
    if invisible:
        kinds = sorted({h.kind for h in invisible})
        first = invisible[0]
        acc.add(HIDDEN_CHARS, policy.hidden_characters, location,
                f"{len(invisible)} hidden span(s): {', '.join(kinds)}",
                Evidence(_clip(text[first.start : first.end + 40]), first.start, first.end, first.decoded[:200]))
    for h in revealed.hidden:
        if h.kind in ("confusable", "padding") or len(h.decoded.strip()) < _MIN_HIDDEN_TEXT:
            continue
        scored_hidden = outputs.score_segments(h.decoded, model, directive_only=True)
        top = max((s.probability for s in scored_hidden), default=0.0)
        if top >= flag_at or any(not _FLOOR_CUES.isdisjoint(s.cues) for s in scored_hidden):
            acc.add(HIDDEN_INSTRUCTION, "block", f"{location}#{h.kind}",
                    f"{h.kind} content reads as an instruction to the model (p={top:.2f})",
                    Evidence(_clip(text[h.start : h.end], 120), h.start, h.end, _clip(h.decoded)))


def _arguments(acc: _Acc, items: list[tuple[str, str]]) -> list[tuple[str, list[secrets.SecretMatch]]]:
    redactions = []
    for location, value in items:
        redactions.append((location, _secrets(acc, value, location, "block", "arguments")))
        for kind, rx in _FILE_CONTENT:
            m = rx.search(value)
            if m:
                acc.add(FILE_CONTENT, "block", location, f"{kind} content in the arguments",
                        Evidence(_clip(m.group()), m.start(), m.end()))
                break
        m = _CRED_PATH.search(value)
        if m:
            acc.add(SENSITIVE_PATH, "flag", location, f"argument names a credential store: {_clip(value, 120)}",
                    Evidence(_clip(m.group().strip()), m.start(), m.end()))
        m = _SHELL.search(value)
        if m:
            acc.add(SHELL_INJECTION, "flag", location, "argument carries shell syntax",
                    Evidence(_clip(m.group()), m.start(), m.end()))
        m = _OPTION.match(value)
        if m and "\n" not in value and len(value) < 300:
            acc.add(OPTION_INJECTION, "flag", location, "an option follows a name inside one argument",
                    Evidence(_clip(value), 0, len(value)))
    return redactions


def _argument_items(acc: _Acc, text: str, arguments: Mapping[str, Any] | None, depth: int) -> list[tuple[str, str]]:
    deep: list[str] = []
    if arguments is not None:
        items = list(_walk(arguments, "arguments", 0, depth, deep))
    else:
        try:
            parsed = json.loads(text)
        except ValueError:
            return [("arguments", text)]
        except RecursionError:
            deep.append("arguments")
            parsed = None
        items = list(_walk(parsed, "arguments", 0, depth, deep))
        # The raw JSON is judged too when nesting cut the walk short, so nothing deep goes unread.
        if deep or not items:
            items.append(("arguments", text))
    if deep:
        acc.add(TRUNCATED, "flag", deep[0], f"arguments nested deeper than {depth} levels")
    return items


def judge(
    text: str,
    *,
    direction: Direction,
    tool: str | None = None,
    arguments: Mapping[str, Any] | None = None,
    policy: GuardPolicy = DEFAULT,
    server: str = "-",
) -> Verdict:
    """Judge one tool output (``direction="output"``) or one call's arguments (``"arguments"``; ``text`` is
    their JSON, ``arguments`` the object when the caller has it)."""
    acc = _Acc(server, f"tool:{tool}" if tool else "tool:?")
    head = text
    if len(text) > policy.max_chars:
        head = text[: policy.max_chars]
        acc.add(TRUNCATED, "flag", direction, f"{len(text)} characters; judged the first {policy.max_chars}")
    if direction == "output":
        found = _secrets(acc, head, "output", policy.secrets_in_output, "output")
        _injection(acc, head, "output", policy)
        redacted = secrets.redact(text, found) if found else None
    else:
        items = _argument_items(acc, head, arguments, policy.max_depth)
        per_field = _arguments(acc, items)
        matches = [m for _, ms in per_field for m in ms]
        redacted = _redact_arguments(head, arguments, matches) if matches else None
    findings = tuple(sorted(acc.findings, key=Finding.sort_key))
    return Verdict(acc.verdict, findings, redacted)


def _redact_arguments(text: str, arguments: Mapping[str, Any] | None, matches: list[secrets.SecretMatch]) -> str:
    """The arguments' JSON with every secret value replaced (values are matched by content)."""
    source = json.dumps(arguments, ensure_ascii=False) if arguments is not None else text
    for m in sorted(matches, key=lambda x: -len(x.value)):
        source = source.replace(m.value, f"[REDACTED:{m.pattern.info.slug}]")
        source = source.replace(json.dumps(m.value)[1:-1], f"[REDACTED:{m.pattern.info.slug}]")
    return source
