"""``garrison hunt`` and ``garrison events`` end to end through ``main()``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from garrison.cli.main import main
from garrison.model import Event, LogSource
from garrison.store import open_store

PROC = LogSource("windows", "process_creation")
NET = LogSource("windows", "network_connection")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("GARRISON_DB", "GARRISON_EVENTS_SINCE", "GARRISON_EVENTS_UNTIL", "GARRISON_EVENTS_LIMIT",
                "GARRISON_EVENTS_ORDER", "GARRISON_EVENTS_FORMAT", "GARRISON_HUNT_QUERY"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "store.db"
    now = time.time()
    store = open_store(str(path))
    store.append_events([
        Event(now - 7200, PROC, {"Image": "C:\\Windows\\System32\\reg.exe", "CommandLine": "reg save HKLM\\SAM s"},
              "sysmon", id="old-reg"),
        Event(now - 60, PROC, {"Image": "C:\\Windows\\System32\\reg.exe", "CommandLine": "reg query HKCU\\x"},
              "sysmon", id="new-reg"),
        Event(now - 30, NET, {"Image": "/usr/bin/curl", "DestinationIp": "169.254.169.254"}, "sysmon", id="imds"),
    ])
    store.close()
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_hunt_prints_matches_as_json_lines_and_exits_1(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "hunt", "--db", str(db), "-f", "json", "--order", "asc",
                       'Image:*\\reg.exe AND CommandLine~"save hklm"')
    assert code == 1
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["old-reg"]
    code, out, _ = run(capsys, "hunt", "--db", str(db), "-f", "json", "--since", "1h", "Image:*\\reg.exe")
    assert (code, [json.loads(line)["id"] for line in out.splitlines()]) == (1, ["new-reg"])
    code, out, _ = run(capsys, "hunt", "--db", str(db), "--format", "json", "DestinationIp=169.254.169.254 OR zzz")
    assert (code, [json.loads(line)["id"] for line in out.splitlines()]) == (1, ["imds"])


def test_hunt_without_matches_exits_0_and_prints_nothing(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "hunt", "--db", str(db), "product:linux")
    assert (code, out) == (0, "")
    assert "no events match" in err


def test_a_bad_query_is_a_usage_error_naming_the_column(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "hunt", "--db", str(db), "Image:x AND (b:1")
    assert (code, out) == (2, "")
    assert "query column 17: expected ')' to close the '(' at column 13" in err
    code, _, err = run(capsys, "hunt", "--db", str(db), "--since", "yesterday", "x")
    assert code == 2
    assert "--since" in err
    code, _, err = run(capsys, "hunt", "--db", str(db))
    assert code == 2
    assert "no query given" in err


def test_events_lists_newest_first_with_a_limit_and_filters(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "events", "--db", str(db), "--limit", "2")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("TIME")
    assert len(lines) == 3
    assert "imds" in lines[1]
    assert "new-reg" in lines[2]
    code, out, _ = run(capsys, "events", "--db", str(db), "-f", "json", "--category", "network_connection")
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["imds"]
    code, out, _ = run(capsys, "events", "--db", str(db), "-f", "json", "--order", "asc", "--limit", "0")
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["old-reg", "new-reg", "imds"]


def test_options_have_environment_twins(db: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARRISON_DB", str(db))
    monkeypatch.setenv("GARRISON_EVENTS_FORMAT", "json")
    monkeypatch.setenv("GARRISON_EVENTS_SINCE", "5m")
    code, out, _ = run(capsys, "events")
    assert (code, [json.loads(line)["id"] for line in out.splitlines()]) == (0, ["imds", "new-reg"])


def test_no_store_yet_is_not_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.db"
    code, out, err = run(capsys, "events", "--db", str(missing))
    assert (code, out) == (0, "")
    assert "nothing recorded" in err
    assert not missing.exists()


def test_prune_applies_the_retention_limits(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "events", "prune", "--db", str(db), "--max-age", "1h", "--max-rows", "none")
    assert (code, out.strip()) == (0, "1")
    assert "2 left" in err
    code, out, _ = run(capsys, "events", "prune", "--db", str(db), "--max-age", "none", "--max-rows", "1")
    assert (code, out.strip()) == (0, "1")
    code, _, err = run(capsys, "events", "prune", "--db", str(db), "--max-age", "soon")
    assert code == 2
    assert "--max-age" in err


def test_cli_retention_defaults_are_the_store_defaults() -> None:
    from garrison.cli import events
    from garrison.hunt import parse_span
    from garrison.store.events import Retention

    assert Retention() == Retention(parse_span(events.DEFAULT_MAX_AGE, where="x"), int(events.DEFAULT_MAX_ROWS))


def test_import_stores_event_files_and_names_unreadable_lines(tmp_path: Path, db: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.jsonl"
    lines = [
        {"time": "2026-01-01T00:00:00Z", "logsource": {"product": "linux", "category": "process_creation"},
         "fields": {"Image": "/usr/bin/curl", "CommandLine": "curl http://169.254.169.254/"}},
        {"time": 1767225601, "logsource": {"product": "linux", "category": "network_connection"},
         "fields": {"DestinationIp": "169.254.169.254"}, "id": "sensor-7"},
    ]
    source.write_text("\n".join(json.dumps(line) for line in lines) + "\nnot json\n", encoding="utf-8")
    code, out, err = run(capsys, "events", "import", "--db", str(db), str(source))
    assert (code, out.strip()) == (3, "2")
    assert f"{source}:3" in err
    code, out, _ = run(capsys, "hunt", "--db", str(db), "-f", "json", "product:linux 169.254.169.254")
    found = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [e["id"] for e in found] == ["sensor-7", found[1]["id"]]
    assert not found[1]["id"].startswith(str(source))
    # The same records again: the producer's id is already used, so that batch is refused whole.
    code, _, err = run(capsys, "events", "import", "--db", str(db), str(source))
    assert code == 2
    assert "refused, nothing stored" in err
    exported = tmp_path / "export.jsonl"
    exported.write_text(out, encoding="utf-8")
    other = tmp_path / "other.db"
    code, out, _ = run(capsys, "events", "import", "--db", str(other), "--batch", "1", str(exported))
    assert (code, out.strip()) == (0, "2")
    code, out, _ = run(capsys, "events", "--db", str(other), "-f", "json")
    assert sorted(json.loads(line)["id"] for line in out.splitlines()) == sorted(e["id"] for e in found)
