"""The live scenario: a malicious MCP tool behind ``garrison wrap``, watched by the sensors, detected, traced
back to the tool call, and contained by a playbook that kills what the call started.

Runs in a throwaway ``HOME``; the lab server's cron entry goes to a file there, never the system crontab.
Needs the Linux sensors (proc connector or /proc polling); skipped where there is no /proc.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from garrison.detect import Engine
from garrison.events.reader import read_events
from garrison.events.rulefiles import builtin_rules_dir, load_rule_paths
from garrison.model import Event
from garrison.respond.playbook import parse_playbooks
from garrison.respond.run import Responder, assess_all, respond
from garrison.sensors import Watcher, WatchOptions
from garrison.sensors.procfs import descendants, read_ppids

DROPPER = Path(__file__).with_name("lab_dropper.py")
KEY_RULES = {"2f891aea-9276-4eef-be7a-76112965b7e6", "c29ede9b-dc86-4f01-b3dd-b20faafaf4ce"}
CRON_RULE = "8b8a60b3-e13a-4a32-8803-fcbfdc0c9b14"
PLAYBOOK = """\
version: 1
playbooks:
  - name: contain
    when: {tactic: [credential-access, persistence], min_priority: high}
    actions: [kill_process_tree, block_tool]
"""

pytestmark = [pytest.mark.integration, pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                                          reason="needs Linux /proc for the sensors")]


class _Client:
    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, cwd=cwd)
        self._buf = b""
        self._sel = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        self._sel.register(self.proc.stdout, selectors.EVENT_READ)

    def send(self, body: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(body).encode() + b"\n")
        self.proc.stdin.flush()

    def call(self, msg_id: int, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        deadline = time.monotonic() + 30
        assert self.proc.stdout is not None
        while True:
            while b"\n" not in self._buf:
                left = deadline - time.monotonic()
                assert left > 0, f"no answer to {method}"
                assert self._sel.select(left), f"no answer to {method}"
                chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
                assert chunk, f"stream ended before the answer to {method}"
                self._buf += chunk
            line, self._buf = self._buf.split(b"\n", 1)
            frame: dict[str, Any] = json.loads(line)
            if frame.get("id") == msg_id and "method" not in frame:
                return frame

    def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._sel.close()
            for stream in (self.proc.stdout, self.proc.stdin):
                if stream is not None:
                    stream.close()


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_tool_call_to_containment(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nlab\n", encoding="ascii")
    (home / ".garrison-lab-home").write_text("throwaway\n", encoding="ascii")
    calls = tmp_path / "calls.jsonl"
    env = {**os.environ, "HOME": str(home), "GARRISON_DB": str(tmp_path / "garrison.db")}
    client = _Client([sys.executable, "-m", "garrison", "wrap", "--name", "notes", "--events", str(calls),
                      "--unsafe-no-pins", "--", sys.executable, str(DROPPER)], env, tmp_path)
    sensed: list[Event] = []
    started = threading.Event()

    def sink(event: Event) -> None:
        sensed.append(event)
        if str(event.fields.get("Image", "")).endswith("/sleep"):
            started.set()  # the dropped shell's last step: the key was read and the cron entry written

    watcher = None
    try:
        init = client.call(0, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                             "clientInfo": {"name": "lab-client", "version": "1"}})
        assert "result" in init
        client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        server_pid = next(p for p in descendants(client.proc.pid, read_ppids())[1:]  # below garrison wrap
                          if str(DROPPER) in Path(f"/proc/{p}/cmdline").read_text().replace("\0", " "))
        watcher = Watcher([server_pid], sink, WatchOptions(server="notes", home=str(home), memory=False,
                                                           network=False))
        watcher.start()
        answer = client.call(1, "tools/call", {"name": "export_notes", "arguments": {"folder": "work"}})
        assert answer["result"]["content"][0]["text"] == "Exported 3 notes from work."
        assert started.wait(20), "the sensors did not see the dropped shell"
        watcher.stop()
        assert "*/5 * * * *" in (home / ".lab-crontab").read_text()

        events = sorted([*read_events(calls).events, *sensed], key=lambda e: e.time)
        load = load_rule_paths([builtin_rules_dir()])
        alerts = list(Engine(load.rules, correlations=load.correlations).run(events))
        assessed = assess_all(alerts, events)
        rules = {a.alert.rule for a in assessed}
        assert rules & KEY_RULES, rules
        assert CRON_RULE in rules
        techniques = {t for a in assessed for t in a.alert.techniques}
        assert {"T1552.004", "T1053.003"} <= techniques
        for item in assessed:
            if item.alert.rule in KEY_RULES | {CRON_RULE}:
                call = item.storyline.node(item.storyline.call or "")
                assert call is not None, item.alert.title
                assert call.attrs["tool"] == "export_notes"
                assert call.attrs["client"] == "lab-client"
                assert "started from the MCP tool call export_notes()" in item.summary

        shell = next(e for e in sensed if e.logsource.category == "process_creation"
                     and "sleep 600" in str(e.fields.get("CommandLine", "")) and "crontab" in
                     str(e.fields.get("CommandLine", "")))
        shell_pid = int(shell.fields["ProcessId"])
        assert _alive(shell_pid)
        responder = Responder(execute=True, blocklist_path=str(tmp_path / "garrison.blocklist.yaml"),
                              lockfile_path=str(tmp_path / "garrison.lock"))
        results = respond(assessed, parse_playbooks(PLAYBOOK, path="contain.yaml"), responder)
        kills = [r for r in results if r.action == "kill_process_tree"]
        assert len(kills) == 1
        assert kills[0].ok, kills[0].detail
        assert kills[0].target == f"pid {shell_pid}"
        deadline = time.monotonic() + 10
        while _alive(shell_pid) and time.monotonic() < deadline:
            os.sched_yield()
        assert not _alive(shell_pid)
        assert any(r.action == "block_tool" and r.ok for r in results)
    finally:
        if watcher is not None:
            watcher.stop(raise_errors=False)
        client.close()
        for event in sensed:  # never leave the dropped shell behind, whatever failed above
            pid = event.fields.get("ProcessId")
            if event.logsource.category == "process_creation" and isinstance(pid, int) and pid != os.getpid():
                if "sleep 600" in str(event.fields.get("CommandLine", "")) and _alive(pid):
                    os.kill(pid, 9)
