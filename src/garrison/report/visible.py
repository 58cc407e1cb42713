"""Hidden characters in JSON text: zero-width and bidi controls, tag characters, variation selectors,
control characters, private-use and unassigned code points, unusual spaces. The lockfile and pin diffs escape
them so that a reviewer sees exactly what a model would read, including what an editor or terminal hides.
(Reports of prose use :func:`garrison.analysis.normalize.make_visible`.)
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["escape_hidden_json", "is_hidden"]

# Categories a terminal renders as nothing (or as something other than the character itself).
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})
_VARIATION_SELECTORS = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))
_VISIBLE_CONTROLS = frozenset("\n\t")
# Printable ASCII is never hidden; only the rest needs a closer look.
_CANDIDATE = re.compile(r"[^\x20-\x7e\n\t]")


def is_hidden(ch: str) -> bool:
    """Whether ``ch`` renders invisibly or alters the rendering of its neighbours."""
    code = ord(ch)
    if ch in _VISIBLE_CONTROLS:
        return False
    if any(lo <= code <= hi for lo, hi in _VARIATION_SELECTORS):
        return True
    category = unicodedata.category(ch)
    return category in _HIDDEN_CATEGORIES or (category == "Zs" and ch != " ")


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def escape_hidden_json(json_text: str) -> str:
    """Escape hidden characters in JSON text as ``\\uXXXX`` (surrogate pairs above U+FFFF).

    JSON allows hidden characters only inside strings, where a ``\\u`` escape means the same character, so the
    result parses to the same value while every hidden character shows up in a text diff.
    """
    return _CANDIDATE.sub(lambda m: _json_escape(m.group()) if is_hidden(m.group()) else m.group(), json_text)
