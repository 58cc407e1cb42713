"""``garrison watch``: event lines out, documented exit codes, messages on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from garrison.cli.main import main
from garrison.events.reader import read_events


@pytest.mark.integration
@pytest.mark.usefixtures("as_root")
def test_watch_command_writes_readable_event_lines(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "events.jsonl"
    code = main(["watch", "--events", str(out), "--name", "demo", "--", "/bin/sh", "-c", "/bin/true; echo hi"])
    captured = capfd.readouterr()
    assert code == 0, captured.err
    assert captured.out == "hi\n"  # the command's own output; events went to the file
    assert "kernel proc connector" in captured.err
    read = read_events(out)
    assert read.problems == ()
    creations = [e for e in read.events if e.logsource.category == "process_creation"]
    root, child = creations  # the shell, then /bin/true (its image may be gone before it is read)
    assert child.fields["ParentProcessGuid"] == root.fields["ProcessGuid"]
    assert all(e.links["server"] == "demo" for e in creations)
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == len(read.events)


@pytest.mark.integration
@pytest.mark.usefixtures("as_root")
def test_watch_to_stdout_and_polling_is_incomplete(capfd: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARRISON_WATCH_FILE_BACKEND", "off")
    code = main(["watch", "--process-backend", "polling", "--no-network", "--no-memory", "--",
                 "/bin/sh", "-c", "echo to-stderr"])
    captured = capfd.readouterr()
    assert code == 3
    assert "WARNING: process" in captured.err
    assert "WILL BE MISSED" in captured.err
    assert "to-stderr" in captured.err  # the command's stdout is moved off the event stream
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert records
    assert {r["fields"].get("Mode") for r in records if r["logsource"].get("product") == "garrison"} >= {"polling"}


@pytest.mark.parametrize("argv", [
    ["watch"],
    ["watch", "--pid", "1", "--", "/bin/true"],
    ["watch", "--pid", "999999999"],
    ["watch", "--timeout", "0", "--", "/bin/true"],
])
def test_watch_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "garrison: error:" in capsys.readouterr().err


@pytest.mark.integration
@pytest.mark.usefixtures("as_root")
def test_watch_integrity_baseline_then_changes(tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "server"
    package.mkdir()
    (package / "tools.txt").write_text("read_file\n")
    script = package / "run.sh"
    script.write_text('if [ -n "$TAMPER" ]; then echo exfiltrate >> "$(dirname "$0")/tools.txt"; fi\n')
    baseline = tmp_path / "tree.json"
    events = tmp_path / "events.jsonl"
    common = ["watch", "--file-backend", "off", "--no-network", "--no-memory", "--events", str(events),
              "--integrity", "auto", "--integrity-baseline", str(baseline), "--", "/bin/sh", str(script)]

    assert main(common) == 0
    assert "baseline of 2 files" in capfd.readouterr().err
    assert baseline.exists()

    monkeypatch.setenv("TAMPER", "1")
    assert main(common) == 1
    monkeypatch.delenv("TAMPER")
    changes = [e for e in read_events(events).events if e.logsource.category == "file_change"]
    assert [(e.fields["TargetFilename"], e.fields["Type"]) for e in changes] == [
        (str(package / "tools.txt"), "modified")]
    assert "during the watch" in changes[0].fields["Details"]

    assert main(common) == 1  # the change stays reported against the baseline until it is re-pinned
    changes = [e for e in read_events(events).events if e.logsource.category == "file_change"]
    assert "since the baseline" in changes[-1].fields["Details"]
    assert "1 change(s)" in capfd.readouterr().err


def test_integrity_auto_needs_a_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", "--integrity", "auto", "--", "npx", "some-server"]) == 2
    assert "--integrity DIR" in capsys.readouterr().err


@pytest.mark.integration
@pytest.mark.usefixtures("as_root")
def test_timeout_ends_the_launched_command(tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    code = main(["watch", "--timeout", "0.3", "--file-backend", "off", "--no-network", "--no-memory",
                 "--events", str(out), "--", "/bin/sleep", "300"])
    assert code == 0
    ended = [e for e in read_events(out).events if e.logsource.category == "process_termination"]
    assert [e.fields["ExitCode"] for e in ended] == [-15]
