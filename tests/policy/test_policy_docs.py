"""The policy reference's YAML examples must be valid policies (they are the documentation users copy)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from garrison.policy import policy_from_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "policy.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_reference_has_examples() -> None:
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_every_yaml_example_compiles(block: str) -> None:
    text = block if block.startswith("version:") else "version: 1\n" + block
    policy = policy_from_text(text, path="docs/policy.md", home="/home/me", cwd="/home/me/work")
    assert policy.spec.version == 1
