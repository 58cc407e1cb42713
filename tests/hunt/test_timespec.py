"""--since / --until forms."""

from __future__ import annotations

import pytest

from garrison.errors import UsageError
from garrison.hunt import parse_span, parse_time

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@pytest.mark.parametrize(("text", "expected"), [
    ("1h", NOW - 3600), ("15m", NOW - 900), ("90s", NOW - 90), ("7d", NOW - 7 * 86400), ("2w", NOW - 14 * 86400),
    ("1h30m", NOW - 5400), ("1.5h", NOW - 5400), ("now", NOW), ("1767225000", 1_767_225_000.0),
    ("2026-01-01T00:00:00Z", NOW), ("2026-01-01T01:00:00+01:00", NOW), ("2026-01-01", NOW),
    ("2025-12-31T23:00:00", NOW - 3600),
])
def test_time_forms(text: str, expected: float) -> None:
    assert parse_time(text, now=NOW, where="--since") == expected


@pytest.mark.parametrize("text", ["yesterday", "1y", "h", "-1h", "2026-13-01", ""])
def test_bad_times_name_the_option(text: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_time(text, now=NOW, where="--until")
    assert err.value.where == "--until"


def test_spans() -> None:
    assert parse_span("30d", where="--max-age") == 30 * 86400
    with pytest.raises(UsageError, match="not a duration"):
        parse_span("soon", where="--max-age")
