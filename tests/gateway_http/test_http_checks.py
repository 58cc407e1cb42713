"""The HTTP edge refuses before any MCP parsing: 401 (token), 421 (Host), 403 (Origin), 413 (body)."""

from __future__ import annotations

import httpx2
import pytest
from gateway_http_support import TOKEN, Gateway

pytestmark = [pytest.mark.integration]

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
ACCEPT = {"Accept": "application/json, text/event-stream"}


def post(gateway: Gateway, headers: dict[str, str], body: object = INIT) -> httpx2.Response:
    return httpx2.post(f"{gateway.url}/mcp", json=body, headers={**ACCEPT, **headers})


@pytest.mark.parametrize("auth", [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_missing_or_bad_token_is_401(two_stdio_one_http: Gateway, auth: str | None) -> None:
    response = post(two_stdio_one_http, {"Authorization": auth} if auth else {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_good_token_opens_a_session(two_stdio_one_http: Gateway) -> None:
    response = post(two_stdio_one_http, {"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers.get("mcp-session-id")


def test_foreign_host_is_421(two_stdio_one_http: Gateway) -> None:
    response = post(two_stdio_one_http, {"Authorization": f"Bearer {TOKEN}", "Host": "evil.example:80"})
    assert response.status_code == 421


def test_foreign_origin_is_403(two_stdio_one_http: Gateway) -> None:
    response = post(two_stdio_one_http, {"Authorization": f"Bearer {TOKEN}", "Origin": "http://evil.example"})
    assert response.status_code == 403


def test_local_origin_is_accepted(two_stdio_one_http: Gateway) -> None:
    origin = f"http://localhost:{two_stdio_one_http.port}"
    response = post(two_stdio_one_http, {"Authorization": f"Bearer {TOKEN}", "Origin": origin})
    assert response.status_code == 200


def test_host_is_checked_before_the_token(two_stdio_one_http: Gateway) -> None:
    assert post(two_stdio_one_http, {"Host": "evil.example"}).status_code == 421


def test_body_over_the_limit_is_413(two_stdio_one_http: Gateway) -> None:
    big = {**INIT, "params": {**INIT["params"], "padding": "x" * 70_000}}  # type: ignore[dict-item]
    response = post(two_stdio_one_http, {"Authorization": f"Bearer {TOKEN}"}, big)
    assert response.status_code == 413


def test_a_session_cannot_be_used_with_another_identity(two_stdio_one_http: Gateway) -> None:
    from gateway_http_support import OTHER_TOKEN

    opened = post(two_stdio_one_http, {"Authorization": f"Bearer {TOKEN}"})
    sid = opened.headers["mcp-session-id"]
    ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
    stolen = post(two_stdio_one_http, {"Authorization": f"Bearer {OTHER_TOKEN}", "mcp-session-id": sid,
                                       "mcp-protocol-version": "2025-06-18"}, ping)
    assert stolen.status_code == 404
