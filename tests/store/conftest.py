"""Every Store backend, as one parametrised fixture: the contract tests run over each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from garrison.store import Store, open_store


@pytest.fixture(params=["memory", "sqlite", "sqlite-in-memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    target = {"memory": "memory:", "sqlite": str(tmp_path / "data" / "garrison.db"),
              "sqlite-in-memory": "sqlite://:memory:"}[request.param]
    backend = open_store(target)
    yield backend
    backend.close()
