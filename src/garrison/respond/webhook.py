"""Notifying a webhook: one HTTP POST of JSON per alert, with a time limit and a bounded reply read.

Only ``http`` and ``https`` URLs are accepted; redirects are not followed (a notification goes where it was
configured to go, or fails). The reply body is not used beyond its status.
"""

from __future__ import annotations

import json
import time as _time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from garrison.errors import UsageError
from garrison.respond.results import ActionResult

__all__ = ["DEFAULT_TIMEOUT", "MAX_PAYLOAD_BYTES", "check_url", "notify"]

DEFAULT_TIMEOUT = 5.0
MAX_PAYLOAD_BYTES = 1_048_576
MAX_REPLY_BYTES = 65_536


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None


def check_url(url: str, *, where: str | None = None) -> str:
    """``url`` if it is an absolute ``http``/``https`` URL; :class:`UsageError` otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"webhook URL must be http:// or https:// with a host, got {url!r}", where=where)
    return url


def _display(url: str) -> str:
    """The URL without credentials, query or fragment (what results and logs may show)."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"


def notify(url: str, payload: Mapping[str, Any], *, timeout: float = DEFAULT_TIMEOUT,
           headers: Mapping[str, str] | None = None, clock: Callable[[], float] = _time.time) -> ActionResult:
    """POST ``payload`` as JSON to ``url``; ``ok`` when the reply status is 2xx."""
    check_url(url)
    shown = _display(url)
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    if len(body) > MAX_PAYLOAD_BYTES:
        return ActionResult("notify", shown, executed=False, ok=False,
                            detail=f"payload larger than {MAX_PAYLOAD_BYTES} bytes", time=clock())
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310 - scheme checked
        "Content-Type": "application/json", "User-Agent": "garrison-respond", **(headers or {})})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as reply:
            reply.read(MAX_REPLY_BYTES)
            status = int(reply.status)
    except urllib.error.HTTPError as err:
        status = err.code
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", None) or err
        return ActionResult("notify", shown, executed=True, ok=False, detail=f"not delivered: {reason}",
                            time=clock())
    ok = 200 <= status < 300
    return ActionResult("notify", shown, executed=True, ok=ok,
                        detail=f"HTTP {status}" + ("" if ok else ": not accepted"), time=clock())
