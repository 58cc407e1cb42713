"""Regression guard on the held-out definitions (``tests/fixtures/heldout/definitions.jsonl``).

The analysis was tuned on the ``dev`` half only; the ``test`` half measures how it generalises. The thresholds
are the measured test-half figures (recall 37/48, false positives 0/80) with a margin of one definition.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def _heldout() -> ModuleType:
    spec = importlib.util.spec_from_file_location("heldout_eval", REPO / "eval" / "heldout.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HELDOUT = _heldout()


@pytest.fixture(scope="module")
def results() -> list[tuple[dict[str, Any], bool]]:
    judged: list[tuple[dict[str, Any], bool]] = HELDOUT.judge(HELDOUT.load())
    return judged


def test_fixture_is_large_varied_and_split_by_id_hash() -> None:
    rows = HELDOUT.load()
    labels = Counter(r["label"] for r in rows)
    assert labels["malicious"] >= 80
    assert labels["benign"] >= 120
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["attack"] for r in rows if r["label"] == "malicious"}) >= 12
    assert {r.get("kind", "tool") for r in rows} == {"tool", "prompt", "resource"}
    for split in ("dev", "test"):
        share = sum(r["split"] == split for r in rows) / len(rows)
        assert 0.4 < share < 0.6, (split, share)


def test_test_half_recall_and_false_positive_rate(results: list[tuple[dict[str, Any], bool]]) -> None:
    m = HELDOUT.rates([(row, hit) for row, hit in results if row["split"] == "test"])
    assert m["recall"] >= 36 / 48, m
    assert m["fpr"] <= 1 / 80, m


def test_dev_half_stays_where_it_was_tuned(results: list[tuple[dict[str, Any], bool]]) -> None:
    m = HELDOUT.rates([(row, hit) for row, hit in results if row["split"] == "dev"])
    assert m["recall"] >= 40 / 42, m
    assert m["fpr"] <= 2 / 77, m


def test_hard_negative_families_stay_clean(results: list[tuple[dict[str, Any], bool]]) -> None:
    # Key managers, mail tools with bcc, "call list_x first", upload-by-design and telemetry SDK tools.
    families = ("b-ssh-", "b-vault-", "b-mail-send", "b-first-", "b-after-", "b-webhook", "b-s3-", "b-tele-",
                "b-imp-", "b-dep-")
    flagged = [row["id"] for row, hit in results if hit and row["id"].startswith(families)]
    assert flagged == []
