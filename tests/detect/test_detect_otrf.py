"""OTRF case study (eval/endpoint.py): positives alert with the right technique; background stays quiet."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


def _eval_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("garrison_eval_endpoint", REPO / "eval" / "endpoint.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_builtin_pack_on_otrf(corpora: Path) -> None:
    endpoint = _eval_module()
    results = {r.name: r for r in endpoint.evaluate(corpora, sigma=False)}
    windows = [r for r in results.values() if r.unit == "line"]
    assert len(windows) == 4
    for name in ("cmd_sam_copy_esentutl", "empire_shell_reg_dump_sam", "psh_lsass_memory_dump_comsvcs"):
        result = results[name]
        assert result.detected == result.positives, (name, result.missed, result.wrong_technique)
        assert result.background_alerted == 0, (name, result.background_rules)
        assert result.read_problems == 0
    powerdump = results["empire_powerdump_sam_access"]
    # The lsass handle PowerDump opens is an LSASS-memory alert (T1003.001), not a SAM one (T1003.002).
    assert powerdump.detected == powerdump.positives - 1
    assert not powerdump.missed
    assert [w.split(":")[0] for w in powerdump.wrong_technique] == ["588"]
    # Unlabelled lines of the same PowerDump run that read HKLM:\SAM\SAM\Domains\Account raise the SAM rules.
    assert set(powerdump.background_rules) <= {
        "PowerShell Reads SAM Hashes or the Boot Key (module logging)",
        "PowerShell Reads SAM Hashes or the Boot Key (classic engine log)",
    }


def test_with_sigmahq_rules_linux_positives(corpora: Path) -> None:
    endpoint = _eval_module()
    results = {r.name: r for r in endpoint.evaluate(corpora, sigma=True)}
    assert results["sh_binary_padding_dd"].detected == 1
    # 'arp -a' is detected; the second audit event of that capture is the 'grep' the output was piped into.
    assert results["sh_arp_cache"].detected == 1
    table = endpoint.render(list(results.values()), "x")
    assert "| cmd_sam_copy_esentutl | T1003.002 | 2/2 lines |" in table
