"""Importers: Windows (flat and EVTX-as-JSON), auditd, Garrison lines; problems name file:line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from garrison.errors import ConfigError, LimitExceeded
from garrison.events import parse_audit_line, read_events, windows_event
from garrison.events.auditd import audit_events
from garrison.model import LogSource


def test_security_4688_maps_to_process_creation() -> None:
    record = {"EventID": 4688, "Channel": "security", "NewProcessName": "C:\\Windows\\System32\\reg.exe",
              "ParentProcessName": "C:\\x\\powershell.exe", "NewProcessId": "0x1fe8", "ProcessId": "0x1754",
              "CommandLine": "reg save HKLM\\sam sam", "SubjectUserName": "bob", "SubjectDomainName": "CORP",
              "MandatoryLabel": "S-1-16-12288", "@timestamp": "2020-09-22T08:28:42.564Z"}
    event = windows_event(record, where="f:1")
    assert event.logsource == LogSource("windows", "process_creation", "security")
    assert event.fields["Image"] == "C:\\Windows\\System32\\reg.exe"
    assert event.fields["ParentImage"] == "C:\\x\\powershell.exe"
    assert (event.fields["ProcessId"], event.fields["ParentProcessId"]) == ("0x1fe8", "0x1754")
    assert event.fields["User"] == "CORP\\bob"
    assert event.fields["IntegrityLevel"] == "High"
    assert event.time == pytest.approx(1600763322.564)


@pytest.mark.parametrize(("eid", "extra", "category"), [
    (1, {}, "process_creation"), (3, {}, "network_connection"), (11, {}, "file_event"),
    (12, {"EventType": "CreateKey"}, "registry_add"), (12, {"EventType": "DeleteValue"}, "registry_delete"),
    (13, {}, "registry_set"), (10, {}, "process_access"), (22, {}, "dns_query"),
])
def test_sysmon_categories(eid: int, extra: dict[str, str], category: str) -> None:
    event = windows_event({"EventID": eid, "Channel": "Microsoft-Windows-Sysmon/Operational", **extra},
                          where="f:1")
    assert event.logsource == LogSource("windows", category, "sysmon")


def test_powershell_channels() -> None:
    module = windows_event({"EventID": 4103, "Channel": "Microsoft-Windows-PowerShell/Operational"}, where="x")
    assert module.logsource == LogSource("windows", "ps_module", "powershell")
    classic = windows_event({"EventID": 800, "Channel": "Windows PowerShell", "Message": "m"}, where="x")
    assert classic.logsource == LogSource("windows", None, "powershell-classic")
    assert classic.fields["Data"] == "m"


def test_evtx_json_shape() -> None:
    record = {"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
                                   "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
                                   "TimeCreated": {"#attributes": {"SystemTime": "2025-12-25T14:30:27Z"}}},
                        "EventData": {"Image": "C:\\a.exe", "CommandLine": "a", "ProcessGuid": "{G}"}}}
    event = windows_event(record, where="x")
    assert event.logsource.category == "process_creation"
    assert event.fields["Image"] == "C:\\a.exe"
    assert event.fields["Provider_Name"] == "Microsoft-Windows-Sysmon"
    assert event.links == {"process_guid": "{G}"}
    data_list = {"Event": {"System": {"EventID": 4104, "Channel": "Microsoft-Windows-PowerShell/Operational"},
                           "EventData": {"Data": [{"#attributes": {"Name": "ScriptBlockText"}, "#text": "iex"}]}}}
    assert windows_event(data_list, where="x").fields["ScriptBlockText"] == "iex"


def test_windows_errors_name_the_place() -> None:
    with pytest.raises(ConfigError, match="EventID") as err:
        windows_event({"EventID": "four", "Channel": "Security"}, where="events.jsonl:7")
    assert err.value.where == "events.jsonl:7"


def test_auditd_execve_becomes_process_creation() -> None:
    lines = [
        'type=SYSCALL msg=audit(1604996384.965:93777): arch=c000003e syscall=59 success=yes exit=0 ppid=29002 '
        'pid=2168 auid=1000 uid=0 comm="dd" exe="/bin/dd" key=(null)',
        'type=EXECVE msg=audit(1604996384.965:93777): argc=3 a0="dd" a1="if=/dev/zero" a2=6F663D2F746D702F61',
        'type=CWD msg=audit(1604996384.965:93777): cwd="/home/wardog"',
        "type=PROCTITLE msg=audit(1604996384.965:93777): proctitle=6464006966",
    ]
    records = [parse_audit_line(line, where=f"a.log:{i}") for i, line in enumerate(lines, 1)]
    events = audit_events(records)
    assert [e.logsource.service for e in events[:4]] == ["auditd"] * 4
    assert events[1].fields["a2"] == "of=/tmp/a"
    assert events[3].fields["proctitle"] == "dd if"
    process = events[4]
    assert process.logsource == LogSource("linux", "process_creation", None)
    assert process.fields["Image"] == "/bin/dd"
    assert process.fields["CommandLine"] == "dd if=/dev/zero of=/tmp/a"
    assert process.fields["User"] == "root"
    assert process.fields["CurrentDirectory"] == "/home/wardog"
    assert process.links["audit_serial"] == "93777"


def test_read_events_mixed_file_reports_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    native = {"time": "2026-01-01T00:00:00Z", "logsource": {"product": "mcp", "category": "tool_call"},
              "fields": {"Tool": "x"}}
    path.write_text("\n".join([
        json.dumps(native),
        "{not json",
        json.dumps({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Image": "a"}),
        json.dumps([1, 2]),
        json.dumps({"something": "else"}),
        "",
    ]), encoding="utf-8")
    read = read_events(path)
    assert [e.logsource.product for e in read.events] == ["mcp", "windows"]
    assert read.events[0].time == 1767225600.0
    assert [p.where for p in read.problems] == [f"{path}:2", f"{path}:4", f"{path}:5"]
    assert "unknown record shape" in read.problems[2].reason


def test_read_json_stream(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    one = {"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational"},
                     "EventData": {"Image": "a"}}}
    path.write_text(json.dumps(one, indent=2) + json.dumps(one, indent=2) + "\n{broken", encoding="utf-8")
    read = read_events(path)
    assert len(read.events) == 2
    assert len(read.problems) == 1
    assert read.problems[0].where.startswith(f"{path}:")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such event file"):
        read_events(tmp_path / "nope.jsonl")


def test_otrf_files_read_without_problems(corpora: Path) -> None:
    for path in sorted((corpora / "endpoint" / "otrf").glob("*.jsonl")):
        read = read_events(path)
        assert not read.problems, read.problems[:3]
        assert len(read.events) == len(path.read_text(encoding="utf-8").splitlines())
    for path in sorted((corpora / "endpoint" / "otrf" / "linux").glob("*.log")):
        parsed = read_events(path.with_suffix(".jsonl"))
        raw = read_events(path)
        assert not raw.problems
        assert [e.fields for e in raw.events] == [e.fields for e in parsed.events]


def test_record_limit(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    line = json.dumps({"time": 0, "logsource": {"product": "p"}, "fields": {}})
    path.write_text("\n".join([line] * 5) + "\n", encoding="utf-8")
    assert len(read_events(path, max_events=5).events) == 5
    with pytest.raises(LimitExceeded, match="more than 4 records") as err:
        read_events(path, max_events=4)
    assert err.value.where == f"{path}:5"
