"""Text helpers shared by ``hidden`` and its twin ``benign_text``."""

from __future__ import annotations

TRANSLATE = "Translates text into the target language."
FORMAT = "Formats rows of values as an aligned plain-text table."

_GREETINGS = {"fr": "Bonjour", "de": "Hallo", "es": "Hola", "it": "Ciao"}


def translate(text: str, target_language: str) -> str:
    """A stand-in translation: no model, no network; prefixes a greeting in the target language."""
    greeting = _GREETINGS.get(target_language.strip().lower()[:2], "Hello")
    return f"[{target_language}] {greeting}! {text}"


def format_table(rows: list[list[str]]) -> str:
    if not rows:
        return ""
    columns = max(map(len, rows))
    widths = [max(len(str(row[i])) if i < len(row) else 0 for row in rows) for i in range(columns)]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)) for row in rows)
