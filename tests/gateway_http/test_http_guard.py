"""Host and Origin matching (pure): exact values, or ``name:*`` for any numeric port, nothing looser."""

from __future__ import annotations

import pytest

from garrison.gateway.http.app import Guard, host_allowed, origin_allowed
from garrison.gateway.http.config import parse_config

LOCAL = ("127.0.0.1:*", "localhost:*", "[::1]:*")


@pytest.mark.parametrize(("host", "ok"), [
    ("127.0.0.1:8787", True), ("localhost:1", True), ("[::1]:8787", True),
    ("localhost", False), ("localhost:", False), ("localhost:80x", False), ("localhost.evil.example:80", False),
    ("evil.example", False), ("", False), (None, False),
])
def test_host_patterns(host: str | None, ok: bool) -> None:
    assert host_allowed(host, LOCAL) is ok


@pytest.mark.parametrize(("origin", "ok"), [
    (None, True), ("http://localhost:5173", True), ("http://localhost", False),
    ("https://localhost:5173", False), ("http://localhost:5173.evil.example", False), ("null", False),
])
def test_origin_patterns(origin: str | None, ok: bool) -> None:
    assert origin_allowed(origin, ("http://localhost:*",)) is ok


def test_tokens_identify_exactly_one_identity() -> None:
    config = parse_config("clients:\n  - identity: a\n    token: env:A\n  - identity: b\n    token: env:B\n"
                          "upstreams:\n  - name: x\n    command: x\n", path="gw.yaml",
                          environ={"A": "a" * 20, "B": "b" * 20})
    guard = Guard(app=None, config=config)  # type: ignore[arg-type]
    assert guard.identify("Bearer " + "a" * 20) == "a"
    assert guard.identify("bearer " + "b" * 20) == "b"
    assert guard.identify("Bearer " + "a" * 19) is None
    assert guard.identify("Token " + "a" * 20) is None
    assert guard.identify(None) is None
