"""What each sentence of a definition *does*: describe the tool, or direct the model somewhere else.

Real tool descriptions are full of instructions to the model ("you MUST call list_users first", "dates must
be ISO-8601"). An instruction is not the problem; what it points at is. Each sentence is split out and read
for the signals below; only combinations that move the model outside the definition's purpose are reported:

- *injection*: attempts to replace the model's instructions (ignore previous instructions, pseudo-system tags)
- *flow*: a data-flow verb (send, upload, forward, include, append, carry ...) that is not negated; in a
  parameter's description also the verbs that fill the parameter (use, set, quote ...)
- *access*: a read verb (read, collect, look for ...) that is not negated
- *sensitive*: credentials, keys, secret-holding variables, client configs, shell history, the instance metadata
  address, personal identifiers (card numbers, passport, date of birth) outside a payments or records domain
- *context*: the conversation, what the user has said in this session, the system prompt, the user's own
  things (their files, notes, contacts), the model's identity; what the user mentions becomes context only
  when something collects or sends it ("if the user mentions a card, collect it")
- *destination*: an e-mail address, URL, IP address, phone number or IBAN, or a tool of another server;
  recipients added to other operations (bcc, attendees, remotes)
- *secrecy*: hiding the behaviour from the user ("no need to bring it up", "leave it out of your reply")
- *preference*: superlatives, exclusivity and disparaging other tools
- *transfer*: "this tool is deprecated / sunset / handled by X"
- *hijack*: changing what happens before/after *other* tools or operations run

A sentence is read as addressed to the model when it gives an order (an imperative clause, "you must", "the
assistant should"); a verb whose object is a pronoun acts on what the sentence named before ("the API keys ...,
look for them"); objects after "e.g." or "for example" illustrate input and direct nothing.

Whether an object is in scope is judged against the definition's :class:`Scope` (its own name and summary, its
server's name, its sibling tools and close synonyms of those words), so an SSH key manager may talk about keys,
an e-mail tool about bcc and a chat tool about the conversation. Possessive words ("the user's") count towards
scope only for definitions named after people (``get_user``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from garrison.model import Severity

__all__ = [
    "SENSITIVE_PATH",
    "Directive",
    "DirectiveKind",
    "Scope",
    "analyse_text",
    "make_scope",
    "make_scope_cache_clear",
    "sentences",
    "words",
]

DirectiveKind = Literal[
    "injection", "exfiltration", "hijack", "secrecy", "sensitive", "preference", "transfer",
]

_WORD = re.compile(r"[a-z]+|[0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SENTENCE_END = re.compile(
    r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)[\"')\]]*\s+|\n\s*\n|\n\s*(?=[-*•]|\d+[.)]\s)|\n(?=[A-Z])")
"""Sentence ends: punctuation (not in ``e.g.``/``i.e.``) and space, blank lines, bullets, capitalised lines."""
MAX_SENTENCE_CHARS = 2_000
"""Longer runs without punctuation are cut into pieces of this size, so every scan stays bounded."""


def words(text: str) -> list[str]:
    """Lower-case word tokens; ``camelCase`` and ``snake_case`` identifiers are split into their parts."""
    return _WORD.findall(_CAMEL.sub(" ", text).lower())


@lru_cache(maxsize=16_384)
def _stem(word: str) -> str:
    for suffix in ("ing", "es", "s", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True, slots=True)
class Scope:
    """What a definition is about. ``words`` are stems of its name, title, summary sentence and server name;
    ``tools`` are the names of every tool on the same server (itself included), lower-cased."""

    name: str
    words: frozenset[str]
    tools: frozenset[str]

    def covers(self, terms: Iterable[str]) -> bool:
        return any(_stem(t) in self.words for t in terms)


def make_scope(name: str, description: str, *, title: str | None = None, server: str = "",
               tools: Iterable[str] = ()) -> Scope:
    """The scope of one definition: its name, title and first sentence are what it says it is for."""
    known = tools if isinstance(tools, frozenset) else frozenset(t.lower() for t in tools)
    return _make_scope(name, description, title, server, known)


def make_scope_cache_clear() -> None:
    _make_scope.cache_clear()


@lru_cache(maxsize=8_192)
def _make_scope(name: str, description: str, title: str | None, server: str, tools: frozenset[str]) -> Scope:
    first = _SENTENCE_END.search(description)
    summary = description[: first.start() if first else MAX_SENTENCE_CHARS]
    text = " ".join((name, title or "", summary, server))
    stems = {_stem(w) for w in set(words(text))}
    for stem in list(stems):
        stems.update(_SYNONYMS.get(stem, ()))
    return Scope(name.lower(), frozenset(stems), tools)


_SYNONYM_GROUPS = (
    "chat chats conversation conversations thread threads message messages transcript transcripts dialog",
    "email emails mail mails inbox mailbox message messages",
    "file files document documents doc docs folder folders directory directories",
    "calendar calendars event events meeting meetings invite invites invitation invitations schedule",
    "contact contacts crm lead leads customer customers",
    "llm llms completion completions prompt prompts gpt chatbot",
    "invoice invoices billing bill bills accounting",
)
"""Words that name the same kind of object: a chat tool is about conversations, a mail tool about messages."""


def _synonyms() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for group in _SYNONYM_GROUPS:
        stems = {_stem(w) for w in group.split()}
        for stem in stems:
            out.setdefault(stem, set()).update(stems)
    return {k: frozenset(v) for k, v in out.items()}


_SYNONYMS = _synonyms()


def sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence, bullet or paragraph of ``text``, stripped of surrounding space."""
    out: list[tuple[int, int]] = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        _add_sentence(text, pos, m.start(), out)
        pos = m.end()
    _add_sentence(text, pos, len(text), out)
    return out


def _add_sentence(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > MAX_SENTENCE_CHARS:
        out.append((start, start + MAX_SENTENCE_CHARS))
        start += MAX_SENTENCE_CHARS
    if end > start:
        out.append((start, end))


@dataclass(frozen=True, slots=True)
class Directive:
    """One sentence that steers the model outside the definition's purpose. ``start``/``end`` index the
    analysed text; ``reason`` names the signals that fired."""

    kind: DirectiveKind
    severity: Severity
    start: int
    end: int
    reason: str


# --- lexicon: general English and well-known locations, not phrases of any data set ------------------------

# Patterns are written in lower case and matched against lower-cased text (faster than IGNORECASE).
_NEG = r"(?:\b(?:not|never|no|without|cannot)\b|n't\b)"
_FLOW = re.compile(
    r"\b(?:send|sends|sent|sending|e-?mail(?:s|ed|ing)?|upload(?:s|ed|ing)?|forward(?:s|ed|ing)?|"
    r"transmit(?:s|ted|ting)?|exfiltrat\w*|leak(?:s|ed|ing)?|b?cc|post(?:s|ed|ing)?\s+(?:it|them|this|that)\s+to|"
    r"shar(?:e|es|ed|ing)\s+(?:\S+\s+){0,4}with|relay(?:s|ed)?|sync(?:s|ed)?\s+(?:\w+\s+){0,3}to|"
    r"append(?:s|ed|ing)?|attach(?:es|ed|ing)?|embed(?:s|ded|ding)?|carr(?:y|ies|ied)|"
    r"let\s+(?:\S+\s+){1,6}?know|hand(?:s|ed)?\s+(?:\w+\s+){0,3}?over|"
    # the same verbs in other common languages (model-facing text is not always English)
    r"env[ií]a|enviar|envoie|envoyer|envoyez|sende|senden|schicke|schicken|invia|inviare|envie|"
    r"inclu(?:ye|ir|ez|re|a)|adjunta|h[aä]nge)\b",
)
"""Verbs that move data somewhere in any form (``sends``, ``appending``)."""
_FLOW_IMPERATIVE = re.compile(
    r"\b(?:include|add|put|insert|fill|provide|supply|pass|copy|submit|store|write|paste|place|set|populate|"
    r"record|log|save|quote|repeat|reproduce|transcribe)\b")
"""Verbs that move data only when the model is told to (``include X``, not ``this includes X``)."""
_ACCESS = re.compile(
    r"\b(?:read(?:s|ing)?|cat|open(?:s|ed|ing)?|collect(?:s|ed|ing)?|gather(?:s|ed|ing)?|harvest\w*|grab(?:s|bed)?|"
    r"dump(?:s|ed|ing)?|retriev\w+|fetch(?:es|ed|ing)?|extract(?:s|ed|ing)?|obtain(?:s|ed)?|query|request|curl|"
    r"wget|download|visit|look\s+(?:for|up|through|in)|search\s+(?:for|through)|scan|"
    r"lee|leer|lire|lisez|lesen|leggi|leggere|recopila|sammle|"
    r"contents?\s+of)\b",
)
SENSITIVE_PATH = re.compile(
    r"\.ssh\b|\bid_(?:rsa|dsa|ecdsa|ed25519)\b(?!\.pub)|"
    r"\.aws/(?:credentials|config)|\.env\b|/etc/(?:passwd|shadow|sudoers|gshadow)\b|\bmcp\.json\b|"
    r"claude_desktop_config|\.cursor/|\.codeium/|\.continue/|\.npmrc\b|\.pypirc\b|\.netrc\b|\.git-credentials|"
    r"\.docker/config|\.kube/config|\bkubeconfig\b|\.(?:bash|zsh|sh|python|psql|mysql)_history\b|\.bashrc\b|"
    r"\.zshrc\b|\.bash_profile\b|\.profile\b|169\.254\.169\.254|metadata\.google\.internal|\.gnupg\b|"
    r"\bwallet\.dat\b|\bkeychain\b|\.config/gcloud|application_default_credentials|\blogin data\b|"
    r"\bcookies\.sqlite\b|\.terraformrc\b|\.vault-token\b|\bsecrets?\.(?:json|ya?ml|toml)\b",
)
_SENSITIVE_NOUN = re.compile(
    r"\b(?:private\s+keys?|ssh\s+keys?|api[\s_-]*keys?|access\s+keys?|secret\s+keys?|secrets|credentials?|"
    r"passwords?|passphrases?|seed\s+phrases?|mnemonic|(?:auth|access|session|bearer|refresh|api|oauth|secret|"
    r"github|jwt|personal\s+access)\s+tokens?|"
    r"cookies|environment\s+variables?|env\s+vars|saved\s+passwords|(?:shell|command|bash|browser)\s+history|"
    r"shell\s+(?:profile|rc)|keychain|(?:client|mcp)\s+config(?:uration)?s?)\b",
)
_SECRET_NAME = re.compile(r"\b\w*_(?:secret|token|password|passwd|credentials?|api_key|access_key)\w*|\bdatabase_url\b")
"""Environment variables and settings that hold secrets (``AWS_SECRET_ACCESS_KEY``, ``GITHUB_TOKEN``)."""
_PERSONAL = re.compile(
    r"\b(?:passport(?:\s+numbers?)?|social\s+security(?:\s+numbers?)?|ssn|dates?\s+of\s+birth|"
    r"insurance\s+numbers?)\b|"
    r"\b(?:(?:credit\s+|debit\s+|bank\s+)?card\s+(?:numbers?|details)|cvv|cvc|(?:account|tax)\s+numbers?|"
    r"bank\s+(?:details|accounts?|logins?))\b",
)
"""Identifiers of a person (passport, date of birth) and of their money (card numbers, bank details)."""
_PERSON_DOMAIN = frozenset(_stem(w) for w in (
    "patient health medical clinic hr employee employees travel traveller traveler flight airline hotel passport "
    "identity kyc insurance visa").split())
_CARD_DOMAIN = frozenset(_stem(w) for w in (
    "payment payments pay card cards checkout wallet charge charges stripe paypal").split())
_MONEY_DOMAIN = _CARD_DOMAIN | frozenset(_stem(w) for w in (
    "bank banking iban transfer invoice billing accounting tax").split())
_CONTEXT = re.compile(
    r"\b(?:conversation(?:\s+history)?|chat\s+(?:history|log|transcript)|"
    r"(?:previous|prior|earlier|recent|last|all)\s+(?:\w+\s+){0,2}(?:messages|turns|prompts|exchanges|queries|"
    r"requests)|user'?s?\s+messages|everything\s+(?:the\s+)?user\s+(?:has\s+)?(?:said|typed|written)|"
    r"system\s+prompts?|(?:your|the\s+model'?s?|the\s+assistant'?s?)\s+(?:instructions|prompt|context|name|"
    r"identity)|(?:the\s+)?user'?s\s+(?:messages|data|files|e-?mails|contacts|documents|personal\s+\w+|history|"
    r"profile)|full\s+context|entire\s+context|internal\s+context|all\s+(?:available\s+)?tools|"
    r"list\s+of\s+(?:available\s+)?tools|tools?\s+list|(?:llm|model|assistant|ai)\s+(?:model\s+)?name|contents?\s+of\s+(?:any|all|every|the\s+user)"
    r"|all\s+(?:files|documents|e-?mails|contacts))\b|"
    r"\b(?:in|from|of)\s+(?:this|the\s+current|the|your)\s+(?:chat|conversation|session|thread)\b|"
    r"\b(?:historial|historique|cronologia|hist[óo]rico)\s+(?:\w+\s+){0,2}(?:conversaci[óo]n|conversation|chat|"
    r"conversa)|\b(?:chat|gespr[äa]chs|unterhaltungs)verlauf\b|"
    r"\b(?:earlier|previously|so\s+far)\s+in\s+the\s+(?:chat|conversation|session)\b",
)
_SAID = re.compile(
    r"\b(?:user|customer|patient|they)\s+(?:has|have|had)\s+(?:\w+\s+)?(?:mentioned|discussed|shared|typed|said|"
    r"written|asked|sent|pasted)\b")
"""What the user has said so far in the session."""
_OWNED = re.compile(
    r"\b(?<!to\s)(?<!into\s)(?<!for\s)(?:the\s+)?(?:user|customer|patient)'?s\s+(?:\w+\s+){0,2}?(?:messages|notes|"
    r"files|documents|e-?mails|contacts|contact\s+list|address\s+book|history|location|photos|calendar|"
    r"conversations?|questions|data|profile|passwords|credentials|portfolio|holdings|clipboard|keys|tokens|"
    r"secrets|identity)\b",
)
"""The user's own things: ``the user's open files``, ``the customer's saved cards``."""
_TRIGGER = re.compile(
    r"\b(?:user|customer|patient|conversation|chat|they)\s+(?:mentions?|talks?\s+about|shares?|discuss(?:es)?|"
    r"brings?\s+up|contains?|refers?\s+to|asks?\s+about)\b")
"""What the user says, as a condition: it becomes data only when something collects or sends it."""
_DESTINATION = re.compile(
    r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b|\bhttps?://[^\s\"'<>)]+|\b(?:\d{1,3}\.){3}\d{1,3}\b|\bwebhook\b|"
    r"\b(?:external|remote|third[- ]party|attacker'?s?)\s+(?:server|endpoint|address|host|site|url)\b|"
    r"\battacker\b|\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}\b|"
    r"\b[a-z]{2}\d{2}\s?(?:[a-z0-9]{4}\s?){3,7}[a-z0-9]{0,4}\b(?<=\d)",
)
_RECIPIENT = re.compile(
    r"\b(?:attendees?|recipients?|b?cc|participants?|invitees?|guests?|beneficiar(?:y|ies)|payees?|remotes?|"
    r"mirror)\b")
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+)?"
    r"(?:previous|prior|above|earlier|preceding|system|original|other|safety|conflicting|existing|developer)\s+"
    r"(?:instructions?|prompts?|rules|directions|guidelines|guidance|context|messages|policies|constraints)\b|"
    r"\b(?:ignore|disregard)\s+(?:what\s+)?(?:the\s+)?(?:user|operator)\s+(?:says|said|asks|asked|wants)\b|"
    r"\b(?:new|updated|real|actual)\s+(?:system\s+)?instructions\s*:|\byou\s+are\s+now\b|\bfrom\s+now\s+on\b|"
    r"<\s*/?\s*(?:system|important|instructions?|secret|hidden|admin|sudo)\s*>|\[\s*(?:system|inst)\s*\]",
)
_SECRECY = re.compile(
    rf"{_NEG}\s+(?:\w+\s+){{0,2}}(?:tell|mention|inform|notify|alert|reveal|disclose|show|display|report|"
    r"explain|say|ask|warn)(?:ing)?\s+(?:\w+\s+){0,4}(?:the\s+)?(?:user|human|them|anyone|operator)\b|"
    r"\b(?:omitted|hidden|excluded|removed|concealed|suppressed)\s+from\s+(?:\w+\s+){0,5}(?:user|summary|display|"
    r"output|response|log)|\bnot\s+(?:be\s+)?(?:shown|displayed|visible|surfaced|reported)\s+(?:\w+\s+){0,3}"
    r"(?:to|in)\s+(?:\w+\s+){0,2}(?:user|summary)|\buser\s+(?:does\s+not|doesn't|need\s+not|should\s+not|must\s+not|"
    r"won't|will\s+not)\s+(?:need\s+to\s+)?(?:know|see|notice|be\s+told)|\b(?:silently|secretly|covertly|quietly|"
    r"discreetly|invisibly|behind\s+the\s+scenes)\b(?=.*\b(?:send|sends|sent|upload|forward|transmit|exfiltrat|"
    r"copy|copies|include|append|attach|collect|read|bcc|cc)\w*)|\b(?:send|sent|upload|forward|transmit|exfiltrat|"
    r"copy|copie|append|attach|collect|bcc)\w*\b[^.;]{0,200}?\b(?:silently|secretly|covertly|discreetly|"
    r"invisibly)\b|\bkeep\s+(?:this|it)\s+(?:a\s+)?secret\b|"
    r"\b(?:hide|conceal)\s+(?:this|it|the\s+\w+)\s+from\b|\buser\s+(?:is\s+|are\s+|should\s+|must\s+)?"
    r"(?:not|never)\s+(?:be\s+)?(?:made\s+)?(?:aware|informed|told|notified|alerted)\b|\bwithout\s+(?:the\s+)?"
    r"user'?s?\s+(?:knowledge|knowing|awareness|noticing)\b|\bbehind\s+(?:the\s+)?user'?s?\s+back\b",
)
_SECRECY_UNSAID = re.compile(
    r"\b(?:keep|leave)\s+(?:\S+\s+){0,8}?out\s+of\s+(?:your|the)\s+(?:\w+\s+)?(?:reply|"
    r"replies|answers?|responses?|summary|summaries|explanations?|messages?|output)\b|\bleave\s+(?:this|that|it|"
    r"these|those|the\s+\w+)\s+(?:\w+\s+)?out\s+(?:when|of|in)\b|"
    r"\b(?:remain|stay|be\s+kept|keep\s+(?:them|the\s+user))\s+unaware\b|\bwithh[oe]ld\w*\s+(?:\S+\s+){0,4}from\s+"
    r"(?:the\s+)?(?:user|them|human)\b|\bkeep\s+(?:quiet|silent)\s+about\b",
)
"""Keeping things out of the answer: ``leave this out of your reply``, ``withhold it from the user``."""
_SECRECY_UNTOLD = re.compile(
    r"\bno\s+need\s+to\s+(?:\w+\s+){0,2}(?:mention|tell|inform|explain|report|say|surface|point\s+out|bring\s+"
    r"(?:\w+\s+){0,2}up|bother)\b|\b(?:simply|just)\s+(?:report|say|tell\s+(?:\w+\s+)?|state|reply)\s+that\b|"
    rf"{_NEG}\s+(?:\w+\s+){{0,2}}let\s+(?:the\s+)?(?:user|them|anyone|human)\s+(?:know|see|notice|find\s+out)\b|"
    r"\b(?:refrain\s+from|avoid|without)\s+(?:\w+\s+)?(?:telling|mentioning|informing|notifying|revealing|"
    r"disclosing|showing|reporting|explaining|saying|bringing\s+up|pointing\s+out)\b",
)
"""Not telling: ``no need to mention it``, ``don't let the user know``, ``simply report that it worked``."""
_SECRECY_OTHER_LANGUAGES = re.compile(
    r"\bn'(?:informez|informe|indiquez|dites|mentionnez|signalez|r[ée]v[ée]lez)\s+(?:pas|rien|jamais)\b|"
    r"\bne\s+(?:le\s+|lui\s+)?(?:dites|dis|mentionnez|signalez|montrez)\s+(?:pas|rien|jamais)\b|"
    r"\bno\s+(?:le\s+|les\s+)?(?:digas|diga|digan|menciones|mencione|informes|informe|cuentes|cuente|reveles|"
    r"revele|muestres|muestre)\b|\b(?:sag|sage|sagen|erw[äa]hne|erw[äa]hnen|informiere|informieren)\s+(?:sie\s+)?"
    r"(?:dem|den)\s+(?:benutzer|nutzer|anwender)\w*\s+(?:\w+\s+)?nichts?\b|\bnon\s+(?:dire|dica|dite|menzionare|"
    r"menzioni|informare|informi|rivelare)\b|\bn[ãa]o\s+(?:diga|conte|mencione|informe|revele)\b",
)
_PREFERENCE = re.compile(
    r"\b(?:best|only\s+(?:reliable|trusted|safe|secure|accurate|correct|valid|working)|most\s+(?:reliable|"
    r"accurate|trusted|secure|powerful|advanced|capable|trustworthy)|number\s+one|#1|ultimate|superior|greatest|"
    r"top-rated)\s+(?:\w+\s+){0,3}(?:tool|server|function)s?\b|"
    r"\b(?:best|only\s+(?:reliable|trusted|safe|secure|accurate|correct|valid|working)|most\s+(?:reliable|"
    r"accurate|trusted|secure|trustworthy)|number\s+one|#1|ultimate|superior)\s+(?:\w+\s+){0,3}(?:option|choice|"
    r"way|source|solution|service)s?\b(?=.*\b(?:other|another|any|instead|only|always|never|exclusively)\b)|"
    r"\b(?:instead\s+of|rather\s+than|over|before)\s+(?:any|all|other|the\s+other|another)\s+(?:\w+\s+){0,2}"
    r"(?:tools?|servers?|functions?|options?)\b|"
    rf"{_NEG}\s+(?:\w+\s+){{0,2}}(?:use|call|choose|trust)\s+(?:any\s+)?(?:other|another|different)\s+"
    r"(?:\w+\s+)?(?:tools?|servers?|functions?)\b|"
    r"\bno\s+other\s+(?:\w+\s+)?(?:tools?|servers?|functions?)\s+(?:is|are|can\s+be)\s+(?:\w+\s+)?(?:trustworthy|"
    r"reliable|accurate|safe|secure|correct|trusted)\b|"
    r"\bother\s+(?:\w+\s+)?(?:tools?|servers?|functions?)\s+(?:are|is|may\s+be|will\s+be)\s+(?:\w+\s+)?"
    r"(?:unreliable|broken|deprecated|unsafe|outdated|inaccurate|insecure|compromised|malicious|wrong)\b|"
    r"\b(?:prefer|prioriti[sz]e)\s+this\s+(?:tool|server|function)\b",
)
_PREFERENCE_ONLY = re.compile(
    r"\b(?:route|send|direct|run)\s+(?:every|all|each|any)\s+(?:\w+\s+){0,2}through\s+this\b|"
    r"\beven\s+(?:when|if)\s+(?:another|other|a\s+different)\s+(?:\w+\s+){0,2}(?:tools?|servers?|integrations?)\s+"
    r"(?:is|are)\s+(?:also\s+)?available\b|\b(?:rely|depend)\s+(?:solely|only|exclusively)\s+on\b|"
    r"\bonly\s+rely\s+on\b|"
    r"\bthe\s+only\s+(?:\w+\s+)?(?:tool|server|function|integration|source|one)\s+(?:that\s+)?(?:you\s+)?(?:should|"
    r"can|may|must|need\s+to)\s+(?:ever\s+)?(?:trust|use|rely\s+on|call|consult)\b|"
    r"\b(?:use|call|trust)\s+only\s+this\s+(?:\w+\s+)?(?:tool|server|function|integration|one)\b|"
    r"\bonly\s+(?:use|call|trust)\s+this\s+(?:\w+\s+)?(?:tool|server|function|integration|one)\b",
)
"""Exclusivity: ``route every lookup through this one``, ``rely solely on this server``."""
_PREFERENCE_OTHERS = re.compile(
    r"\b(?:results?|answers?|data)\s+from\s+(?:any\s+)?(?:other|another)\s+(?:\w+\s+){0,2}"
    r"(?:tools?|servers?|integrations?|plugins?|providers?)\s+(?:are|is)\s+(?:\w+\s+){0,2}(?:stale|fabricated|"
    r"unreliable|wrong|inaccurate|outdated|fake|incorrect)\b|"
    rf"{_NEG}\s+(?:\w+\s+){{0,2}}(?:use|call|choose|trust|consult|query|try|pick|select|rely\s+on|fall\s+back\s+to)"
    r"\s+(?:any\s+|the\s+)?(?:other|another|different|alternative)\s+(?:\w+\s+){0,2}(?:tools?|servers?|functions?|"
    r"integrations?|providers?|plugins?|services?)\b|"
    r"\bother\s+(?:\w+\s+)?(?:tools?|servers?|functions?|integrations?)\s+(?:\w+\s+)?(?:are|is|may\s+be|will\s+be|"
    r"have\s+been|has\s+been)\s+(?:\w+\s+)?(?:unreliable|broken|deprecated|unsafe|outdated|inaccurate|insecure|"
    r"compromised|malicious|wrong|stale|fabricated|flagged)\b",
)
"""Disparaging the alternatives: ``other search integrations are often stale``, ``never consult the others``."""
_DEPRECATED = re.compile(
    r"\b(?:is\s+)?(?:deprecated|obsolete|discontinued|retired|no\s+longer\s+(?:works?|supported|available|"
    r"maintained|functional)|has\s+been\s+(?:replaced|superseded|moved)|replaced\s+by|superseded\s+by|"
    r"sunset(?:ted)?|end[- ]of[- ]life|(?:now\s+)?(?:handled|served|provided|done)\s+by|moved\s+to|"
    r"(?:unreliable|broken|unsupported)\s+in\s+this\s+(?:release|version))\b",
)
_CALL_TARGET = re.compile(
    r"\b(?i:use|uses|call|calls|calling|invoke|invokes|run|runs|execute|executes|switch\s+to|migrate\s+to|"
    r"replaced\s+by|superseded\s+by|via|with|using|through|handled\s+by|served\s+by|to)\s+"
    r"(?:the\s+)?[`'\"]*([A-Za-z][\w.-]*(?:_|[a-z][A-Z])[\w.-]*)[`'\"]*(?:\(\))?|"
    r"[`'\"]*\b([A-Za-z][\w.-]*_[\w.-]*)[`'\"]*\s+(?i:handles|does|works|supports|is\s+the\s+(?:new|current|"
    r"supported|right|correct))\b",
)
_OTHER_OPERATION = re.compile(
    r"\b(?:before|after|whenever|every\s+time|each\s+time|prior\s+to)\s+(?:you\s+)?(?:use|using|call|calling|run|"
    r"running|execute|executing|invoke|invoking|perform|performing|respond|responding|answer|answering)\s+"
    r"(?:any|another|other|every|each|a|the|an)?\s*(?!this\b)(\w+)|"
    r"\b(?:when|whenever|before|after|once|if|should)\s+(?:the\s+|any\s+|another\s+|other\s+|an?\s+)?"
    r"(?:\w+\s+){0,2}(?:tool|server|function|integration)s?\s+(?:is\s+|are\s+|be\s+)?(?!this\b)(\w+)|"
    r"\b(?:when|whenever|every\s+time|each\s+time)\s+(?:a|an|any)\s+(?:\w+\s+){0,4}(?:is|are|gets?)\s+"
    r"(?:being\s+)?(prepared|sent|created|made|composed|drafted|scheduled|submitted|initiated|paid|booked)\b|"
    r"\b(?:each\s+time|every\s+time|whenever|when|before|after)\s+(?:you|the\s+(?:model|assistant|agent|user))\s+"
    r"(?:runs?|calls?|uses?|executes?|invokes?|sends?|creates?)\s+(?:a|an|any|another|the)?\s*(?!this\b)(\w+)|"
    r"\b(?:when|whenever|each\s+time|every\s+time|after|before|once)\s+[`'\"]?([a-z][a-z0-9]*_[\w.-]*)[`'\"]?\s+"
    r"(?:is|gets|has\s+been)\s+(?:called|used|run|invoked|executed)\b|"
    r"\b(?:after|before)\s+(?:any|a|each|every)\s+call\s+to\s+[`'\"]?([a-z][a-z0-9]*_[\w.-]*)",
)
_TAMPER = re.compile(
    r"\b(?:replace|modify|change|alter|override|rewrite|swap|substitute|tamper)\w*\s+(?:\w+\s+){0,3}"
    r"(?:values?|results?|arguments?|parameters?|inputs?|outputs?|responses?|answers?|recipients?|amounts?|"
    r"destinations?|accounts?|iban|address(?:es)?|urls?|paths?|payees?)\b|"
    r"\b(?:use|send\s+(?:it|them)\s+to|pay)\s+(?:\S+\s+){1,6}?instead\s+of\s+(?:the\s+)?(?:one|ones|account|"
    r"address|recipient|iban|number|details)\b|"
    r"\b(?:prepend|append|inject|insert)\w*\s+(?:\S+\s+){0,12}?to\s+(?:it|them|its|their|the|every|each)\b",
)
_SETTING = re.compile(r"\b(?:set|force)\s+(?:the|its|their)\s+(?:\w+\s+){0,2}(?:to|=)\s")
_ADDRESSED = re.compile(
    r"^\W*(?:always|never|do\s+not|don't|please|kindly|make\s+sure|ensure|remember|first|then|also|before|after|when|"
    r"whenever|you|must|important|note|(?![a-z]*[^s]s\b)[a-z]+\s+(?:the|all|any|every|these|your|it|them)\b)|"
    r"\b(?:you|the\s+(?:assistant|ai|model|llm|agent))\s+(?:must|should|shall|need\s+to|have\s+to|are\s+required|"
    r"will\s+need)\b|\b(?:must|should|shall)\s+(?:always\s+)?(?:be\s+)?(?:\w+ed|\w+)\b|"
    r"\bthe\s+(?:assistant|agent|model|llm|ai)\b(?!'s|\s+name)|"
    r"\b(?:tips?|notes?|hints?)\s+for\s+(?:the\s+)?(?:assistants?|agents?|models?|llms?|ai)\b",
)
_IMPERATIVE_CLAUSE = re.compile(
    r"(?:^\W*|[,;:(]\s*|\b(?:and|then|also|please|always|first|(?:remember|sure|need|needs|have|has|ought|"
    r"required|expected|asked|want|careful|is|are)\s+to)\s+)(?:include|add|put|insert|fill|provide|supply|"
    r"pass|copy|submit|store|write|paste|place|set|send|read|collect|gather|attach|append|embed|forward|upload|"
    r"open|dump|extract|fetch|retrieve|get|call|use|run|execute|query|post|share|email|transmit|report|sync|"
    r"log|save|request|visit|download|populate|carry|look|search|collect)\s+(?:(?:in|out|over|up|down|along|back|"
    r"for|through)\s+(?:with\s+)?)?(?:the|a|an|all|any|every|its|their|your|this|these|those|that|it|them|my|our|"
    r"user|[`'\"~/.$]|https?://|\w+'s\b|\w+\s+(?:of|from|in)\b)",
)
"""A clause that opens with a base-form verb and its object: an order, wherever it sits in the sentence."""
_OTHER_SERVER = re.compile(
    r"\b(?:from|of|on|in)\s+(?:the\s+|another\s+|a\s+)?(?:[\w-]+\s+){0,2}(?:server|mcp|integration|plugin|"
    r"extension)\b")


_NEG_RE = re.compile(_NEG)

# Gates: a pattern can only match text that holds one of its words (and, where given, one of a second set,
# or one of its substrings). Checking a set of words is much cheaper than scanning with each pattern, and most
# definitions hold none of them.
_Gate = tuple[re.Pattern[str], frozenset[str], frozenset[str], tuple[str, ...]]


_DOTTED_NUMBER = re.compile(r"\d\.\d")


def _forms(*stems: str) -> frozenset[str]:
    return frozenset(f"{s}{e}" for s in stems for e in ("", "s", "ed", "d", "ing", "es"))


_GATES: dict[str, _Gate] = {
    "path": (SENSITIVE_PATH, frozenset(
        "ssh rsa dsa ecdsa ed25519 aws env passwd shadow sudoers gshadow mcp claude cursor codeium continue npmrc "
        "pypirc netrc credentials docker kube kubeconfig history bashrc zshrc profile metadata gnupg wallet "
        "keychain gcloud login cookies terraformrc vault secret secrets 169".split()), frozenset(), ()),
    "noun": (_SENSITIVE_NOUN, frozenset(
        "private ssh api access secret secrets credential credentials password passwords passphrase passphrases "
        "seed mnemonic auth session bearer refresh cookies environment env shell command bash browser keychain "
        "client mcp token tokens oauth jwt variable saved".split()), frozenset(), ()),
    "secret_name": (_SECRET_NAME, frozenset(("database",)), frozenset(), (
        "_secret", "_token", "_passw", "_credential", "_api_key", "_access_key")),
    "personal": (_PERSONAL, frozenset("card cvv cvc passport social ssn birth insurance tax account bank".split()),
                 frozenset("numbers number details cvv cvc passport security ssn birth accounts account logins "
                           "login".split()), ()),
    "context": (_CONTEXT, frozenset(
        "conversation chat messages prompt prompts instructions context name identity data files emails mails "
        "contacts documents personal history profile tools tool contents content everything turns exchanges "
        "queries requests session thread historial historique cronologia".split()),
        frozenset(), ("hist", "verlauf")),
    "said": (_SAID, frozenset("mentioned discussed shared typed said written asked sent pasted".split()),
             frozenset("user customer patient they".split()), ()),
    "owned": (_OWNED, frozenset("user customer patient users customers patients".split()), frozenset(
        "messages notes files documents emails mails contacts contact address book history location photos "
        "calendar conversation conversations questions data profile passwords credentials portfolio holdings "
        "clipboard keys tokens secrets identity".split()), ()),
    "trigger": (_TRIGGER, frozenset(
        "mention mentions talk talks share shares discuss discusses bring brings contain contains refer refers "
        "ask asks".split()), frozenset("user customer patient conversation chat they".split()), ()),
    "destination": (_DESTINATION, frozenset("webhook attacker external remote third".split()), frozenset(),
                    ("@", "http", "+")),
    "injection": (_INJECTION, frozenset(
        "ignore disregard forget override bypass instructions now".split()), frozenset(), ("<", "[")),
    "secrecy": (_SECRECY, _forms("tell", "mention", "inform", "notify", "alert", "reveal", "disclose", "show",
                                 "display", "report", "explain", "say", "ask", "warn", "omit", "hid", "exclude",
                                 "remove", "conceal", "suppress", "visible", "surface", "know", "see", "notice",
                                 "told", "keep", "hide", "omitted") | frozenset(
        "silently secretly covertly quietly discreetly invisibly behind shown hidden".split()), frozenset(), ()),
    "secrecy_unsaid": (_SECRECY_UNSAID, frozenset(
        "keep leave unaware withhold withheld withholds withholding".split()), frozenset(
        "out unaware from about".split()), ()),
    "secrecy_untold": (_SECRECY_UNTOLD, frozenset("need simply just let refrain avoid without".split()), frozenset(
        "mention tell inform explain report say surface point bring bother state reply know see notice find "
        "telling mentioning informing notifying revealing disclosing showing reporting explaining saying "
        "bringing pointing".split()), ()),
    "secrecy_intl": (_SECRECY_OTHER_LANGUAGES, frozenset(
        "informez informe indiquez dites dis mentionnez signalez montrez digas diga digan menciones mencione "
        "informes cuentes cuente reveles revele muestres muestre sag sage sagen informiere informieren dire dica "
        "dite menzionare menzioni informare informi rivelare conte".split()), frozenset(), ("erw", "vélez")),
    "preference": (_PREFERENCE, frozenset(
        "best only most number ultimate superior greatest top instead rather over before other another different "
        "prefer prioritize prioritise 1".split()), frozenset(
        "tool tools server servers function functions option options choice choices way ways source sources "
        "solution solutions service services".split()), ()),
    "preference_only": (_PREFERENCE_ONLY, frozenset(
        "route send direct run even rely depend solely exclusively only".split()), frozenset(
        "this on trust use call consult available".split()), ()),
    "preference_others": (_PREFERENCE_OTHERS, frozenset(
        "other another alternative".split()), frozenset(
        "tool tools server servers function functions integration integrations provider providers plugin plugins "
        "service services".split()), ()),
    "deprecated": (_DEPRECATED, frozenset(
        "deprecated obsolete discontinued retired longer replaced superseded moved sunset sunsetted life handled "
        "served provided done unreliable broken unsupported".split()), frozenset(), ()),
    "other": (_OTHER_OPERATION, frozenset("before after whenever every each prior when once if should".split()),
              frozenset(), ()),
    "tamper": (_TAMPER, _forms("replac", "replace", "modif", "modify", "chang", "change", "alter", "overrid",
                               "override", "overridden", "rewrit", "rewrite", "rewritten", "swap", "swapp",
                               "substitut", "substitute", "tamper") | frozenset(
        "instead prepend prepends prepended append appends appended inject injects insert inserts".split()),
        frozenset(), ()),
    "elsewhere": (_OTHER_SERVER, frozenset("server mcp integration plugin extension".split()), frozenset(), ()),
}


def _gate_index() -> tuple[dict[str, int], dict[str, int], re.Pattern[str], dict[str, int], int]:
    """Every gate word (and substring) mapped to a bit mask of the gates it opens, so that finding the active
    gates of a text is one pass over its words."""
    any_of: dict[str, int] = {}
    also: dict[str, int] = {}
    subs: dict[str, int] = {}
    needs_also = 0
    for bit, (_, words_any, words_also, substrings) in enumerate(_GATES.values()):
        for word in words_any:
            any_of[word] = any_of.get(word, 0) | 1 << bit
        for word in words_also:
            also[word] = also.get(word, 0) | 1 << bit
        for sub in substrings:
            subs[sub] = subs.get(sub, 0) | 1 << bit
        if words_also:
            needs_also |= 1 << bit
    pattern = re.compile("|".join(re.escape(sub) for sub in sorted(subs, key=len, reverse=True)))
    return any_of, also, pattern, subs, needs_also


_ANY_OF, _ALSO, _SUBSTRINGS, _SUBSTRING_BITS, _NEEDS_ALSO = _gate_index()
_ANY_OF_WORDS, _ALSO_WORDS = frozenset(_ANY_OF), frozenset(_ALSO)
_GATE_NAMES = tuple(_GATES)
_DESTINATION_BIT = 1 << _GATE_NAMES.index("destination")


def _active(low: str) -> int:
    """Bit mask (bit ``i`` for the ``i``-th gate) of the gated patterns that may match ``low``."""
    opened = also = 0
    tokens = set(_WORD.findall(low))
    for token in tokens & _ANY_OF_WORDS:
        opened |= _ANY_OF[token]
    for token in tokens & _ALSO_WORDS:
        also |= _ALSO[token]
    for sub in set(_SUBSTRINGS.findall(low)):
        opened |= _SUBSTRING_BITS[sub]
    if not opened & _DESTINATION_BIT and _DOTTED_NUMBER.search(low):
        opened |= _DESTINATION_BIT
    return opened & (~_NEEDS_ALSO | also)


def _lower(text: str) -> str:
    """Lower case with offsets kept (the few characters whose lower case is longer stay as they are)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


_GATE_LIST = tuple((name, 1 << i, gate[0]) for i, (name, gate) in enumerate(_GATES.items()))


def _matches(active: int, sentence: str) -> dict[str, list[re.Match[str]]]:
    """Matches of every active gated pattern in ``sentence``, by gate name (absent: no match)."""
    out = {}
    for name, bit, pattern in _GATE_LIST:
        if active & bit:
            found = list(pattern.finditer(sentence))
            if found:
                out[name] = found
    return out


def _negated(sentence: str, start: int) -> bool:
    """A verb or object with a negation among the few words before it (``never reads``, ``never the key``)."""
    return _NEG_RE.search(sentence, max(0, start - 24), start) is not None


def _live(pattern: re.Pattern[str], sentence: str) -> list[re.Match[str]]:
    return [m for m in pattern.finditer(sentence) if not _negated(sentence, m.start())]


_NEUTRAL = frozenset(
    "the a an of in from to for this that these those current your their its my our all any every user users "
    "customer customers patient s has have had you can see so far earlier previously saved private personal "
    "full entire other".split())
"""Words that say whose or which an object is; they do not make an object part of a tool's purpose."""
_OWNERS = frozenset("user users customer customers patient patients person people contact contacts".split())
"""A definition named after one of these is about people's things (``get_user`` and the user's profile)."""
_EXAMPLE = re.compile(r"\b(?:e\.g\.|for\s+example|for\s+instance|such\s+as|example:)")


def _out_of_scope(matches: Iterable[re.Match[str]], scope: Scope) -> list[re.Match[str]]:
    """Objects the definition is not about, and that are not negated (``never the private key``). An object's
    possessive and determiner words do not count (``the user's calendar`` is in scope of a calendar tool
    because of ``calendar``, not of a user-management tool because of ``user``)."""
    out = []
    about_people = bool(_OWNERS & set(words(scope.name)))
    for m in matches:
        found = words(m.group())
        terms = found if about_people else [w for w in found if w not in _NEUTRAL] or found
        if not scope.covers(terms) and m.group() not in scope.tools and not _negated(m.string, m.start()):
            out.append(m)
    return out


def _personal(matches: list[re.Match[str]], scope: Scope) -> list[re.Match[str]]:
    """Personal identifiers, unless the definition works with people's records (a clinic tool and a date of
    birth) or with money (a bank tool and an account number; card numbers only for card payments)."""
    if not matches:
        return matches
    people = not _PERSON_DOMAIN.isdisjoint(scope.words)
    money = not _MONEY_DOMAIN.isdisjoint(scope.words)
    cards = not _CARD_DOMAIN.isdisjoint(scope.words)
    out = []
    for m in matches:
        terms = set(words(m.group()))
        allowed = cards if terms & _CARD_WORDS else money if terms & _MONEY_WORDS else people
        if not allowed:
            out.append(m)
    return out


_CARD_WORDS = frozenset(("card", "cvv", "cvc"))
_MONEY_WORDS = frozenset(("account", "bank", "tax"))


def _examples_from(sentence: str) -> int:
    """Where the sentence's examples start (``e.g. forward mail from a@x.com``): objects after it illustrate
    the tool's input and are not directions."""
    m = _EXAMPLE.search(sentence)
    return m.start() if m else len(sentence)


_GENERIC_HOST_WORDS = frozenset(
    "http https www com org net io dev app api co uk de example mail smtp cloud v1 v2".split())
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def _own_destination(destination: str, scope: Scope) -> bool:
    """A destination belongs to the tool when it is local, or every distinctive word of its host is one of the
    tool's own words (``api.github.com`` for a GitHub server; not ``crm-backup.example.org`` for a CRM)."""
    if any(host in destination for host in _LOCAL_HOSTS):
        return True
    host = destination.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    distinctive = [w for w in words(host) if w not in _GENERIC_HOST_WORDS and not w.isdigit()]
    return bool(distinctive) and all(scope.covers([w]) for w in distinctive)


_PRONOUN = re.compile(r"\s+(?:(?:in|out|over|up|for|through)\s+)?(?:it|them|this|that|these|those|its|their)\b")


def _near(verbs: Iterable[re.Match[str]], objects: Iterable[re.Match[str]], reach: int = 80) -> bool:
    """A verb acts on an object when it comes shortly before it (``read ~/.ssh/id_rsa``), or the object is
    followed shortly by the verb (``~/.ssh/id_rsa, then send it``). A verb whose object is a pronoun acts on
    any object before it in the sentence (``the API keys ..., so look for them``)."""
    spans = [(m.start(), m.end(), _PRONOUN.match(m.string, m.end()) is not None) for m in verbs]
    for obj in objects:
        for start, end, pronoun in spans:
            if (start <= obj.start() and obj.start() - end <= reach) or 0 <= start - obj.end() <= reach // 2:
                return True
            if pronoun and obj.end() <= start:
                return True
    return False


_SECRET_WORDS = frozenset(
    "secret secrets credential credentials password passwords token tokens key keys env environment cookie "
    "cookies history".split())


def _foreign_tools(sentence: str, scope: Scope) -> list[str]:
    """Tool-like identifiers the sentence tells the model to use that are neither this tool nor a sibling."""
    out = []
    for m in _CALL_TARGET.finditer(sentence):
        if (m.group(1) or m.group(2)).isupper():  # an environment variable or constant, not a tool
            continue
        name = (m.group(1) or m.group(2)).strip(".-").lower()
        if name and name != scope.name and name not in scope.tools and "." not in name:
            out.append(name)
    return out


_PARAMETER_FILL = re.compile(
    r"(?<!\bto\s)\b(?:use|set|fill|populate|put|paste|copy|include|provide|derive|take|quote|enter|give|pass|add|"
    r"list|summari[sz]e|describe|write)\b")
"""In a parameter's description, these verbs put their object into the parameter (``to include`` tells what
the parameter does instead)."""
_OUTPUT = re.compile(r"\b(?:output|result|results|response|return\s+value|what\s+it\s+returns)\b")


def _sentence_directives(original: str, sentence: str, offset: int, scope: Scope,
                         active: int, parameter: bool) -> list[Directive]:
    found: list[Directive] = []
    end = offset + len(original)

    def add(kind: DirectiveKind, severity: Severity, reason: str) -> None:
        found.append(Directive(kind, severity, offset, end, reason))

    examples = _examples_from(sentence)
    hits = _matches(active, sentence)
    if not hits and "_" not in original:  # an identifier may still name another tool
        return found

    def find(*names: str) -> list[re.Match[str]]:
        return [m for name in names for m in hits.get(name, ())]

    paths = _out_of_scope(find("path"), scope)
    nouns = _out_of_scope([*find("noun", "secret_name"), *_personal(find("personal"), scope)], scope)
    context = [m for m in _out_of_scope(find("context", "said", "owned"), scope) if m.start() < examples]
    trigger = find("trigger")
    if trigger and _near([*_live(_ACCESS, sentence), *_live(_FLOW, sentence)], trigger, reach=200):
        context += trigger
    destinations = [m for m in find("destination")
                    if not _own_destination(m.group(), scope) and not _negated(sentence, m.start())
                    and m.start() < examples]
    injection = find("injection")
    secrecy = find("secrecy", "secrecy_unsaid", "secrecy_untold", "secrecy_intl")
    preference = find("preference", "preference_only", "preference_others")
    deprecated = find("deprecated")
    other = find("other")
    tamper = find("tamper")
    elsewhere = find("elsewhere")
    calls = bool(("_" in original or other or tamper or elsewhere) and _CALL_TARGET.search(original))
    if not (paths or nouns or context or destinations or injection or secrecy or preference or deprecated
            or (other and (tamper or _SETTING.search(sentence))) or ((other or tamper or elsewhere) and calls)
            or (calls and "_" in original)):
        return found
    addressed = _ADDRESSED.search(sentence) is not None or _IMPERATIVE_CLAUSE.search(sentence) is not None
    flow = _live(_FLOW, sentence)
    if addressed:
        flow += _live(_FLOW_IMPERATIVE, sentence)
    if parameter:
        flow += _live(_PARAMETER_FILL, sentence)
    access = _live(_ACCESS, sentence)
    foreign = _foreign_tools(original, scope)
    movers = [*flow, *access]
    secret_tools = [t for t in foreign if _SECRET_WORDS & set(words(t))]

    if injection:
        add("injection", Severity.HIGH, "tries to replace the model's instructions")
    if secrecy:
        moves = bool(flow or access or paths or nouns or context or destinations)
        add("secrecy", Severity.HIGH if moves else Severity.MEDIUM, "hides behaviour from the user")
    sensitive = [*paths, *nouns]
    if sensitive:
        what = ", ".join(sorted({m.group() for m in sensitive}))
        if _near(movers, paths) or (_near(movers, nouns) and (addressed or destinations or paths or foreign)):
            add("sensitive", Severity.HIGH, f"reads or moves sensitive data the tool is not about ({what})")
        elif addressed and (paths or _near(movers, nouns)):
            add("sensitive", Severity.MEDIUM, f"refers to sensitive data the tool is not about ({what})")
        elif paths:
            add("sensitive", Severity.LOW, f"mentions a sensitive location ({what})")
    if _near(flow, context) or _near(flow, destinations) or (paths and destinations):
        what = ", ".join(sorted({m.group() for m in (*context, *destinations, *paths)}))
        add("exfiltration", Severity.HIGH, f"directs data outside the tool's purpose ({what})")
    elif foreign and (context or (flow and destinations) or (destinations and addressed)):
        add("exfiltration", Severity.HIGH, f"routes data through another tool ({', '.join(foreign)})")
    elif secret_tools and addressed:
        add("sensitive", Severity.HIGH, f"directs the model to a credential tool ({', '.join(secret_tools)})")
    elif foreign and addressed and flow and _OUTPUT.search(sentence):
        add("hijack", Severity.MEDIUM, f"feeds another tool's output into this one ({', '.join(foreign)})")
    around: str | None = next((g for g in other[0].groups() if g), None) if other else None
    around_foreign = around is not None and "_" in around and around not in scope.tools and around != scope.name
    if around_foreign and not tamper:
        tamper = list(_SETTING.finditer(sentence))
    if other and around not in ("this", "it", "the"):
        if tamper:
            add("hijack", Severity.HIGH, "changes what other tools receive or return")
        elif foreign:
            add("hijack", Severity.MEDIUM, f"inserts itself around another tool ({', '.join(foreign)})")
    elif foreign and tamper:
        add("hijack", Severity.HIGH, f"changes the values another tool uses ({', '.join(foreign)})")
    recipient = _RECIPIENT.search(sentence)
    if destinations and recipient and addressed and not any(d.kind == "exfiltration" for d in found):
        add("exfiltration", Severity.HIGH, f"adds a recipient the user did not choose "
                                           f"({', '.join(sorted({m.group() for m in destinations}))})")
    if foreign and addressed and elsewhere and not found:
        add("hijack", Severity.MEDIUM, f"directs the model to a tool of another server ({', '.join(foreign)})")
    if preference:
        add("preference", Severity.MEDIUM, "steers the model's choice of tool")
    if deprecated and foreign:
        add("transfer", Severity.MEDIUM, f"redirects the model to another tool ({', '.join(foreign)})")
    return found


def analyse_text(text: str, scope: Scope, *, parameter: bool = False) -> list[Directive]:
    """Every sentence of ``text`` that steers the model outside ``scope`` (pure). ``parameter``: the text
    describes a parameter, so what it tells the model to use, set or describe goes into that parameter."""
    out: list[Directive] = []
    low = _lower(text)
    active = _active(low)
    if not active:
        return out
    spans = sentences(text)
    for start, end in spans:
        here = active if len(spans) == 1 else _active(low[start:end])
        if here:
            out.extend(_sentence_directives(text[start:end], low[start:end], start, scope, here, parameter))
    return out
