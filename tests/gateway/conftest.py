"""Every gateway test runs in its own working directory and home, so ``garrison wrap`` (which keeps
``./garrison.lock`` and records calls in the per-user store by default) never touches the real ones."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(home))
    for name in ("GARRISON_DB", "GARRISON_LOCKFILE", "GARRISON_POLICY", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
