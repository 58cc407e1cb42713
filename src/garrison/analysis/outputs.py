"""Injected instructions inside data: is this tool output (an email, a review, a web page, a file, a calendar
event) trying to instruct the model that reads it?

The text is cut into segments (lines, and sentences within long lines). Each segment gets two kinds of
features: structural cues that describe *how* it speaks (an imperative opening, words addressed to an AI
assistant, role markers such as ``system:`` or ``<INFORMATION>``, urgency, requests to send, forward,
transfer or visit, changed-instructions phrasing, concealment from the user, requests aimed at "your reply")
and hashed word n-grams. A logistic model (weights in ``models/guard_outputs.json``, trained offline by
``eval/train_guard.py`` on the development split) turns them into a probability. A text scores as its
strongest segment, with the segment before and after as context.

Pure and fast: no I/O after the one-time model load; a cue's regex runs only when one of its gate words is
among the segment's tokens; input is bounded.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from garrison.errors import RuleError

__all__ = [
    "CUES",
    "DIRECTIVE_CUES",
    "MAX_SEGMENT_CHARS",
    "MODEL_FILE",
    "Cue",
    "InjectionModel",
    "Segment",
    "SegmentScore",
    "cue_names",
    "features",
    "load_model",
    "score_segments",
    "segment_features",
    "segments",
]

MODEL_FILE = "guard_outputs.json"
HASH_BITS = 20
MAX_SEGMENT_CHARS = 600
"""Long lines are cut into sentences and then into windows of at most this many characters."""
_SHORT_LINE_WORDS = 2
MAX_SEGMENTS = 4000
"""Texts with more segments are scored on the first ``MAX_SEGMENTS`` (the guard reports the truncation)."""

# --- structural cues ---------------------------------------------------------------------------------------
# Each cue is general English about *how* a sentence addresses its reader; none names a dataset phrase.

_AI_WORDS = ("ai", "assistant", "chatbot", "bot", "agent", "llm", "language model", "model", "copilot", "gpt",
             "claude", "gemini", "mixtral", "llama")
_AI = "(?:" + "|".join(re.escape(w) for w in _AI_WORDS) + ")"
_VERB_WORDS = (
    "send", "forward", "transfer", "email", "e-mail", "mail", "post", "upload", "share", "pay", "wire", "move",
    "copy", "export", "leak", "reveal", "print", "output", "say", "reply", "respond", "answer", "write",
    "include", "insert", "add", "append", "embed", "integrate", "incorporate", "use", "utilize", "create",
    "make", "delete", "remove", "erase", "drop", "change", "update", "modify", "set", "reset", "grant",
    "invite", "book", "reserve", "schedule", "cancel", "buy", "purchase", "order", "visit", "open", "click",
    "go", "navigate", "browse", "download", "install", "run", "execute", "call", "invoke", "launch", "stop",
    "ignore", "disregard", "forget", "override", "bypass", "disable", "enable", "translate", "summarize",
    "summarise", "tell", "inform", "notify", "recommend", "suggest", "promote", "mention", "praise", "rate",
    "give", "provide", "list", "find", "search", "retrieve", "fetch", "read", "check", "look", "do", "perform",
    "complete", "solve", "follow", "obey", "comply", "act", "pretend", "roleplay", "role-play", "imagine",
    "encode", "encrypt", "decode", "replace", "substitute", "rewrite", "rephrase", "format", "jumble", "group",
    "analyse", "analyze", "explain", "describe", "break", "compose", "draft", "generate", "enhance", "adjust",
    "ensure", "remember", "keep", "start", "begin", "continue", "proceed", "let", "allow",
)  # fmt: skip
_VERBS = "(?:" + "|".join(re.escape(w) for w in _VERB_WORDS) + ")"
_LEADS = ("todo", "note", "important", "attention", "reminder", "ps", "p", "please", "kindly", "now", "also",
          "first", "then", "next", "immediately", "quickly", "action")


@dataclass(frozen=True, slots=True)
class Cue:
    """One structural cue. The regex runs only when the gate passes: one of ``words`` is a token of the
    segment (among its first four tokens when ``head``), or one of ``marks`` is a substring of it. A cue with
    no regex is its gate."""

    name: str
    regex: re.Pattern[str] | None
    words: frozenset[str] = frozenset()
    marks: tuple[str, ...] = ()
    head: bool = False


def _gate(*words: str) -> frozenset[str]:
    return frozenset(part for w in words for part in re.findall(r"[a-z][a-z0-9_']*|[0-9]+", w))


CUES: tuple[Cue, ...] = (
    # Imperative opening: the segment starts with a verb (optionally after "please"/"now"/a label).
    Cue("imperative", re.compile(
        r"(?:[\W\d_]*(?:todo|note|important|attention|action required|reminder|p\.?s\.?)\W*)?"
        rf"(?:\W*{_AI}s?\s*[,:]\s*)?(?:(?:please|kindly|now|also|first|then|next|immediately|quickly),?\s+)*"
        rf"{_VERBS}\b", re.I),
        _gate(*_VERB_WORDS, *_LEADS), head=True),
    Cue("addressed_ai", re.compile(
        rf"^\W*(?:{_AI}\s+)?{_AI}s?\s*[,:]|\b(?:you,?\s+(?:the\s+)?{_AI}|"
        rf"(?:dear|hey|hi|hello|attention|note to( the)?)\s+{_AI}|"
        rf"as an? {_AI}|to (?:the |you,? the )?{_AI}\b|{_AI}s? (?:reading|processing|parsing|summari[sz]ing) "
        rf"this|if you are an? {_AI}|you are (?:now |an? )?(?:helpful |new )?{_AI})", re.I),
        _gate(*_AI_WORDS, "agents", "models", "bots")),
    Cue("override", re.compile(
        r"\b(?:ignore|disregard|forget|override|overrule|bypass|skip|drop|abandon|stop following)\b"
        r"[^.\n]{0,30}\b(?:previous|prior|earlier|above|preceding|original|initial|all|any|your|other|"
        r"existing|system)\b[^.\n]{0,20}\b(?:instructions?|directions?|directives?|rules?|guidelines?|prompts?|"
        r"tasks?|orders?|commands?|constraints?|policies|restrictions?)", re.I),
        _gate("ignore", "disregard", "forget", "override", "overrule", "bypass", "skip", "drop", "abandon",
              "stop")),
    Cue("new_instructions", re.compile(
        r"\b(?:new|updated|real|actual|true|additional|secret|hidden|special|important) "
        r"(?:instructions?|task|directive|orders?|objective|goal)\b|\binstead\b[.!]?\s*$|"
        r"\b(?:before|after) you (?:can )?(?:solve|complete|finish|continue|do|answer|respond|reply|start|"
        r"proceed|read|process|summari[sz]e)|"
        r"\bthe task (?:that )?(?:i|the user) gave you\b|\byour (?:real|new|true|actual) (?:task|goal|job)\b|"
        rf"\byou (?:must|should|have to|need to|are required to|will now) (?:now )?{_VERBS}\b", re.I),
        _gate("instruction", "instructions", "task", "directive", "orders", "objective", "goal", "job",
              "instead", "must", "should", "need", "required"),
        ("before you", "after you", "have to", "will now", " order")),
    Cue("role_marker", re.compile(
        r"^[\s>*#`'\"(\[]*(?:system|assistant|user|admin|administrator|developer|operator|root|instruction|"
        r"instructions|important|information|urgent|sys|system_message|system message)\s*(?:\)|\]|:|>|!)"
        r"|<\|?/?(?:im_start|im_end|system|assistant|user|instructions?|information|important|admin|sys|"
        r"context|prompt|endoftext)\|?>|\[/?(?:inst|system|sys|assistant)\]|"
        r"^\s*#{2,}\s*[(\[]?\s*(?:system|sys|instructions?|important|admin|assistant|user|new task|task|urgent)\b",
        re.I),
        _gate("system", "assistant", "user", "admin", "administrator", "developer", "operator", "root",
              "instruction", "instructions", "important", "information", "urgent", "sys", "system_message",
              "inst", "context", "prompt"), ("##", "<|")),
    Cue("urgency", re.compile(
        r"\b(?:urgent(?:ly)?|immediately|right now|asap|at once|without delay|extremely important|"
        r"very important|critical(?:ly)?|mandatory|required|must)\b|!!+", re.I),
        _gate("urgent", "urgently", "immediately", "asap", "important", "critical", "critically", "mandatory",
              "required", "must"), ("!!", "right now", "at once", "without delay")),
    Cue("exfiltration", re.compile(
        r"\b(?:send|forward|transfer|email|e-mail|mail|post|upload|share|wire|leak|exfiltrate|copy)\b"
        r"[^.\n]{0,80}\b(?:to|at|via|into)\b[^.\n]{0,40}(?:@|https?://|www\.|\b[A-Z]{2}\d{2}[A-Z0-9]{8,}|"
        r"account|address|server|endpoint|url|webhook|iban)", re.I),
        _gate("send", "forward", "transfer", "email", "e-mail", "mail", "post", "upload", "share", "wire",
              "leak", "exfiltrate", "copy")),
    Cue("sensitive", re.compile(
        r"\b(?:passwords?|passcodes?|credentials?|api[ _-]?keys?|access keys?|secret keys?|tokens?|"
        r"ssh keys?|id_rsa|private keys?|seed phrases?|recovery phrases?|mnemonic|cvv2?|card numbers?|"
        r"security codes?|2fa|one-time (?:code|password)|otp|social security|\.env\b|\.aws|\.ssh|"
        r"system prompt|iban|bank account)\b", re.I),
        _gate("password", "passwords", "passcode", "passcodes", "credential", "credentials", "api", "apikey",
              "keys", "key", "token", "tokens", "ssh", "id_rsa", "private", "seed", "recovery", "mnemonic", "cvv",
              "cvv2", "card", "security", "2fa", "fa", "one", "otp", "social", "env", "aws", "system", "iban",
              "bank")),
    Cue("conceal", re.compile(
        r"\b(?:do not|don't|never|without) (?:tell|telling|inform|informing|mention|mentioning|notify|"
        r"notifying|alert|alerting|reveal|revealing|show|showing|asking|ask)\b[^.\n]{0,30}\b(?:user|me|them|"
        r"anyone|anybody|human|this|it|that)\b|\b(?:secretly|silently|quietly|covertly)\b", re.I),
        _gate("do", "don't", "never", "without", "secretly", "silently", "quietly", "covertly")),
    Cue("your_output", re.compile(
        r"\b(?:your|the) (?:reply|replies|response|responses|answer|answers|output|message|messages|summary|"
        r"explanation|elucidation|solution|code|codebase|implementation|script|text|writing|result)\b", re.I),
        _gate("reply", "replies", "response", "responses", "answer", "answers", "output", "message", "messages",
              "summary", "explanation", "elucidation", "solution", "code", "codebase", "implementation",
              "script", "text", "writing", "result")),
    # A request of the kind a user types to an assistant: a question or task about the world, not the data.
    Cue("user_request", re.compile(
        r"\W*(?:how (?:do|can|should|would|to) (?:i|we|you)|what (?:is|are) (?:the )?(?:best|main|major|"
        r"primary|key|benefits|differences|advantages|risks|pros)|why (?:is|are|do|does)|help me|can you|"
        r"could you|would you|will you|tell me|give me|show me|teach me|i (?:need|want) you|recommend|suggest|"
        r"describe|explain|list|provide|compare|summari[sz]e|generate|compose|write|create|draft|translate|"
        r"analy[sz]e|discuss|outline|share|offer|name)\b", re.I),
        _gate("how", "what", "why", "help", "can", "could", "would", "will", "tell", "give", "show", "teach", "i",
              "recommend", "suggest", "describe", "explain", "list", "provide", "compare", "summarize",
              "summarise", "generate", "compose", "write", "create", "draft", "translate", "analyze", "analyse",
              "discuss", "outline", "share", "offer", "name"), head=True),
    Cue("jailbreak", re.compile(
        r"\b(?:developer mode|jailbreak|jailbroken|dan mode|do anything now|no restrictions|unfiltered|"
        r"safety (?:filters?|guidelines|rules)|without (?:any )?(?:restrictions|limitations|filters))\b|"
        r"\byou are (?:now )?(?:dan|in \w+ mode)\b", re.I),
        _gate("developer", "jailbreak", "jailbroken", "dan", "anything", "restrictions", "unfiltered", "safety",
              "limitations", "filters", "mode")),
    Cue("code_exec", re.compile(
        r"\b(?:os\.system|subprocess|popen|exec\(|eval\(|socket\.socket|requests\.(?:post|get)|urllib|"
        r"curl\s+-|wget\s|\|\s*(?:ba)?sh\b|powershell|rm\s+-rf|chmod\s+\+x|base64\s+-d|nc\s+-e)", re.I),
        _gate("os", "subprocess", "popen", "exec", "eval", "socket", "requests", "urllib", "curl", "wget", "sh",
              "bash", "powershell", "rm", "chmod", "base64", "nc")),
    # Asking for a secret: the data tells the model to collect credentials from the user.
    Cue("credential_request", re.compile(
        r"\b(?:ask|request|prompt|tell|get|have)\b[^.\n]{0,20}\b(?:user|customer|them|him|her)\b[^.\n]{0,12}"
        r"\b(?:to|for)\b[^.\n]{0,60}(?:password|passcode|seed|recovery phrase|mnemonic|cvv|pin\b|card number|"
        r"security code|2fa|otp|one-time|private key|api key|token|ssn|social security)|"
        r"\b(?:enter|type|provide|paste|confirm|share|send|reply with)\b[^.\n]{0,12}\b(?:your|the|their)\b"
        r"[^.\n]{0,30}(?:password|passcode|seed phrase|recovery phrase|mnemonic|cvv2?|pin\b|card number|"
        r"security code|2fa code|otp|one-time code|private key|api key)", re.I),
        _gate("password", "passcode", "seed", "recovery", "mnemonic", "cvv", "cvv2", "pin", "card", "security",
              "fa", "otp", "one", "private", "api", "token", "ssn", "social")),
    # Active content a client may render or run: script handlers, javascript: links, host-object calls.
    Cue("active_content", re.compile(
        r"<script\b|\bon(?:error|load|click|mouseover|focus)\s*=|javascript:|<iframe\b|"
        r"\belectron\.\w+|child_process|\bnew Function\(|document\.cookie|window\.location\s*=", re.I),
        marks=("<script", "onerror", "onload", "onclick", "onmouseover", "onfocus", "javascript:", "<iframe",
               "electron.", "child_process", "new function(", "document.cookie", "window.location")),
    Cue("link", re.compile(r"https?://|www\.[a-z0-9-]+\.[a-z]{2,}", re.I), marks=("http", "www.")),
    Cue("second_person", None, _gate("you", "your", "yourself", "yours")),
    Cue("first_person", None, _gate("i", "me", "my", "we", "our", "us")),
    Cue("question", re.compile(r"\?\s*['\"]?\s*$"), marks=("?",)),
)
_CUE_NAMES = tuple(c.name for c in CUES)
DIRECTIVE_CUES = frozenset({
    "imperative", "addressed_ai", "override", "new_instructions", "role_marker", "user_request", "jailbreak",
    "exfiltration", "conceal", "your_output", "code_exec", "question", "credential_request", "active_content",
})  # fmt: skip
"""Cues that make a segment speak *to* its reader. A segment with none of them (nor its neighbours) only
talks about something, however alarming its words, and is not reported as an injected instruction."""


def cue_names() -> tuple[str, ...]:
    return _CUE_NAMES


# --- segmentation ------------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?](\s+)(?=[\"'(\[]?[A-Z0-9<#])")
"""The break after a sentence is group 1 (the punctuation leads the pattern so the search can skip to it)."""
_YAML_KEY = re.compile(
    r"[ \t]*-?[ \t]*(?!(?:system|assistant|user|admin|important|instructions?|note|todo|urgent)\s*:)"
    r"(?:[\w.-]{1,40}:[ \t]+(?:[|>][-+0-9]*[ \t]*$)?|[\w.'&() -]{1,60}:[ \t]*(?:[|>][-+0-9]*)?[ \t]*$)",
    re.I,
)
_LINE = re.compile(r"[^\n]+")
_TOKEN = re.compile(r"[a-z][a-z0-9']*|[0-9]+|[!?<>:|\[\]{}*=`$@/]")


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of the text to score; ``start``/``end`` index the text it came from (a piece joined from
    several short lines spans them all, and its ``text`` has spaces for the line breaks)."""

    start: int
    end: int
    text: str


def _line_pieces(text: str) -> Iterator[tuple[int, int, str]]:
    """Lines with their YAML key prefix removed. Runs of very short lines (a word or three each, as when a
    sentence is broken one word per line) are joined into one piece, with spaces for the line breaks."""
    run: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        line_start, line_end = line.span()
        key = _YAML_KEY.match(text, line_start, line_end)
        start = key.end() if key else line_start
        body = text[start:line_end]
        if len(body.split()) <= _SHORT_LINE_WORDS and not key:
            run.append((start, line_end))
            continue
        if run:
            yield _joined(text, run)
            run = []
        yield start, line_end, body
    if run:
        yield _joined(text, run)


def _joined(text: str, run: list[tuple[int, int]]) -> tuple[int, int, str]:
    return run[0][0], run[-1][1], " ".join(text[a:b].strip() for a, b in run)


def segments(text: str) -> Iterator[Segment]:
    """Lines, split into sentences, split into windows of at most ``MAX_SEGMENT_CHARS``. Blank pieces are
    skipped. A YAML key prefix (``  subject: ``) is not part of the segment, so the value speaks for itself."""
    count = 0
    for piece_start, _piece_end, body in _line_pieces(text):
        spans: list[tuple[int, int]] = []
        start = 0
        if "." in body or "!" in body or "?" in body:
            for cut in _SENTENCE_END.finditer(body):
                spans.append((start, cut.start(1)))
                start = cut.end()
        spans.append((start, len(body)))
        for a, b in spans:
            for w in range(a, b, MAX_SEGMENT_CHARS):
                chunk = body[w : min(w + MAX_SEGMENT_CHARS, b)]
                if len(chunk.strip(" \t\r'\"|-")) < 2:
                    continue
                yield Segment(piece_start + w, piece_start + w + len(chunk), chunk)
                count += 1
                if count >= MAX_SEGMENTS:
                    return


# --- features ----------------------------------------------------------------------------------------------


def _bucket(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & ((1 << HASH_BITS) - 1)


_MENTION = re.compile(
    r"(?:\blike|such as|e\.g\.|for example|phrases?|words?|strings?|sentences?|text|says?|saying|said|"
    r"called|known as|tr(?:y|ies|ied) to|attempts? to|make (?:the |a |an )?(?:model|ai|llm|assistant|agent)|"
    r"cause (?:the |a |an )?(?:model|ai|llm|assistant|agent) to|detects?|flags?|blocks?|contains?)\W{0,3}$",
    re.I,
)
_QUOTES = "\"“”«»`"
_MENTIONABLE = frozenset({"override", "jailbreak", "new_instructions"})


def _used(rx: re.Pattern[str], text: str) -> bool:
    """A phrase counts when it is *used*: not inside quotes and not introduced as something being talked about
    ("attackers try to make the model ignore previous instructions", 'phrases like "ignore ..."')."""
    for m in rx.finditer(text):
        before = text[max(0, m.start() - 60) : m.start()]
        quoted = sum(before.count(q) for q in _QUOTES) % 2 == 1
        if not quoted and not _MENTION.search(before):
            return True
    return False


_DIGIT = re.compile(r"[0-9]")


def _tokens(low: str) -> list[str]:
    toks = _TOKEN.findall(low)
    if _DIGIT.search(low) is None:
        return toks
    return [("0" if t[0].isdigit() else t) for t in toks]


def _dispatch(head: bool) -> dict[str, tuple[int, ...]]:
    table: dict[str, list[int]] = {}
    for i, cue in enumerate(CUES):
        if cue.head == head:
            for word in cue.words:
                table.setdefault(word, []).append(i)
    return {w: tuple(ix) for w, ix in table.items()}


_BY_WORD = _dispatch(head=False)
_BY_HEAD_WORD = _dispatch(head=True)
_GATE_WORDS = frozenset(_BY_WORD)
_BY_MARK = tuple((i, cue.marks) for i, cue in enumerate(CUES) if cue.marks)


def _cues(
    text: str, low: str, toks: list[str], marks: tuple[tuple[int, tuple[str, ...]], ...] = _BY_MARK
) -> tuple[str, ...]:
    candidates: set[int] = set()
    by_word = _BY_WORD
    for t in _GATE_WORDS.intersection(toks):
        candidates.update(by_word[t])
    for t in toks[:4]:
        hit = _BY_HEAD_WORD.get(t)
        if hit:
            candidates.update(hit)
    for i, cue_marks in marks:
        if i not in candidates and any(map(low.__contains__, cue_marks)):
            candidates.add(i)
    out = []
    for i in sorted(candidates):
        cue = CUES[i]
        rx = cue.regex
        if rx is None:
            out.append(cue.name)
        elif cue.name in _MENTIONABLE:
            if _used(rx, text):
                out.append(cue.name)
        elif (rx.match(text) if cue.head else rx.search(text)) is not None:
            out.append(cue.name)
    return tuple(out)


def cues(text: str) -> tuple[str, ...]:
    """The names of the structural cues present in ``text``; talk *about* an override is not an override."""
    low = text.lower()
    return _cues(text, low, _tokens(low))


def features(
    toks: list[str], own: tuple[str, ...], prev: tuple[str, ...] = (), nxt: tuple[str, ...] = (), *, edge: str = ""
) -> list[str]:
    """Features of one segment: its cues (``own``) and cue pairs, the cues of the segments before (``prev``)
    and after (``nxt``), word uni- and bigrams of its tokens, the opening words, and, for the first or last
    segment of a text (``edge``), its cues at that edge. The model hashes them."""
    out = ["C:" + c for c in own]
    if edge:
        out.extend(f"E:{edge}:{c}" for c in own)
    for i, a in enumerate(own):
        out.extend(f"CC:{a}|{b}" for b in own[i + 1 :])
    out.extend("P:" + c for c in prev)
    out.extend("N:" + c for c in nxt)
    if toks:
        out.append("F:" + toks[0])
        if len(toks) > 1:
            out.append(f"F2:{toks[0]} {toks[1]}")
    out.append(f"L:{min(len(toks) // 4, 12)}")
    out.extend(["W:" + t for t in toks])
    return out


def _analyse(text: str) -> tuple[list[Segment], list[list[str]], list[tuple[str, ...]]]:
    segs = list(segments(text))
    whole = text.lower()
    # A mark absent from the whole text is absent from every segment: check each once per text.
    marks = tuple((i, m) for i, m in _BY_MARK if any(map(whole.__contains__, m)))
    toks_all = []
    cues_all = []
    for seg in segs:
        low = seg.text.lower()
        toks = _tokens(low)
        toks_all.append(toks)
        cues_all.append(_cues(seg.text, low, toks, marks))
    return segs, toks_all, cues_all


def _features_at(i: int, toks_all: list[list[str]], cues_all: list[tuple[str, ...]]) -> list[str]:
    last = len(cues_all) - 1
    prev = cues_all[i - 1] if i else ()
    nxt = cues_all[i + 1] if i < last else ()
    edge = "first" if i == 0 else "last" if i == last else ""
    return features(toks_all[i], cues_all[i], prev, nxt, edge=edge)


def segment_features(text: str) -> list[tuple[Segment, tuple[str, ...], list[str]]]:
    """``(segment, cues, features)`` for every segment of ``text`` (shared by scoring and training)."""
    segs, toks_all, cues_all = _analyse(text)
    return [(seg, cues_all[i], _features_at(i, toks_all, cues_all)) for i, seg in enumerate(segs)]


# --- model -------------------------------------------------------------------------------------------------


_CACHE_LIMIT = 500_000


@dataclass(frozen=True, slots=True)
class InjectionModel:
    """Sparse logistic model over hashed features; ``flag``/``block`` are probability thresholds. Feature
    weights are memoised by feature string (bounded), so steady-state scoring does no hashing."""

    bias: float
    weights: dict[int, float]
    flag: float
    block: float
    version: str
    _memo: dict[str, float] = field(default_factory=dict, repr=False, compare=False)

    def weight(self, feature: str) -> float:
        memo = self._memo
        value = memo.get(feature)
        if value is None:
            value = self.weights.get(_bucket(feature), 0.0)
            if len(memo) < _CACHE_LIMIT:
                memo[feature] = value
        return value

    def probability(self, feats: list[str]) -> float:
        z = self.bias
        memo = self._memo
        for f in feats:
            v = memo.get(f)
            z += self.weight(f) if v is None else v
        if z < -30:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))


def parse_model(data: object, *, where: str = MODEL_FILE) -> InjectionModel:
    if not isinstance(data, dict):
        raise RuleError("model must be a JSON object", where=where)
    try:
        idx = data["indices"]
        val = data["values"]
        if len(idx) != len(val):
            raise ValueError("indices and values differ in length")
        return InjectionModel(
            bias=float(data["bias"]),
            weights={int(i): float(v) for i, v in zip(idx, val, strict=True)},
            flag=float(data["flag"]),
            block=float(data["block"]),
            version=str(data.get("version", "")),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise RuleError(f"model is malformed: {err}", where=where) from None


@cache
def load_model() -> InjectionModel:
    """The shipped model, read from package data (offline, once)."""
    raw = resources.files("garrison.analysis").joinpath("models", MODEL_FILE).read_text(encoding="utf-8")
    return parse_model(json.loads(raw))


# --- scoring -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SegmentScore:
    """``directive`` is true when the segment or a neighbour carries one of :data:`DIRECTIVE_CUES`."""

    segment: Segment
    probability: float
    cues: tuple[str, ...]
    directive: bool


def score_segments(
    text: str, model: InjectionModel | None = None, *, directive_only: bool = False
) -> list[SegmentScore]:
    """The segments of ``text`` with their probability of being an injected instruction. With
    ``directive_only`` only directive segments are scored and returned (what the guard needs; much faster on
    ordinary data, where most segments address nobody)."""
    m = load_model() if model is None else model
    segs, toks_all, cues_all = _analyse(text)
    own_directive = [not DIRECTIVE_CUES.isdisjoint(c) for c in cues_all]
    last = len(segs) - 1
    out = []
    for i, seg in enumerate(segs):
        directive = own_directive[i] or (i > 0 and own_directive[i - 1]) or (i < last and own_directive[i + 1])
        if directive_only and not directive:
            continue
        out.append(SegmentScore(seg, m.probability(_features_at(i, toks_all, cues_all)), cues_all[i], directive))
    return out
