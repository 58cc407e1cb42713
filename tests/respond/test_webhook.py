"""Webhook notifications to a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from garrison.errors import UsageError
from garrison.respond.webhook import notify


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []
    status: ClassVar[int] = 204

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).received.append({"type": self.headers["Content-Type"],
                                    "body": json.loads(self.rfile.read(length))})
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook():
    handler = type("Hook", (_Hook,), {"received": [], "status": 204})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()
    thread.join()


def test_posts_json(hook):
    server, handler = hook
    url = f"http://127.0.0.1:{server.server_port}/hook?token=secret"
    result = notify(url, {"alert": {"rule": "r"}})
    assert result.ok
    assert result.executed
    assert result.detail == "HTTP 204"
    assert result.target == f"http://127.0.0.1:{server.server_port}/hook"
    assert handler.received == [{"type": "application/json", "body": {"alert": {"rule": "r"}}}]


def test_error_status_is_not_ok(hook):
    server, handler = hook
    handler.status = 500
    result = notify(f"http://127.0.0.1:{server.server_port}/", {"a": 1})
    assert not result.ok
    assert result.detail == "HTTP 500: not accepted"


def test_unreachable_is_not_ok(hook):
    server, _ = hook
    port = server.server_port
    server.shutdown()
    server.server_close()
    result = notify(f"http://127.0.0.1:{port}/", {"a": 1}, timeout=2)
    assert not result.ok
    assert result.detail.startswith("not delivered")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://h/x", "http:///nohost"])
def test_only_http_urls(url):
    with pytest.raises(UsageError):
        notify(url, {})
