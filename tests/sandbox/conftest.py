"""Fixtures for the sandbox tests: a temporary home holding a fake SSH key, and the backends found here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from garrison.sandbox.backends import BackendFacts, probe_backends


@pytest.fixture(scope="session")
def backend_facts() -> BackendFacts:
    return probe_backends(os.environ)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n")
    return home


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "input.txt").write_text("hello from the allowlisted dir\n")
    return data
