"""Fixtures: a fake machine per platform layout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from discovery_machine import Machine, build_machine


@pytest.fixture(params=["linux", "darwin", "win32"])
def machine(request: pytest.FixtureRequest, tmp_path: Path) -> Machine:
    return build_machine(tmp_path, request.param)


@pytest.fixture
def make_machine(tmp_path: Path) -> Callable[[str], Machine]:
    return lambda platform: build_machine(tmp_path, platform)
