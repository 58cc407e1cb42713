"""Every hunting query shown in the documentation parses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from garrison.hunt import parse_query

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "docs" / "hunting.md", ROOT / "docs" / "fragments" / "events.md"]
SHOWN = re.compile(r"garrison hunt '([^']+)'.*\n(?=(.*))")


def examples() -> list[str]:
    """Queries on ``garrison hunt`` command lines, except those shown to fail (an error on the next line)."""
    return [match.group(1) for doc in DOCS if doc.exists()
            for match in SHOWN.finditer(doc.read_text(encoding="utf-8"))
            if not match.group(2).startswith("garrison: error")]


def test_the_docs_show_queries() -> None:
    assert len(examples()) >= 5


@pytest.mark.parametrize("query", examples())
def test_documented_query_parses(query: str) -> None:
    parse_query(query)
