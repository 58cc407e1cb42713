from __future__ import annotations

import textwrap
from collections.abc import Callable

import pytest

from garrison.policy import Policy, policy_from_text

HOME = "/home/me"
CWD = "/home/me/work"

MakePolicy = Callable[[str], Policy]


@pytest.fixture
def make_policy() -> MakePolicy:
    def make(text: str) -> Policy:
        return policy_from_text(textwrap.dedent(text), path="garrison.yaml", home=HOME, cwd=CWD)

    return make
