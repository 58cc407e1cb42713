"""Loading: strict schema, errors at file:line, fail closed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from garrison.errors import PolicyError
from garrison.policy import CallContext, PolicyState, load_policy, load_policy_or_deny, policy_from_text

REPO = Path(__file__).resolve().parents[2]


def _error(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        policy_from_text(textwrap.dedent(text).lstrip("\n"), path="p.yaml", home="/h", cwd="/h")
    return info.value


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("version: 1\nrulez: []\n", "p.yaml:2", "unknown key 'rulez'"),
        ("version: 1.0\n", "p.yaml:1", "unsupported policy version"),
        ("version: 2\n", "p.yaml:1", "unsupported policy version 2"),
        ("defaults:\n  action: allow\n", "p.yaml:1", "needs 'version'"),
        ("version: 1\ndefaults:\n  action: maybe\n", "p.yaml:3", "allow, ask, deny"),
        ("version: 1\nrules:\n  - name: a\n    tool: x\n    action: deny\n    colour: red\n", "p.yaml:6",
         "unknown key 'colour'"),
        ("version: 1\nrules:\n  - tool: x\n    action: deny\n", "p.yaml:3", "needs a 'name'"),
        ("version: 1\nrules:\n  - name: a\n    action: deny\n  - name: a\n    action: allow\n", "p.yaml:5",
         "already used at p.yaml:3"),
        ("version: 1\nrules:\n  - name: a\n    tool: x\n", "p.yaml:3", "does nothing"),
        ("version: 1\nrules:\n  - name: a\n    arguments:\n      q:\n        must_match: '(unclosed'\n",
         "p.yaml:6", "invalid regular expression"),
        ("version: 1\nrules:\n  - name: a\n    arguments:\n      p:\n        paths:\n          allow: [relative/x]\n",
         "p.yaml:7", "must be absolute"),
        ("version: 1\nrules:\n  - name: a\n    arguments:\n      u:\n        domains:\n"
         "          deny: ['evil.com:99999']\n",
         "p.yaml:7", "bad port"),
        ("version: 1\nrules:\n  - name: a\n    arguments:\n      u:\n        domains: {deny: [evil.com]}\n"
         "        paths: {deny: ['/x']}\n", "p.yaml:5", "not both"),
        ("version: 1\nrate_limits:\n  - name: r\n    calls: 0\n    window: 1\n", "p.yaml:4", "integer ≥ 1"),
        ("version: 1\nrate_limits:\n  - name: r\n    calls: 3\n    window: soon\n", "p.yaml:5", "duration"),
        ("version: 1\nrate_limits:\n  - name: r\n    calls: 3\n    window: 1\n    burst: 9\n", "p.yaml:3",
         "token_bucket"),
        ("version: 1\nrate_limits:\n  - name: r\n    calls: 3\n    window: 1\n    per: [planet]\n", "p.yaml:6",
         "planet"),
        ("version: 1\nflow:\n  after_private_data:\n    reads_private_data: deny\n", "p.yaml:4", "unknown key"),
        ("version: 1\nlimits:\n  max_total_bytes: lots\n", "p.yaml:3", "size in bytes"),
        ("version: 1\nversion: 1\n", "p.yaml:2", "given twice"),
        ("version: 1\nrules:\n  - name: a\n    tool: *\n    action: deny\n", "p.yaml:4", "invalid YAML"),
        ("version: 1\nx: &a [1]\ny: *a\n", "p.yaml:3", "aliases"),
        ("version: 1\nservers:\n  - match: s\n    unpinned: trust\n", "p.yaml:4", "pin_on_first_use, block"),
        ("version: 1\ndefaults:\n  guard:\n    outputs: ignore\n", "p.yaml:4", "flag, redact, block"),
        ("version: 1\nidentities:\n  - name: ci\n    match: ci\n    rules:\n      - name: r\n        identity: x\n"
         "        action: deny\n", "p.yaml:7", "unknown key 'identity'"),
        ("", "p.yaml:1", "empty"),
        ("- 1\n", "p.yaml:1", "must be a mapping"),
    ],
)
def test_malformed_policy_names_file_and_line(text: str, where: str, words: str) -> None:
    err = _error(text)
    assert err.where == where
    assert words in err.message
    assert str(err).startswith(where + ": ")


def test_shipped_example_loads_and_every_section_is_used() -> None:
    policy = load_policy(REPO / "examples" / "garrison.yaml", home="/home/me", cwd="/home/me")
    spec = policy.spec
    assert spec.rules
    assert spec.rate_limits
    assert spec.identities
    assert spec.servers
    assert {r.name for r in spec.rules} >= {"no-shell", "files-stay-in-projects", "ci-reads"}


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path / "nope.yaml")
    assert str(tmp_path / "nope.yaml") in str(info.value)


def test_non_utf8_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "garrison.yaml"
    path.write_bytes(b"version: 1\n# caf\xe9\n")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert info.value.where == f"{path}:2"


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "garrison.yaml"
    path.write_text("version: 1\n" + "#" * 2_000_000 + "\n")
    with pytest.raises(PolicyError, match="larger than"):
        load_policy(path)


def test_unloadable_policy_fails_closed(tmp_path: Path) -> None:
    path = tmp_path / "garrison.yaml"
    path.write_text("version: 1\nrules:\n  - name: a\n    action: perhaps\n")
    policy = load_policy_or_deny(path)
    decision = policy.decide(CallContext("s", "read_file", {}), PolicyState(), 0.0)
    assert decision.action == "deny"
    assert decision.rule == "policy"
    assert f"{path}:4" in decision.reason
    assert not policy.tool_visible("s", "read_file")


def test_evaluation_error_fails_closed() -> None:
    policy = policy_from_text("version: 1\n", path="p.yaml", home="/h", cwd="/h")
    unencodable = {"x": object()}
    decision = policy.decide(CallContext("s", "t", unencodable), PolicyState(), 0.0)
    assert decision.action == "deny"
    assert decision.rule == "policy"
    assert "could not evaluate tool 't'" in decision.reason


def test_arguments_that_are_not_an_object_are_denied() -> None:
    policy = policy_from_text("version: 1\n", path="p.yaml", home="/h", cwd="/h")
    decision = policy.decide(CallContext("s", "t", ["a"]), PolicyState(), 0.0)  # type: ignore[arg-type]
    assert (decision.action, decision.rule) == ("deny", "limits")
