"""Real sensors on this machine: proc connector, fanotify, procfs network and memory heuristics."""

from __future__ import annotations

import ctypes
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sensor_support import Collector

from garrison.errors import UsageError
from garrison.sensors import Command, Watcher, WatchOptions
from garrison.sensors.base import SensorUnavailable

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("as_root")]

QUIET = WatchOptions(file_backend="off", network=False, memory=False)


def test_proc_connector_catches_200_short_lived_children(collector: Collector) -> None:
    script = "i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done"
    with Watcher(Command(("/bin/sh", "-c", script)), collector, QUIET) as watcher:
        assert watcher.wait(60) == 0
        root = watcher.root_pids[0]
    creations = collector.of("process_creation")
    root_event = next(e for e in creations if e.fields["ProcessId"] == root)
    children = [e for e in creations if e.fields.get("ParentProcessGuid") == root_event.fields["ProcessGuid"]]
    assert len({e.fields["ProcessId"] for e in children}) == 200
    assert all(e.fields.get("Image", "/usr/bin/true").endswith("true") for e in children)
    ended = {e.fields["ProcessId"] for e in collector.of("process_termination")}
    assert {e.fields["ProcessId"] for e in children} <= ended
    assert watcher.complete


def test_open_of_ssh_key_is_attributed_to_the_child(collector: Collector, tmp_path: Path) -> None:
    (tmp_path / ".ssh").mkdir()
    key = tmp_path / ".ssh" / "id_rsa"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    env = {**os.environ, "HOME": str(tmp_path)}
    options = WatchOptions(home=str(tmp_path), network=False, memory=False, server="notes")
    with Watcher(Command(("/bin/sh", "-c", 'cat "$HOME/.ssh/id_rsa" > /dev/null'), env=env), collector,
                 options) as watcher:
        assert watcher.wait(30) == 0
        root = watcher.root_pids[0]
    cat = next(e for e in collector.of("process_creation") if e.fields["ProcessId"] != root)
    opened = [e for e in collector.of("file_access") if e.fields["TargetFilename"] == str(key)]
    assert opened, collector.events
    assert opened[0].fields["ProcessId"] == cat.fields["ProcessId"] != root
    assert opened[0].fields["Attribution"] == "pid"
    assert opened[0].links["process_guid"] == cat.fields["ProcessGuid"]
    assert opened[0].links["server"] == "notes"


def test_connection_to_local_listener_is_seen_with_the_right_pid(collector: Collector) -> None:
    # A stand-in for 169.254.169.254: no traffic is sent to the real metadata address in tests.
    listener = socket.socket()
    listener.bind(("127.0.0.2", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    client = (f"import socket; s = socket.create_connection(('127.0.0.2', {port})); s.recv(1)")
    options = WatchOptions(file_backend="off", memory=False)
    try:
        with Watcher(Command((sys.executable, "-c", client)), collector, options) as watcher:
            event = collector.wait_for(lambda e: e.logsource.category == "network_connection"
                                       and e.fields.get("DestinationPort") == port)
            thread.join(10)
            for conn in accepted:
                conn.close()
            assert watcher.wait(30) == 0
            pid = watcher.root_pids[0]
    finally:
        listener.close()
    assert event.fields["ProcessId"] == pid
    assert event.fields["DestinationIp"] == "127.0.0.2"
    assert event.fields["Initiated"] == "true"
    assert event.fields["Protocol"] == "tcp"
    assert event.links["process_guid"] == event.fields["ProcessGuid"]


def test_ld_preload_is_reported(collector: Collector) -> None:
    env = {**os.environ, "LD_PRELOAD": "libc.so.6"}
    options = WatchOptions(file_backend="off", network=False, memory_interval=0.05)
    read_end, write_end = os.pipe()
    try:
        with Watcher(Command(("/bin/cat",), env=env, stdin=read_end, stdout=subprocess.DEVNULL), collector,
                     options) as watcher:
            event = collector.wait_for(lambda e: e.fields.get("Type") == "ld_preload")
            os.close(write_end)
            write_end = -1
            watcher.wait(30)
            pid = watcher.root_pids[0]
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)
    assert event.logsource.category == "process_tampering"
    assert event.fields["ProcessId"] == pid
    assert event.fields["Details"] == "LD_PRELOAD=libc.so.6"


def test_tracer_attached_is_reported(collector: Collector) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    ptrace_seize = 0x4206
    options = WatchOptions(file_backend="off", network=False, memory_interval=0.05)
    read_end, write_end = os.pipe()
    try:
        with Watcher(Command(("/bin/cat",), stdin=read_end, stdout=subprocess.DEVNULL), collector,
                     options) as watcher:
            pid = watcher.root_pids[0]
            if libc.ptrace(ptrace_seize, pid, None, None) != 0:
                pytest.skip(f"ptrace is not allowed here: {os.strerror(ctypes.get_errno())}")
            event = collector.wait_for(lambda e: e.fields.get("Type") == "tracer_attached")
            assert watcher.popen is not None
            watcher.popen.kill()
            watcher.wait(30)
    finally:
        os.close(read_end)
        os.close(write_end)
    assert event.fields["ProcessId"] == pid
    assert event.fields["Details"].startswith(f"TracerPid {os.getpid()}")


def test_watching_a_running_pid_reports_it_attached_and_its_exit(collector: Collector) -> None:
    read_end, write_end = os.pipe()
    child = subprocess.Popen(["/bin/cat"], stdin=read_end, stdout=subprocess.DEVNULL)
    try:
        with Watcher([child.pid], collector, QUIET) as watcher:
            os.close(write_end)
            write_end = -1
            assert watcher.wait(30) == 0
            child.wait(30)
            collector.wait_for(lambda e: e.logsource.category == "process_termination")
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)
    attached = collector.of("process_creation")[0]
    assert attached.fields["ProcessId"] == child.pid
    assert attached.fields["Enrichment"] == "attached"
    assert attached.links["server"] == "cat"


def test_forced_fallbacks_say_what_they_miss(collector: Collector, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def no_netlink() -> None:
        raise SensorUnavailable("cannot subscribe to process events: Operation not permitted")

    monkeypatch.setattr("garrison.sensors.process._open_netlink", no_netlink)
    monkeypatch.setattr("garrison.sensors.files.FileSensor._open_fanotify",
                        lambda self, targets: (_ for _ in ()).throw(SensorUnavailable("fanotify_init failed")))
    (tmp_path / ".aws").mkdir()
    secret = tmp_path / ".aws" / "credentials"
    secret.write_text("[default]\n")
    read_end, write_end = os.pipe()
    script = 'cat "$HOME/.aws/credentials" > /dev/null; exec cat > /dev/null'
    options = WatchOptions(home=str(tmp_path), network=False, memory=False, poll_interval=0.05)
    env = {**os.environ, "HOME": str(tmp_path)}
    try:
        with Watcher(Command(("/bin/sh", "-c", script), env=env, stdin=read_end), collector, options) as watcher:
            states = {s.sensor: s for s in watcher.states}
            collector.wait_for(lambda e: e.fields.get("TargetFilename") == str(secret))
            os.close(write_end)
            write_end = -1
            watcher.wait(30)
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)
    assert states["process"].mode == "polling"
    assert states["process"].degraded
    assert "Operation not permitted" in states["process"].message
    assert "WILL BE MISSED" in states["process"].message
    assert states["files"].mode == "inotify"
    assert "NOT attributed" in states["files"].message
    assert not watcher.complete
    assert collector.status("process")[0].fields["Mode"] == "polling"
    opened = next(e for e in collector.of("file_access") if e.fields["TargetFilename"] == str(secret))
    assert opened.fields["Image"] == "unknown"
    assert opened.fields["Attribution"] == "unknown"
    assert "ProcessId" not in opened.fields
    assert opened.links == {"server": "unknown"}
    assert collector.of("process_creation")[0].fields["Enrichment"] == "attached"


def test_netlink_required_but_unavailable_fails_closed(collector: Collector, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_netlink() -> None:
        raise SensorUnavailable("no proc connector")

    monkeypatch.setattr("garrison.sensors.process._open_netlink", no_netlink)
    options = WatchOptions(process_backend="netlink", file_backend="off", network=False, memory=False)
    with pytest.raises(UsageError, match="no proc connector"):
        Watcher(Command(("/bin/true",)), collector, options).start()
