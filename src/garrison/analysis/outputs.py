"""Injected instructions inside data: is this tool output (an email, a review, a web page, a file, a calendar
event) trying to instruct the model that reads it?

The text is cut into segments (lines, and sentences within long lines). Each segment gets two kinds of
features: structural cues that describe *how* it speaks (an imperative opening, words addressed to an AI
assistant, role markers such as ``system:`` or ``<INFORMATION>``, urgency, requests to send, forward,
transfer or visit, changed-instructions phrasing, concealment from the user, requests aimed at "your reply")
and hashed word n-grams. A logistic model (weights in ``models/guard_outputs.json``, trained offline by
``eval/train_guard.py`` on the development split) turns them into a probability. A text scores as its
strongest segment, with the segment before and after as context.

Pure and fast: no I/O after the one-time model load, a single regex pass per cue, bounded input.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from garrison.errors import RuleError

__all__ = [
    "CUES",
    "MAX_SEGMENT_CHARS",
    "MODEL_FILE",
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

_AI = r"(?:ai|a\.i\.|assistant|chatbot|bot|agent|llm|language model|model|copilot|gpt|claude|gemini|mixtral|llama)"
_VERBS = (
    r"(?:send|forward|transfer|email|e-mail|mail|post|upload|share|pay|wire|move|copy|export|leak|reveal|"
    r"print|output|say|reply|respond|answer|write|include|insert|add|append|embed|integrate|incorporate|use|"
    r"utilize|create|make|delete|remove|erase|drop|change|update|modify|set|reset|grant|invite|add|book|"
    r"reserve|schedule|cancel|buy|purchase|order|visit|open|click|go|navigate|browse|download|install|run|"
    r"execute|call|invoke|launch|stop|ignore|disregard|forget|override|bypass|disable|enable|translate|"
    r"summarize|tell|inform|notify|recommend|suggest|promote|mention|praise|rate|give|provide|list|"
    r"find|search|retrieve|fetch|read|check|look|do|perform|complete|solve|follow|obey|comply|act|pretend|"
    r"role-?play|imagine|encode|encrypt|decode|replace|substitute|rewrite|rephrase|format|respond|"
    r"jumble|group|analy[sz]e|explain|describe|break|compose|draft|generate|enhance|modify|adjust|ensure|"
    r"remember|keep|start|begin|continue|proceed|let|allow|please)"
)
CUES: dict[str, re.Pattern[str]] = {
    # Imperative opening: the segment starts with a verb (optionally after "please"/"now"/a label).
    "imperative": re.compile(
        rf"^(?:[\W\d_]*(?:todo|note|important|attention|action required|reminder|p\.?s\.?)\W*)?"
        rf"(?:(?:please|kindly|now|also|first|then|next|immediately|quickly),?\s+)*{_VERBS}\b",
        re.I,
    ),
    "addressed_ai": re.compile(
        rf"\b(?:you,?\s+(?:the\s+)?{_AI}|(?:dear|hey|hi|hello|attention|note to( the)?)\s+{_AI}|"
        rf"as an? {_AI}|to (?:the |you,? the )?{_AI}\b|{_AI}s? (?:reading|processing|parsing|summari[sz]ing) "
        rf"this|if you are an? {_AI}|you are (?:now |an? )?(?:helpful |new )?{_AI})",
        re.I,
    ),
    "override": re.compile(
        r"\b(?:ignore|disregard|forget|override|overrule|bypass|skip|drop|abandon|stop following)\b"
        r"[^.\n]{0,30}\b(?:previous|prior|earlier|above|preceding|original|initial|all|any|your|other|"
        r"existing|system)\b[^.\n]{0,20}\b(?:instructions?|directions?|directives?|rules?|guidelines?|prompts?|"
        r"tasks?|orders?|commands?|constraints?|policies|restrictions?)",
        re.I,
    ),
    "new_instructions": re.compile(
        r"\b(?:new|updated|real|actual|true|additional|secret|hidden|special|important) "
        r"(?:instructions?|task|directive|orders?|objective|goal)\b|\binstead\b[.!]?\s*$|"
        r"\b(?:before|after) you (?:can )?(?:solve|complete|finish|continue|do|answer|respond)|"
        r"\bthe task (?:that )?(?:i|the user) gave you\b|\byour (?:real|new|true|actual) (?:task|goal|job)\b|"
        r"\byou (?:must|should|have to|need to|are required to|will now) (?:now )?{verbs}\b".replace(
            "{verbs}", _VERBS
        ),
        re.I,
    ),
    "role_marker": re.compile(
        r"^[\s>*#`'\"(\[]*(?:system|assistant|user|admin|administrator|developer|operator|root|instruction|"
        r"instructions|important|information|urgent|sys|system_message|system message)\s*(?:\)|\]|:|>|!)"
        r"|<\|?/?(?:im_start|im_end|system|assistant|user|instructions?|information|important|admin|sys|"
        r"context|prompt|endoftext)\|?>|\[/?(?:inst|system|sys|assistant)\]|^\s*#{2,}\s*\(?\w*",
        re.I,
    ),
    "urgency": re.compile(
        r"\b(?:urgent(?:ly)?|immediately|right now|asap|at once|without delay|extremely important|"
        r"very important|critical(?:ly)?|mandatory|required|must)\b|!!+",
        re.I,
    ),
    "exfiltration": re.compile(
        r"\b(?:send|forward|transfer|email|e-mail|mail|post|upload|share|wire|leak|exfiltrate|copy)\b"
        r"[^.\n]{0,80}\b(?:to|at|via|into)\b[^.\n]{0,40}(?:@|https?://|www\.|\b[A-Z]{2}\d{2}[A-Z0-9]{8,}|"
        r"account|address|server|endpoint|url|webhook|iban)",
        re.I,
    ),
    "sensitive": re.compile(
        r"\b(?:passwords?|passcodes?|credentials?|api[ _-]?keys?|access keys?|secret keys?|tokens?|"
        r"ssh keys?|id_rsa|private keys?|seed phrases?|recovery phrases?|mnemonic|cvv2?|card numbers?|"
        r"security codes?|2fa|one-time (?:code|password)|otp|social security|\.env\b|\.aws|\.ssh|"
        r"system prompt|iban|bank account)\b",
        re.I,
    ),
    "conceal": re.compile(
        r"\b(?:do not|don't|never|without) (?:tell|telling|inform|informing|mention|mentioning|notify|"
        r"notifying|alert|alerting|reveal|revealing|show|showing|asking|ask)\b[^.\n]{0,30}\b(?:user|me|them|"
        r"anyone|human|this)\b|\b(?:secretly|silently|quietly|covertly)\b",
        re.I,
    ),
    "your_output": re.compile(
        r"\b(?:your|the) (?:reply|replies|response|responses|answer|answers|output|message|messages|summary|"
        r"explanation|elucidation|solution|code|codebase|implementation|script|text|writing|result)\b",
        re.I,
    ),
    # A request of the kind a user types to an assistant: a question or task about the world, not the data.
    "user_request": re.compile(
        r"^\W*(?:how (?:do|can|should|would|to) (?:i|we|you)|what (?:is|are) (?:the )?(?:best|main|major|primary|"
        r"key|benefits|differences|advantages|risks|pros)|why (?:is|are|do|does)|help me|can you|could you|"
        r"would you|will you|tell me|give me|show me|teach me|i (?:need|want) you|recommend|suggest|describe|"
        r"explain|list|provide|compare|summari[sz]e|generate|compose|write|create|draft|translate|analy[sz]e|"
        r"discuss|outline|share|offer|name)\b",
        re.I,
    ),
    "jailbreak": re.compile(
        r"\b(?:developer mode|jailbreak|jailbroken|dan mode|do anything now|no restrictions|unfiltered|"
        r"safety (?:filters?|guidelines|rules)|without (?:any )?(?:restrictions|limitations|filters))\b|"
        r"\byou are (?:now )?(?:dan|in \w+ mode)\b",
        re.I,
    ),
    "code_exec": re.compile(
        r"\b(?:os\.system|subprocess|popen|exec\(|eval\(|socket\.socket|requests\.(?:post|get)|urllib|"
        r"curl\s+-|wget\s|\|\s*(?:ba)?sh\b|powershell|rm\s+-rf|chmod\s+\+x|base64\s+-d|nc\s+-e)",
        re.I,
    ),
    "link": re.compile(r"https?://|www\.[a-z0-9-]+\.[a-z]{2,}", re.I),
    "second_person": re.compile(r"\b(?:you|your|yourself)\b", re.I),
    "first_person": re.compile(r"\b(?:i|me|my|we|our|us)\b", re.I),
    "question": re.compile(r"\?\s*['\"]?\s*$"),
}


def cue_names() -> tuple[str, ...]:
    return tuple(CUES)


# --- segmentation ------------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9<#])")
_YAML_KEY = re.compile(
    r"[ \t]*-?[ \t]*(?!(?:system|assistant|user|admin|important|instructions?|note|todo|urgent)\s*:)"
    r"(?:[\w.-]{1,40}:[ \t]+(?:[|>][-+0-9]*[ \t]*$)?|[\w.'&() -]{1,60}:[ \t]*(?:[|>][-+0-9]*)?[ \t]*$)",
    re.I,
)
_LINE = re.compile(r"[^\n]+")
_TOKEN = re.compile(r"[a-z][a-z0-9']*|[0-9]+|[!?#<>:|\[\]{}*=`$@/]")


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
        for cut in _SENTENCE_END.finditer(body):
            spans.append((start, cut.start()))
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


def cues(text: str) -> tuple[str, ...]:
    """The names of the structural cues present in ``text``; talk *about* an override is not an override."""
    return tuple(
        name
        for name, rx in CUES.items()
        if (_used(rx, text) if name in _MENTIONABLE else rx.search(text) is not None)
    )


def features(
    text: str, own: tuple[str, ...], prev: tuple[str, ...] = (), nxt: tuple[str, ...] = (), *, edge: str = ""
) -> list[int]:
    """Hashed feature indices of one segment: its cues (``own``) and cue pairs, the cues of the segments before
    (``prev``) and after (``nxt``), word uni- and bigrams, the opening words, and, for the first or last segment
    of a text (``edge``), its cues at that edge."""
    out = [_bucket("C:" + c) for c in own]
    if edge:
        out.extend(_bucket(f"E:{edge}:{c}") for c in own)
    for i, a in enumerate(own):
        out.extend(_bucket(f"CC:{a}|{b}") for b in own[i + 1 :])
    out.extend(_bucket("P:" + c) for c in prev)
    out.extend(_bucket("N:" + c) for c in nxt)
    toks = [("0" if t[0].isdigit() else t) for t in _TOKEN.findall(text.lower())]
    if toks:
        out.append(_bucket("F:" + toks[0]))
        if len(toks) > 1:
            out.append(_bucket(f"F2:{toks[0]} {toks[1]}"))
    out.append(_bucket(f"L:{min(len(toks) // 4, 12)}"))
    prev_tok = "<s>"
    for t in toks:
        out.append(_bucket("W:" + t))
        out.append(_bucket(f"B:{prev_tok} {t}"))
        prev_tok = t
    return out


def segment_features(text: str) -> list[tuple[Segment, tuple[str, ...], list[int]]]:
    """``(segment, cues, features)`` for every segment of ``text`` (shared by scoring and training)."""
    segs = list(segments(text))
    all_cues = [cues(s.text) for s in segs]
    out = []
    for i, seg in enumerate(segs):
        prev = all_cues[i - 1] if i else ()
        nxt = all_cues[i + 1] if i + 1 < len(segs) else ()
        edge = "first" if i == 0 else "last" if i == len(segs) - 1 else ""
        out.append((seg, all_cues[i], features(seg.text, all_cues[i], prev, nxt, edge=edge)))
    return out


# --- model -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InjectionModel:
    """Sparse logistic model over hashed features; ``flag``/``block`` are probability thresholds."""

    bias: float
    weights: dict[int, float]
    flag: float
    block: float
    version: str

    def probability(self, feats: list[int]) -> float:
        w = self.weights
        z = self.bias + sum(w.get(f, 0.0) for f in feats)
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
    segment: Segment
    probability: float
    cues: tuple[str, ...]


def score_segments(text: str, model: InjectionModel | None = None) -> list[SegmentScore]:
    """Every segment of ``text`` with its probability of being an injected instruction."""
    m = load_model() if model is None else model
    return [SegmentScore(seg, m.probability(feats), own) for seg, own, feats in segment_features(text)]
