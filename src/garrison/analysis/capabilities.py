"""What a tool can do, read from what it advertises: its name, description, parameters and annotations.

Five capabilities matter for data-flow risk:

- ``reads_private_data``       returns the user's own data (files, mail, databases, credentials, history)
- ``ingests_untrusted_content`` returns text written by third parties (web pages, inbound mail, issues,
  reviews)
- ``sends_data_out``           moves data to a destination outside the user's control (mail, posts, uploads,
  requests to a URL the caller chooses)
- ``executes_code``            runs commands, scripts or code
- ``destructive``              deletes, overwrites or irreversibly changes state

Labelling is pure and explainable: :func:`explain_tool` returns every :class:`CapabilityReason` (which signal,
found where), :func:`label_tool` the set. Annotations only ever *add* capabilities: a server that claims
``readOnlyHint`` is not believed over its own name and description (fail closed).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from garrison.model import Definition

__all__ = [
    "Capability",
    "CapabilityReason",
    "explain_tool",
    "label_tool",
    "name_tokens",
    "split_words",
]

MAX_TEXT_CHARS = 20_000
"""Only this much of a description is read; capability words sit near the start."""


class Capability(StrEnum):
    READS_PRIVATE_DATA = "reads_private_data"
    INGESTS_UNTRUSTED_CONTENT = "ingests_untrusted_content"
    SENDS_DATA_OUT = "sends_data_out"
    EXECUTES_CODE = "executes_code"
    DESTRUCTIVE = "destructive"


@dataclass(frozen=True, slots=True, order=True)
class CapabilityReason:
    """``source`` is where the signal sits (``name``, ``description``, ``parameter:url``,
    ``annotations.destructiveHint``); ``detail`` is the word or phrase that matched."""

    capability: Capability
    source: str
    detail: str


_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+|[0-9]+")


def name_tokens(name: str) -> tuple[str, ...]:
    """Split an identifier into lower-case words: ``getUserInfo``, ``get-user_info``, ``get.user.info`` all
    give ``("get", "user", "info")``. Input is NFKC-folded first."""
    folded = unicodedata.normalize("NFKC", name)
    return tuple(w.lower() for w in _WORD.findall(folded))


def split_words(text: str) -> tuple[str, ...]:
    """Lower-case words of prose (identifiers inside it are split too)."""
    return name_tokens(text[:MAX_TEXT_CHARS])


def _stem(word: str) -> str:
    """A crude plural/verb-form fold: ``files``→``file``, ``sends``→``send``, ``emails``→``email``."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


# --- vocabulary ---

_READ_VERBS = frozenset(
    "get read list search query fetch retrieve find download export show view open lookup describe cat load "
    "browse scan dump print inspect".split()
)
_PRIVATE_NOUNS = frozenset(
    "file document doc drive folder directory dir path email mail inbox message calendar event contact note "
    "memory database db sql table record row customer user account profile password secret credential key "
    "token env environment history clipboard transaction balance payment invoice order repo repository "
    "code log "
    "ticket chat photo health patient medical bank conversation notebook spreadsheet sheet vault keychain "
    "wallet ssh cookie session".split()
)
_ALWAYS_PRIVATE = frozenset("credential password secret clipboard keychain vault ssh cookie".split())
_UNTRUSTED_NOUNS = frozenset(
    "web webpage page url uri link internet site website html http https rss feed news article paper post "
    "review tweet comment issue email mail inbox message chat channel forum reddit wiki search result "
    "pr pull discussion reply thread".split()
)
_UNTRUSTED_VERBS = frozenset("fetch browse scrape crawl navigate visit".split())
_SEND_VERBS = frozenset(
    "send post publish upload share email mail tweet notify forward reply submit transfer push webhook "
    "comment broadcast message dm sms text invite pay".split()
)
_SEND_ANYWHERE = frozenset("send publish upload share forward tweet notify webhook broadcast sms".split())
_EXEC_WORDS = frozenset(
    "exec execute eval shell bash terminal powershell cmd subprocess interpreter repl sh zsh".split()
)
_EXEC_OBJECTS = frozenset("command script code python javascript js node ruby program process".split())
_DESTROY_VERBS = frozenset(
    "delete remove drop destroy purge wipe truncate erase kill terminate uninstall revoke reset overwrite rm "
    "unlink format shred clear cancel".split()
)
_ALWAYS_DESTRUCTIVE = frozenset("delete destroy purge wipe drop truncate shred".split())
_DEST_PARAMS = frozenset(
    "recipient recipients cc bcc email_address webhook webhook_url callback_url phone_number".split()
)
_WEAK_DEST_PARAMS = frozenset("to destination target_url phone channel chat_id address endpoint".split())
_URL_PARAMS = frozenset("url uri link href endpoint".split())
_BODY_PARAMS = frozenset("body content data payload text message json form".split())
_CODE_PARAMS = frozenset("command cmd code script shell_command source expression".split())
_PATH_PARAMS = frozenset("path file_path filepath filename file_name file paths files".split())

# Each pattern comes with words one of which every match contains (lower-case): a description (ASCII, so that
# lower-casing keeps positions) that holds none of them is not searched.
_DESC_PATTERNS: tuple[tuple[Capability, tuple[str, ...], re.Pattern[str]], ...] = (
    (Capability.EXECUTES_CODE, ("command", "code", "script", "program"), re.compile(
        r"\b(?:execut\w*|run\w*|eval\w*)\s+(?:an?\s+|the\s+|any\s+|arbitrary\s+|shell\s+|terminal\s+|system\s+)*"
        r"(?:commands?|code|scripts?|programs?)\b", re.I)),
    (Capability.SENDS_DATA_OUT, ("send", "post", "upload", "forward", "publish", "share", "webhook"), re.compile(
        r"\b(?:send|sends|sending|post|posts|upload|uploads|forward|forwards|publish|publishes|share|shares)\s+"
        r"(?:an?\s+|the\s+|your\s+)?(?:e-?mails?|messages?|sms|notifications?|requests?|data|files?|content|"
        r"payloads?|webhooks?)\b|\bhttp\s+post\b|\bwebhooks?\b", re.I)),
    (Capability.INGESTS_UNTRUSTED_CONTENT,
     ("web", "internet", "search", "rss", "duckduckgo", "bing", "inbox", "incoming", "public"), re.compile(
        r"\b(?:web\s?pages?|websites?|the\s+(?:web|internet)|search\s+engines?|rss\s+feeds?|"
        r"duckduckgo|google\s+search|bing|inbox|incoming\s+(?:e-?mails?|messages?)|public\s+(?:issues?|posts?|"
        r"comments?))\b", re.I)),
    (Capability.READS_PRIVATE_DATA,
     ("file", "document", "mail", "message", "calendar", "contact", "note", "credential", "password", "secret",
      "record", "database", "history", "private", "personal", "confidential"), re.compile(
        r"\b(?:read\w*|return\w*|retriev\w*|list\w*|get\w*)\s+(?:the\s+)?(?:contents?\s+of\s+)?(?:an?\s+|the\s+|"
        r"your\s+|user'?s?\s+|local\s+)*(?:files?|documents?|e-?mails?|messages?|calendar|contacts?|notes?|"
        r"credentials?|passwords?|secrets?|records?|database|history)\b|\bprivate\b|\bpersonal\b|"
        r"\bconfidential\b", re.I)),
    (Capability.DESTRUCTIVE,
     ("permanently", "irreversibl", "delete", "destroy", "wipe", "purge", "overwrite"), re.compile(
        r"\b(?:permanently|irreversibl[ye]|deletes?|destroys?|wipes?|purges?|overwrites?)\b", re.I)),
)


def _truthy(annotations: Mapping[str, Any], key: str) -> bool:
    return annotations.get(key) is True


def _because(capability: Capability, source: str, words: Iterable[str]) -> CapabilityReason:
    return CapabilityReason(capability, source, "+".join(sorted(words)))


def _name_reasons(tokens: tuple[str, ...]) -> Iterable[CapabilityReason]:
    words = {_stem(t) for t in tokens}
    verbs = words & _READ_VERBS
    first = _stem(tokens[0]) if tokens else ""
    private = words & _PRIVATE_NOUNS
    untrusted = words & _UNTRUSTED_NOUNS
    acts = words & (_SEND_VERBS | _DESTROY_VERBS)
    if private and (verbs or (words & _ALWAYS_PRIVATE and not acts)):
        yield _because(Capability.READS_PRIVATE_DATA, "name", verbs | private)
    elif words & _ALWAYS_PRIVATE:
        yield _because(Capability.READS_PRIVATE_DATA, "name", words & _ALWAYS_PRIVATE)
    if words & _UNTRUSTED_VERBS:
        yield _because(Capability.INGESTS_UNTRUSTED_CONTENT, "name", words & _UNTRUSTED_VERBS)
    elif verbs and untrusted:
        yield _because(Capability.INGESTS_UNTRUSTED_CONTENT, "name", verbs | untrusted)
    if first in _SEND_VERBS or (words & _SEND_ANYWHERE and not verbs and not words & _DESTROY_VERBS):
        yield _because(Capability.SENDS_DATA_OUT, "name", words & _SEND_VERBS)
    if words & _EXEC_WORDS:
        yield _because(Capability.EXECUTES_CODE, "name", words & _EXEC_WORDS)
    elif first in ("run", "exec", "execute") and words & _EXEC_OBJECTS:
        yield _because(Capability.EXECUTES_CODE, "name", {first} | (words & _EXEC_OBJECTS))
    if first in _DESTROY_VERBS or words & _ALWAYS_DESTRUCTIVE:
        yield _because(Capability.DESTRUCTIVE, "name", words & _DESTROY_VERBS)


def _param_reasons(defn: Definition, tokens: tuple[str, ...]) -> Iterable[CapabilityReason]:
    params = {p.lower() for p in defn.parameters()}
    words = {_stem(t) for t in tokens}
    read_verb = bool(words & _READ_VERBS) or not tokens
    dest = params & _DEST_PARAMS
    if words & _SEND_VERBS:
        dest |= params & _WEAK_DEST_PARAMS
    for p in sorted(dest):
        yield CapabilityReason(Capability.SENDS_DATA_OUT, f"parameter:{p}", "caller-chosen destination")
    url_params = sorted(params & _URL_PARAMS)
    if url_params:
        where = f"parameter:{url_params[0]}"
        if params & _BODY_PARAMS:
            yield CapabilityReason(Capability.SENDS_DATA_OUT, where, "URL plus a body")
        else:
            yield CapabilityReason(Capability.INGESTS_UNTRUSTED_CONTENT, where, "fetches a URL")
            yield CapabilityReason(Capability.SENDS_DATA_OUT, where, "request to a caller-chosen URL")
    for p in sorted(params & _CODE_PARAMS):
        yield CapabilityReason(Capability.EXECUTES_CODE, f"parameter:{p}", "takes code or a command")
    path_params = sorted(params & _PATH_PARAMS)
    if path_params and read_verb and not words & (_SEND_VERBS | _DESTROY_VERBS):
        where = f"parameter:{path_params[0]}"
        yield CapabilityReason(Capability.READS_PRIVATE_DATA, where, "reads a local path")


def _annotation_reasons(defn: Definition, found: set[Capability]) -> Iterable[CapabilityReason]:
    ann = defn.annotations
    if _truthy(ann, "destructiveHint"):
        yield CapabilityReason(Capability.DESTRUCTIVE, "annotations.destructiveHint", "true")
    if _truthy(ann, "openWorldHint"):
        if _truthy(ann, "readOnlyHint") or Capability.READS_PRIVATE_DATA in found:
            yield CapabilityReason(Capability.INGESTS_UNTRUSTED_CONTENT, "annotations.openWorldHint", "true")
        else:
            yield CapabilityReason(Capability.SENDS_DATA_OUT, "annotations.openWorldHint", "true")


def explain_tool(defn: Definition) -> tuple[CapabilityReason, ...]:
    """Every reason for every capability of ``defn``, sorted and without duplicates."""
    tokens = name_tokens(defn.name)
    reasons: set[CapabilityReason] = set(_name_reasons(tokens))
    reasons.update(_param_reasons(defn, tokens))
    description = defn.description[:MAX_TEXT_CHARS]
    lowered = description.lower() if description.isascii() else None
    for capability, words, pattern in _DESC_PATTERNS:
        if lowered is not None and not any(w in lowered for w in words):
            continue
        m = pattern.search(description)
        if m:
            reasons.add(CapabilityReason(capability, "description", m.group(0)))
    reasons.update(_annotation_reasons(defn, {r.capability for r in reasons}))
    return tuple(sorted(reasons))


def label_tool(defn: Definition) -> frozenset[Capability]:
    """The capabilities of ``defn`` (see :func:`explain_tool` for why)."""
    return frozenset(r.capability for r in explain_tool(defn))
