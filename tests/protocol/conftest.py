"""Launch specs for the fixture server and the interpreter that runs it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from garrison.model import LaunchSpec

FIXTURE = Path(__file__).with_name("fixture_server.py")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fixture_spec() -> Callable[[str], LaunchSpec]:
    def make(behaviour: str) -> LaunchSpec:
        return LaunchSpec(name=f"fx-{behaviour}", command=sys.executable, args=(str(FIXTURE), behaviour))

    return make
