"""Reveal what a text really says: the model reads characters a person never sees.

:func:`reveal` walks a text once and returns the message as a model would read it (``Revealed.text``) plus
every hidden or obfuscated span it found (``Revealed.hidden``), each indexed into the *original* text with its
content made visible. Handled:

- ``zero_width``   zero-width and other invisible format characters (joiners, word joiner, BOM, soft hyphen,
  Hangul fillers); runs of two distinct zero-width characters are also tried as a bit stream
- ``bidi``         bidirectional overrides, embeddings, isolates and marks
- ``tag_chars``    Unicode tag characters (U+E0000 block), decoded to the ASCII they smuggle
- ``variation_selector`` runs of variation selectors used as a byte channel, decoded as UTF-8
- ``control``      C0/C1 control characters other than tab and line breaks
- ``ansi``         terminal escape sequences (CSI, OSC, two-byte ESC)
- ``html_comment`` ``<!-- ... -->`` (unterminated comments hide the rest of the text)
- ``confusable``   words that mix Latin with look-alike Cyrillic/Greek letters, and styled letters
  (mathematical, fullwidth, circled) that NFKC folds to ASCII
- ``base64``, ``hex``, ``url_encoded``, ``escape`` (``\\u0069``/``\\x69``), ``html_entity``: encoded
  blobs that decode to readable text
- ``padding``      long runs of blank space that push content out of a reader's view

Every scan is a single linear pass (no nested quantifiers that can backtrack), decoding is depth- and
size-limited, and nothing here does I/O.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

__all__ = ["HiddenSpan", "Revealed", "make_visible", "reveal"]

MAX_DECODE_DEPTH = 2
"""Encoded content inside encoded content is unwrapped at most this many times."""
MAX_BLOB_CHARS = 65_536
"""Encoded blobs longer than this are reported but not decoded."""
_MIN_BLOB = 16
_MIN_DECODED = 6


@dataclass(frozen=True, slots=True)
class HiddenSpan:
    """One hidden or obfuscated span. ``start``/``end`` index the original text; ``decoded`` is what it says,
    made visible (the payload of tag characters or base64, the comment's text, ``⟨U+200B⟩`` markers)."""

    kind: str
    start: int
    end: int
    decoded: str


@dataclass(frozen=True, slots=True)
class Revealed:
    """``text`` is ``original`` as a model reads it: NFKC-normalised, look-alikes folded, invisible characters
    removed, and smuggled or encoded content decoded in place."""

    original: str
    text: str
    hidden: tuple[HiddenSpan, ...]

    @property
    def changed(self) -> bool:
        return bool(self.hidden)


# --- character classes -------------------------------------------------------------------------------------

_ZERO_WIDTH = "\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u2060-\u2064\u3164\ufeff\uffa0"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_VARSEL = "\ufe00-\ufe0f\U000e0100-\U000e01ef"
_TAGS = "\U000e0000-\U000e007f"
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f-\x9f"

_SCAN = re.compile(
    r"(?P<ansi>\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])?)"
    rf"|(?P<inv>[{_ZERO_WIDTH}{_BIDI}{_VARSEL}{_TAGS}{_CONTROL}]+)"
    r"|(?P<comment><!--)"
    r"|(?P<url>(?:%[0-9A-Fa-f]{2}[A-Za-z0-9._~-]*){4,})"
    r"|(?P<esc>(?:\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}){3,})"
    r"|(?P<ent>(?:&#(?:[0-9]{1,7}|[xX][0-9A-Fa-f]{1,6});){3,})"
    rf"|(?P<blob>(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_=-]{{{_MIN_BLOB},}})"
    r"|(?P<pad>[ \t]{40,}|(?:[ \t]*\n){8,})"
)
_WORD = re.compile(r"[^\W\d_]+")
_HEX_RE = re.compile(r"(?:0x)?((?:[0-9a-fA-F]{2})+)")
_B64_RE = re.compile(r"[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2}")
_ESCAPE_ITEM = re.compile(r"\\u([0-9A-Fa-f]{4})|\\x([0-9A-Fa-f]{2})")
_UNRESERVED_ESCAPE = re.compile(r"%(?:[46][1-9A-Fa-f]|[57][0-9Aa]|3[0-9])")

# Letters that render like Latin ones. Folded only inside words that also hold Latin letters (or in text that
# is otherwise Latin), so Cyrillic and Greek prose stays untouched.
_LOOKALIKE = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ԁ": "d", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w",
    "ɡ": "g", "ı": "i",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ү": "Y", "Ԝ": "W",
    # Greek
    "α": "a", "ο": "o", "ρ": "p", "ν": "v", "ι": "i", "κ": "k", "υ": "u", "χ": "x",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    # Armenian
    "օ": "o", "ս": "u", "հ": "h", "ո": "n",
}
_FOLD = str.maketrans(_LOOKALIKE)
_LIGATURES = range(0xFB00, 0xFB07)


def _printable_text(value: str) -> bool:
    """Readable prose or code: printable, mostly letters and spaces, at least a few words' worth."""
    if len(value) < _MIN_DECODED:
        return False
    letters = 0
    for ch in value:
        if ch.isalpha() or ch == " ":
            letters += 1
        elif not ch.isprintable() and ch not in "\n\r\t":
            return False
    return letters >= 0.6 * len(value) and any(ch.isalpha() for ch in value)


def _decode_bytes(raw: bytes) -> str | None:
    try:
        value = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return value if _printable_text(value) else None


def _decode_blob(blob: str) -> tuple[str, str] | None:
    """``(kind, text)`` when ``blob`` is hex or base64 of readable text."""
    if len(blob) > MAX_BLOB_CHARS:
        return None
    hex_match = _HEX_RE.fullmatch(blob)
    if hex_match:
        value = _decode_bytes(bytes.fromhex(hex_match.group(1)))
        return ("hex", value) if value is not None else None
    core = blob.rstrip("=")
    if len(blob) - len(core) > 2 or not _B64_RE.fullmatch(blob):
        return None
    padded = core + "=" * (-len(core) % 4)
    altchars = b"-_" if ("-" in core or "_" in core) else None
    try:
        raw = base64.b64decode(padded, altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        return None
    value = _decode_bytes(raw)
    return ("base64", value) if value is not None else None


# --- invisible runs ----------------------------------------------------------------------------------------


def _char_kind(ch: str) -> str:
    cp = ord(ch)
    if 0xE0000 <= cp <= 0xE007F:
        return "tag_chars"
    if 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:
        return "variation_selector"
    if cp <= 0x9F:
        return "control"
    if ch in "\u061c\u200e\u200f" or 0x202A <= cp <= 0x202E or 0x2066 <= cp <= 0x2069:
        return "bidi"
    return "zero_width"


def _is_emoji_context(text: str, index: int) -> bool:
    """A joiner or presentation selector right after a symbol (emoji sequences) is ordinary text."""
    if index == 0:
        return False
    prev = text[index - 1]
    return unicodedata.category(prev) in ("So", "Sk") or ord(prev) >= 0x1F000 or prev == "\u200d"


def _tag_payload(run: str) -> str:
    return "".join(chr(ord(ch) - 0xE0000) for ch in run if 0xE0020 <= ord(ch) <= 0xE007E)


def _varsel_payload(run: str) -> str:
    data = bytes(ord(ch) - 0xFE00 if ord(ch) <= 0xFE0F else ord(ch) - 0xE0100 + 16 for ch in run)
    value = data.decode("utf-8", errors="replace")
    return value if _printable_text(value) else make_visible(run)


def _zero_width_payload(run: str) -> str:
    """Two distinct zero-width characters in multiples of eight may carry bits: decode them if they read."""
    symbols = sorted(set(run))
    if len(symbols) == 2 and len(run) >= 16 and len(run) % 8 == 0:
        for zero in symbols:
            bits = "".join("0" if ch == zero else "1" for ch in run)
            data = int(bits, 2).to_bytes(len(bits) // 8, "big")
            value = _decode_bytes(data)
            if value is not None:
                return value
    return make_visible(run)


def _invisible_spans(text: str, start: int, end: int) -> list[tuple[str, int, int, str, str]]:
    """Split one run of invisible characters by kind: ``(kind, start, end, decoded, inline_text)``."""
    out: list[tuple[str, int, int, str, str]] = []
    i = start
    while i < end:
        kind = _char_kind(text[i])
        j = i + 1
        while j < end and _char_kind(text[j]) == kind:
            j += 1
        run = text[i:j]
        if kind == "tag_chars":
            payload = _tag_payload(run)
            out.append((kind, i, j, payload or make_visible(run), payload))
        elif kind == "variation_selector":
            if j - i == 1 and ord(run) <= 0xFE0F and _is_emoji_context(text, i):
                out.append(("", i, j, "", run))
            else:
                payload = _varsel_payload(run)
                inline = payload if payload != make_visible(run) else ""
                out.append((kind, i, j, payload, inline))
        elif kind == "zero_width":
            if run == "\u200d" and _is_emoji_context(text, i):
                out.append(("", i, j, "", run))
            else:
                payload = _zero_width_payload(run)
                inline = payload if payload != make_visible(run) else ""
                out.append((kind, i, j, payload, inline))
        else:
            out.append((kind, i, j, make_visible(run), ""))
        i = j
    return out


# --- the pass ----------------------------------------------------------------------------------------------


class _Builder:
    __slots__ = ("depth", "latin", "parts", "spans")

    def __init__(self, latin: bool, depth: int) -> None:
        self.parts: list[str] = []
        self.spans: list[HiddenSpan] = []
        self.latin = latin
        self.depth = depth

    def hidden(self, kind: str, start: int, end: int, decoded: str, inline: str) -> None:
        self.spans.append(HiddenSpan(kind, start, end, decoded))
        if inline:
            self.parts.append(inline)

    def nested(self, kind: str, start: int, end: int, payload: str) -> None:
        """Decoded content is itself revealed (to a limit), so double encodings are read too."""
        inner = _reveal(payload, self.depth + 1) if self.depth < MAX_DECODE_DEPTH else None
        text = inner.text if inner is not None else payload
        self.spans.append(HiddenSpan(kind, start, end, text))
        self.parts.append(f" {text} ")

    def plain(self, text: str, start: int, end: int) -> None:
        segment = text[start:end]
        if segment.isascii():
            self.parts.append(segment)
            return
        pos = 0
        for m in _WORD.finditer(segment):
            self.parts.append(unicodedata.normalize("NFKC", segment[pos : m.start()]))
            self.parts.append(self._word(m.group(), start + m.start()))
            pos = m.end()
        self.parts.append(unicodedata.normalize("NFKC", segment[pos:]))

    def _word(self, word: str, at: int) -> str:
        if word.isascii():
            return word
        norm = unicodedata.normalize("NFKC", word)
        styled = norm != word and norm.isascii() and not any(ord(ch) in _LIGATURES for ch in word)
        folded = norm.translate(_FOLD)
        if folded != norm:
            mixed = any("a" <= ch.lower() <= "z" for ch in norm)
            if mixed or (self.latin and len(norm) >= 3 and folded.isascii()):
                self.spans.append(HiddenSpan("confusable", at, at + len(word), folded))
                return folded
        if styled:
            self.spans.append(HiddenSpan("confusable", at, at + len(word), norm))
        return norm


def _mostly_latin(text: str) -> bool:
    if text.isascii():
        return True
    latin = other = 0
    for ch in text:
        if ch.isalpha():
            if ch.isascii():
                latin += 1
            else:
                other += 1
    return latin >= 4 * other


def _match_group(m: re.Match[str], text: str, out: _Builder) -> int:
    """Handle one scanner match; return where plain text resumes."""
    kind = m.lastgroup
    start, end = m.span()
    if kind == "comment":
        close = text.find("-->", end)
        stop = len(text) if close == -1 else close + 3
        body = text[end : len(text) if close == -1 else close]
        out.nested("html_comment", start, stop, body.strip())
        return stop
    if kind == "ansi":
        out.hidden("ansi", start, end, make_visible(m.group()), "")
        return end
    if kind == "inv":
        for sub_kind, s, e, shown, inline in _invisible_spans(text, start, end):
            if sub_kind:
                out.hidden(sub_kind, s, e, shown, inline)
            else:
                out.parts.append(inline)
        return end
    if kind == "pad":
        out.hidden("padding", start, end, f"⟨{end - start} blank characters⟩", "\n")
        return end
    value = m.group()
    decoded: str | None = None
    if kind == "blob":
        found = _decode_blob(value)
        if found is not None:
            kind, decoded = found
    elif kind == "url":
        kind = "url_encoded"
        if len(_UNRESERVED_ESCAPE.findall(value)) >= 3:
            decoded = unquote(value)
    elif kind == "esc":
        decoded = _ESCAPE_ITEM.sub(lambda x: chr(int(x[1] or x[2], 16)), value)
        kind = "escape"
    else:
        decoded = html.unescape(value)
        kind = "html_entity"
    if decoded is not None and _printable_text(decoded):
        out.nested(kind or "encoded", start, end, decoded)
    else:
        out.plain(text, start, end)
    return end


_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _nothing_to_reveal(text: str) -> bool:
    """Cheap proof that the scanner cannot match: plain ASCII with none of the characters its patterns need."""
    if not text.isascii() or "\x1b" in text or "<!--" in text or "%" in text or "\\" in text or "&#" in text:
        return False
    if "\t" in text or " " * 40 in text or text.count("\n") >= 8 or _ASCII_CONTROL.search(text):
        return False
    return all(len(token) < _MIN_BLOB for token in text.split())


def _reveal(text: str, depth: int) -> Revealed:
    if _nothing_to_reveal(text):
        return Revealed(text, text, ())
    out = _Builder(_mostly_latin(text), depth)
    pos = 0
    for m in _SCAN.finditer(text):
        if m.start() < pos:
            continue
        out.plain(text, pos, m.start())
        pos = _match_group(m, text, out)
    out.plain(text, pos, len(text))
    return Revealed(text, "".join(out.parts), tuple(out.spans))


def reveal(text: str) -> Revealed:
    """Return ``text`` as a model reads it, with every hidden or obfuscated span (pure, linear time)."""
    return _reveal(text, 0)


# --- display -----------------------------------------------------------------------------------------------

_VISIBLE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])?"
    rf"|[{_ZERO_WIDTH}{_BIDI}{_VARSEL}{_TAGS}{_CONTROL}\u2028\u2029]"
)


def _marker(m: re.Match[str]) -> str:
    value = m.group()
    if value.startswith("\x1b"):
        body = value[1:].replace("\x07", "⟨BEL⟩").replace("\x1b", "ESC")
        return f"⟨ESC{body}⟩"
    return f"⟨U+{ord(value):04X}⟩"


def make_visible(text: str) -> str:
    """``text`` for a report: invisible characters become ``⟨U+200B⟩``, escape sequences ``⟨ESC[31m⟩``."""
    return _VISIBLE.sub(_marker, text)
