"""Fixtures: a fake machine per platform layout, with hand-written (commented) configs."""

from __future__ import annotations

from pathlib import Path

import pytest
from install_machine import Machine, add_hand_written, build_machine


@pytest.fixture(params=["linux", "darwin", "win32"])
def machine(request: pytest.FixtureRequest, tmp_path: Path) -> Machine:
    m = build_machine(tmp_path / "machine", request.param)
    add_hand_written(m)
    return m


@pytest.fixture
def linux_machine(tmp_path: Path) -> Machine:
    m = build_machine(tmp_path / "machine", "linux")
    add_hand_written(m)
    return m
