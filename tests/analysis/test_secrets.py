"""Secret detection: the shipped pattern set as data, the reference examples, placeholders and redaction."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from garrison.analysis.secrets import (
    find_secrets,
    is_placeholder,
    load_patterns,
    mask,
    parse_patterns,
    redact,
    shannon_entropy,
)
from garrison.errors import RuleError

# Reference examples that cannot fire, and why. Keyed by (rule, text); each reason is reported in the README.
UNREACHABLE_TP = {
    "generic-api-key": "a bare 32-character string with no credential-named key around it",
    "messagebird-client-id": "a bare UUID; without a vendor keyword it is indistinguishable from any UUID",
    "snyk-api-token": "a bare UUID; without a vendor keyword it is indistinguishable from any UUID",
    "sonar-api-token": "a bare 40-character string with no keyword",
}
# Negative examples that still fire one of our patterns, with the reason. Counted, not hidden.
FIRING_FP_REASONS = {
    "gcp-api-key": "real-format Google API keys that the reference allow-lists by value (published keys)",
    "generic-api-key": "an apiKey assignment with a 32-hex value: a credential by shape",
    "anthropic-api-key": "an admin key listed as a negative for the non-admin rule (fires our admin pattern)",
    "anthropic-admin-api-key": "a non-admin key listed as a negative for the admin rule (fires our API-key pattern)",
    "curl-auth-header": "a full JWT after 'Basic' (fires our JWT pattern)",
    "cisco-meraki-api-key": "40-hex values assigned to credential-named keys",
    "slack-user-token": "a token3 assignment with a high-entropy value (fires the keyed-assignment pattern)",
}


def _examples(corpora: Path) -> list[dict[str, str]]:
    path = corpora / "secrets" / "gitleaks_examples.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_pattern_file_is_valid_and_ids_are_stable() -> None:
    pats = load_patterns()
    problems = []
    for p in pats:
        if not re.fullmatch(r"GS1\d\d", p.info.id):
            problems.append(f"{p.info.id}: ID must be GS1xx")
        if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", p.info.slug):
            problems.append(f"{p.info.id}: slug {p.info.slug!r} is not kebab-case")
        if any(k != k.lower() for k in p.keywords):
            problems.append(f"{p.info.id}: keywords must be lower-case")
    assert not problems, "\n".join(problems)
    assert len({p.info.id for p in pats}) == len(pats)
    assert len({p.info.slug for p in pats}) == len(pats)


def test_parse_errors_name_the_pattern_and_file() -> None:
    with pytest.raises(RuleError, match=r"GS999.*group 'value'") as err:
        parse_patterns('[[pattern]]\nid = "GS999"\nslug = "x"\ntitle = "X"\nregex = "abc"\nkeywords = ["a"]\n',
                       where="custom.toml")
    assert err.value.where == "custom.toml"
    with pytest.raises(RuleError, match="unknown validator"):
        parse_patterns('[[pattern]]\nid = "GS998"\nslug = "x"\ntitle = "X"\nregex = "(?P<value>a)"\n'
                       'keywords = ["a"]\nvalidator = "nope"\n')


def test_every_reachable_true_positive_fires(corpora: Path) -> None:
    missed = [r for r in _examples(corpora) if r["kind"] == "tp" and not find_secrets(r["text"]).matches]
    unexpected = [f"{r['rule_id']}: {r['text'][:80]!r}" for r in missed if r["rule_id"] not in UNREACHABLE_TP]
    assert not unexpected, "\n".join(unexpected)
    assert len(missed) <= len(UNREACHABLE_TP)


def test_negative_examples_do_not_fire_the_pattern_covering_their_rule(corpora: Path) -> None:
    covers: dict[str, set[str]] = {}
    for p in load_patterns():
        for ref in p.covers:
            covers.setdefault(ref, set()).add(p.info.id)
    fired_same, fired_any = [], []
    for r in _examples(corpora):
        if r["kind"] != "fp":
            continue
        rules = {m.rule for m in find_secrets(r["text"]).matches}
        if rules & covers.get(r["rule_id"], set()):
            fired_same.append(r)
        elif rules:
            fired_any.append(r)
    unexplained = [f"{r['rule_id']}: {r['text'][:80]!r}" for r in fired_same + fired_any
                   if r["rule_id"] not in FIRING_FP_REASONS]
    assert not unexplained, "\n".join(unexplained)
    # 15 of the 20 Google negatives are published real-format keys; everything else stays quiet.
    assert len(fired_same) + len(fired_any) <= 22


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("export AWS_ACCESS_KEY_ID=AKIAZ7QWERTY2H4KLM5N", "aws-access-key-id"),
        ("token: ghp_Q9x2LmT7vR4kB8nZ1cY6wE3sD5fG0hJ2aK7p", "github-token"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
         "-----END OPENSSH PRIVATE KEY-----", "private-key"),
        ("DATABASE_URL=postgres://app:S3cr3tPassw0rd@db.internal:5432/app", "url-credentials"),
        ('headers = {"Authorization": "x"}\nAuthorization: Bearer 9fK2mQ7xL4pR8vT1zW6yB3nH5cJ0dG2s', "auth-header"),
        ('"client_secret": "Kq8Z2m4PvX7rT9wB3nL6"', "keyed-secret-assignment"),
        ("curl -u deploy:Zr7vQ2kP9mX4 https://ci.example.org", "curl-user-credentials"),
    ],
)
def test_written_secrets_fire(text: str, slug: str) -> None:
    assert slug in [m.pattern.info.slug for m in find_secrets(text).matches]


@pytest.mark.parametrize(
    "text",
    [
        "The AWS docs use AKIAIOSFODNN7EXAMPLE as an access key ID.",
        "Set API_KEY=${API_KEY} in your shell, or pass --token <your token>.",
        "password = os.environ['DB_PASSWORD']",
        "token: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "Request id 550e8400-e29b-41d4-a716-446655440000, checksum 9a038989604e8da62ecddbe2094b16ce1b778be1",
        "Rotate credentials every 90 days and never commit a secret to git.",
        "https://example.com/reset/token=?abc123def456",
    ],
)
def test_placeholders_and_prose_do_not_fire(text: str) -> None:
    assert find_secrets(text).matches == ()


def test_placeholder_rules() -> None:
    assert is_placeholder("AKIAIOSFODNN7EXAMPLE")
    assert is_placeholder("${GITHUB_TOKEN}")
    assert is_placeholder("abcdefghijklmnop1234")
    assert is_placeholder("aaaaaaaa1111")
    assert not is_placeholder("Q9x2LmT7vR4kB8nZ1cY6")


def test_entropy_and_mask() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == pytest.approx(2.0)
    assert mask("ghp_Q9x2LmT7vR4kB8nZ1c") == "ghp_…(22 chars)"
    assert mask("short") == "****"


def test_redact_replaces_values_and_whole_key_blocks() -> None:
    text = ("key AKIAZ7QWERTY2H4KLM5N here\n-----BEGIN RSA PRIVATE KEY-----\n"
            "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Q\n-----END RSA PRIVATE KEY-----\nend")
    found = find_secrets(text).matches
    out = redact(text, found)
    assert out == "key [REDACTED:aws-access-key-id] here\n[REDACTED:private-key]\nend"


def test_overlapping_matches_keep_the_specific_pattern() -> None:
    found = find_secrets('client_secret="bP88Q~rcBcYjzzOhg1Hnn76Wm3jGgakZiZ.8vMgR"').matches
    assert [m.pattern.info.slug for m in found] == ["azure-client-secret"]


def test_scan_limit_is_reported() -> None:
    from garrison.analysis import secrets

    big = "x" * (secrets.MAX_SCAN_CHARS + 10) + " AKIAZ7QWERTY2H4KLM5N"
    scan = find_secrets(big)
    assert scan.truncated
    assert scan.matches == ()
