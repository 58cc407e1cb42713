"""Fixtures for the gateway tests; helpers live in ``gateway_http_support``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gateway_http_support import CLIENTS, Gateway, http_upstream, run_gateway, stdio_upstream


@pytest.fixture(scope="module")
def two_stdio_one_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("gw")
    with http_upstream("web") as url:
        body = ("listen: 127.0.0.1:0\nmax_body_bytes: 65536\n" + CLIENTS + "upstreams:\n" + stdio_upstream("one")
                + stdio_upstream("two") + f"  - name: web\n    url: {url}\n    timeout: 20\n")
        with run_gateway(tmp, body) as gateway:
            yield gateway
