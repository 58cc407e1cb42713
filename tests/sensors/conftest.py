"""Live sensor tests need Linux and root (proc connector, fanotify); they skip with the reason otherwise."""

from __future__ import annotations

import os
import sys

import pytest
from sensor_support import Collector


@pytest.fixture
def collector() -> Collector:
    return Collector()


@pytest.fixture
def as_root() -> None:
    if sys.platform != "linux":
        pytest.skip("the sensors need Linux")
    if os.geteuid() != 0:
        pytest.skip("the proc connector and fanotify need root")
