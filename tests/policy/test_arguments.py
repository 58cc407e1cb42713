"""Argument checks: path traversal, URL tricks, regexes, sizes and global limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from garrison.policy import CallContext, Policy, PolicyDecision, PolicyState

MakePolicy = Callable[[str], Policy]

PATHS = """
version: 1
rules:
  - name: files
    server: fs
    arguments:
      "*path*":
        paths:
          allow: ["~/work/**", "/tmp/*.txt"]
          deny: ["~/.ssh/**", "**/.env", "~/work/secret"]
"""


def _call(policy: Policy, args: dict[str, Any], server: str = "fs", tool: str = "read_file") -> PolicyDecision:
    return policy.decide(CallContext(server, tool, args), PolicyState(), 0.0)


@pytest.mark.parametrize(
    "path",
    [
        "../../.ssh/id_rsa",                    # relative, climbs out of cwd (/home/me/work)
        "../.ssh/id_rsa",
        "/home/me/work/../.ssh/id_rsa",
        "~/work/../../me/.ssh/id_rsa",
        "~/.ssh/id_rsa",
        "~/.SSH/ID_RSA",                        # case-insensitive file systems
        "..\\..\\.ssh\\id_rsa",                 # backslash separators
        "file:///home/me/.ssh/id_rsa",
        "file:///home/me/work/%2e%2e/.ssh/id_rsa",
        "~/work/app/.env",
        "~root/.ssh/id_rsa",                    # another user's home is not resolved
        "/home/me/work/ok\x00.txt",             # NUL truncation
        "/etc/passwd",                          # outside every allowed root
        "/tmp/sub/x.txt",                       # '*' stays in one segment
        "~/work/secret",
        "file://evil.example/home/me/work/a",   # a remote file URI
        "//home/me/.ssh/id_rsa",
    ],
)
def test_path_escapes_are_denied(make_policy: MakePolicy, path: str) -> None:
    decision = _call(make_policy(PATHS), {"path": path})
    assert decision.action == "deny", decision.reason
    assert decision.rule == "rules.files"


@pytest.mark.parametrize(
    "path",
    ["notes.md", "./src/../README.md", "~/work", "~/work/a/b/c.py", "/tmp/x.txt", "file:///home/me/work/a%20b"],
)
def test_paths_inside_allowed_roots_pass(make_policy: MakePolicy, path: str) -> None:
    assert _call(make_policy(PATHS), {"path": path}).action == "allow"


def test_path_reason_shows_the_resolved_path(make_policy: MakePolicy) -> None:
    reason = _call(make_policy(PATHS), {"path": "../.ssh/id_rsa"}).reason
    assert "resolves to '/home/me/.ssh/id_rsa'" in reason
    assert "'~/.ssh/**'" in reason


def test_path_lists_and_selector_globs(make_policy: MakePolicy) -> None:
    policy = make_policy(PATHS)
    assert _call(policy, {"source_path": ["notes.md", "~/.ssh/config"]}).action == "deny"
    assert _call(policy, {"source_path": ["notes.md", "a/b"]}).action == "allow"
    assert _call(policy, {"content": "~/.ssh/id_rsa"}).action == "allow"  # not a selected argument
    assert _call(policy, {"path": 7}).action == "deny"  # not a path at all
    assert _call(policy, {"path": None}).action == "allow"  # absent optional value


URLS = """
version: 1
rules:
  - name: web
    arguments:
      url:
        domains:
          allow: ["allowed.com", "*.docs.example", "bücher.de", "api.internal:8443"]
          deny: ["blocked.docs.example"]
"""


@pytest.mark.parametrize(
    "url",
    [
        "https://allowed.com@evil.com/",
        "https://allowed.com:pw@evil.com/",
        "https://evil.com\\@allowed.com/",
        "https://evil.com/allowed.com",
        "https://allowed.com.evil.com/",
        "https://evilallowed.com/",
        "https://allowed.com:8080/",            # a port other than the scheme's default
        "https://api.internal/",                # this host is allowed on 8443 only
        "https://api.internal:9443/",
        "https://docs.example/",                # '*.docs.example' does not cover the apex
        "https://blocked.docs.example/",
        "http://allowed.com%40evil.com/",
        "javascript:alert(1)",
        "ftp://allowed.com/",                   # scheme not allowed
        "https://",
        "https://allowed.com /",
        "https://xn--bcher-kva.evil/",
    ],
)
def test_url_tricks_are_denied(make_policy: MakePolicy, url: str) -> None:
    decision = _call(make_policy(URLS), {"url": url})
    assert decision.action == "deny", url


@pytest.mark.parametrize(
    "url",
    [
        "https://allowed.com/x?y=1",
        "HTTPS://ALLOWED.COM/",
        "https://allowed.com:443/",
        "https://allowed.com./",
        "https://a.b.docs.example/page",
        "https://bücher.de/",
        "https://xn--bcher-kva.de/",
        "https://BÜCHER.de/",
        "allowed.com/path",
        "https://api.internal:8443/v1",
    ],
)
def test_allowed_urls_pass(make_policy: MakePolicy, url: str) -> None:
    decision = _call(make_policy(URLS), {"url": url})
    assert decision.action == "allow", decision.reason


def test_url_reason_names_the_real_host(make_policy: MakePolicy) -> None:
    reason = _call(make_policy(URLS), {"url": "https://allowed.com@evil.com/"}).reason
    assert "goes to evil.com" in reason


def test_deny_only_domains_and_ports(make_policy: MakePolicy) -> None:
    text = """
    version: 1
    rules:
      - name: no-exfil
        arguments:
          "*url*":
            domains:
              deny: ["*.ngrok.io", "pastebin.com:*"]
              schemes: [https, http, wss]
    """
    policy = make_policy(text)
    assert _call(policy, {"webhook_url": "https://x.ngrok.io/"}).action == "deny"
    assert _call(policy, {"webhook_url": "https://PASTEBIN.com:8443/"}).action == "deny"
    assert _call(policy, {"webhook_url": "wss://example.org/"}).action == "allow"
    assert _call(policy, {"webhook_url": "gopher://example.org/"}).action == "deny"


REGEX = """
version: 1
rules:
  - name: mail
    tool: send_email
    arguments:
      to:
        must_match: '[^@\\s]+@example\\.com'
      body:
        must_not_match: '(?i)BEGIN [A-Z ]*PRIVATE KEY'
    on_violation: ask
"""


def test_regex_must_match_is_anchored(make_policy: MakePolicy) -> None:
    policy = make_policy(REGEX)
    ok = _call(policy, {"to": "bob@example.com"}, tool="send_email")
    assert ok.action == "allow"
    for to in ("bob@evil.com", "bob@example.com.evil.com", "x bob@example.com", ["bob@example.com", "e@evil.com"]):
        decision = _call(policy, {"to": to}, tool="send_email")
        assert (decision.action, decision.rule) == ("ask", "rules.mail"), to


def test_regex_must_not_match_searches(make_policy: MakePolicy) -> None:
    policy = make_policy(REGEX)
    decision = _call(policy, {"body": "here:\n-----begin rsa private key-----\n"}, tool="send_email")
    assert decision.action == "ask"
    assert "forbidden by" in decision.reason


def test_required_argument(make_policy: MakePolicy) -> None:
    text = "version: 1\nrules:\n  - name: r\n    arguments:\n      reason:\n        required: true\n"
    policy = make_policy(text)
    assert _call(policy, {}).action == "deny"
    assert _call(policy, {"reason": "x"}).action == "allow"


def test_sizes_per_argument_and_total(make_policy: MakePolicy) -> None:
    text = """
    version: 1
    rules:
      - name: small
        max_total_bytes: 64
        arguments:
          body:
            max_bytes: 20
    """
    policy = make_policy(text)
    assert _call(policy, {"body": "x" * 18}).action == "allow"  # 20 bytes with its quotes
    assert _call(policy, {"body": "x" * 19}).action == "deny"
    assert _call(policy, {"body": "é" * 9}).action == "allow"  # 18 bytes of UTF-8 + quotes
    assert _call(policy, {"body": "é" * 10}).action == "deny"
    big = _call(policy, {"a": "x" * 70})
    assert (big.action, big.rule) == ("deny", "rules.small")
    assert "max_total_bytes" in big.reason


def test_global_limits(make_policy: MakePolicy) -> None:
    policy = make_policy("version: 1\nlimits:\n  max_argument_bytes: 1KiB\n  max_total_bytes: 2KiB\n  max_depth: 4\n")
    assert _call(policy, {"a": "x" * 1000}).action == "allow"
    one = _call(policy, {"a": "x" * 1100})
    assert (one.action, one.rule) == ("deny", "limits.max_argument_bytes")
    total = _call(policy, {"a": "x" * 1000, "b": "x" * 1000, "c": "x" * 100})
    assert (total.action, total.rule) == ("deny", "limits.max_total_bytes")
    deep: Any = "x"
    for _ in range(6):
        deep = [deep]
    assert _call(policy, {"a": deep}).rule == "limits.max_depth"
    assert _call(policy, {"a": [[["x"]]]}).action == "allow"


def test_regex_input_over_the_limit_is_refused(make_policy: MakePolicy) -> None:
    text = "version: 1\nlimits:\n  max_regex_chars: 100\nrules:\n  - name: r\n    arguments:\n      q:\n" \
           "        must_not_match: 'DROP'\n"
    policy = make_policy(text)
    assert _call(policy, {"q": "a" * 100}).action == "allow"
    assert _call(policy, {"q": "a" * 101}).action == "deny"
