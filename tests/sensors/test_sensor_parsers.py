"""Pure parsers: proc connector datagrams, socket tables, status/maps/environ, the sensitive-path list."""

from __future__ import annotations

import json
import struct

import pytest

from garrison.errors import ConfigError
from garrison.model import Event, LogSource
from garrison.sensors import event_line
from garrison.sensors.memory import Hint, loader_hints, tracer_hint, wx_mappings
from garrison.sensors.network import connections_of, parse_address, parse_table
from garrison.sensors.paths import SensitivePath, expand, load_sensitive_paths, match
from garrison.sensors.proc_events import ProcEvent, exit_status, parse_datagram, subscribe_message
from garrison.sensors.procfs import descendants, parse_status


def _message(what: int, payload: bytes, stamp: int = 5_000_000_000) -> bytes:
    event = struct.pack("=IIQ", what, 0, stamp) + payload
    cn = struct.pack("=IIIIHH", 1, 1, 0, 0, len(event), 0) + event
    return struct.pack("=IHHII", 16 + len(cn), 3, 0, 0, 0) + cn


def test_fork_exec_exit_decode() -> None:
    data = (_message(0x1, struct.pack("=iiii", 10, 10, 11, 11))
            + _message(0x2, struct.pack("=ii", 11, 11))
            + _message(0x80000000, struct.pack("=iiIIii", 11, 11, 3 << 8, 17, 10, 10)))
    events, overrun = parse_datagram(data)
    assert not overrun
    assert events == [
        ProcEvent("fork", 5_000_000_000, 11, 11, 10, 10),
        ProcEvent("exec", 5_000_000_000, 11, 11),
        ProcEvent("exit", 5_000_000_000, 11, 11, 10, 10, exit_code=3 << 8),
    ]
    assert exit_status(3 << 8) == 3
    assert exit_status(9) == -9


def test_thread_fork_is_flagged_and_truncated_message_is_ignored() -> None:
    events, _ = parse_datagram(_message(0x1, struct.pack("=iiii", 10, 10, 12, 10)))
    assert events[0].is_thread
    whole = _message(0x2, struct.pack("=ii", 11, 11))
    assert parse_datagram(whole[:-4]) == ([], False)


def test_overrun_is_reported() -> None:
    overrun = struct.pack("=IHHII", 16, 4, 0, 0, 0)
    assert parse_datagram(overrun)[1] is True


def test_subscribe_message_layout() -> None:
    msg = subscribe_message(1234)
    length, kind, _flags, _seq, port = struct.unpack_from("=IHHII", msg)
    assert (length, kind, port) == (len(msg), 3, 1234)
    assert struct.unpack_from("=I", msg, 36) == (1,)


def test_parse_address_ipv4_ipv6_and_metadata_service() -> None:
    assert parse_address("0100007F:1F90", "little") == ("127.0.0.1", 8080)
    # 169.254.169.254:80, the cloud instance metadata address, as the kernel prints it on x86.
    assert parse_address("FEA9FEA9:0050", "little") == ("169.254.169.254", 80)
    assert parse_address("A9FEA9FE:0050", "big") == ("169.254.169.254", 80)
    assert parse_address("0000000000000000FFFF00000200007F:0035", "little") == ("127.0.0.2", 53)
    assert parse_address("00000000000000000000000001000000:0016", "little") == ("::1", 22)


TCP_TABLE = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 100 1 0
   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 101 1 0
   2: 0A00000A:D432 FEA9FEA9:0050 02 00000000:00000000 00:00000000 00000000     0        0 102 1 0
   3: 0A00000A:D433 08080808:01BB 06 00000000:00000000 00:00000000 00000000     0        0 0 1 0
   4: 0A00000A:D434 08080808:01BB 01 00000000:00000000 00:00000000 00000000     0        0 999 1 0
   garbage line
"""


def test_connections_of_attributes_by_inode_and_direction() -> None:
    table = parse_table(TCP_TABLE, "tcp", "little")
    assert len(table) == 5
    found = {(c.remote_ip, c.remote_port, initiated) for c, initiated in connections_of(table, {100, 101, 102})}
    # The accepted connection on the listening port is inbound; the SYN to the metadata address is outbound;
    # the TIME_WAIT socket (inode 0) and another process's socket (999) are not this process's.
    assert found == {("127.0.0.1", 54321, False), ("169.254.169.254", 80, True)}


def test_udp_only_connected_sockets_count() -> None:
    text = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
            "   0: 0A00000A:A000 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 7 2 0\n"
            "   1: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 8 2 0\n")
    found = connections_of(parse_table(text, "udp", "little"), {7, 8})
    assert [(c.remote_port, c.protocol) for c, _ in found] == [(53, "udp")]


def test_status_and_heuristics() -> None:
    status = "Name:\tsleep\nPPid:\t42\nTracerPid:\t77\nUid:\t0\t0\t0\t0\n"
    assert parse_status(status)["PPid"] == "42"
    assert tracer_hint(status) == Hint("tracer_attached", "TracerPid 77")
    assert tracer_hint(status.replace("77", "0")) is None
    assert loader_hints({"LD_PRELOAD": "/tmp/x.so", "PATH": "/bin"}) == [Hint("ld_preload", "LD_PRELOAD=/tmp/x.so")]
    assert loader_hints({"LD_PRELOAD": ""}) == []
    maps = ("7f00-7f10 rwxp 00000000 00:00 0 \n"
            "7f10-7f20 r-xp 00000000 08:01 1234 /usr/lib/libc.so.6\n"
            "7f20-7f30 rw-p 00000000 00:00 0 [heap]\n"
            "7f30-7f40 rwxp 00000000 00:00 0 [stack]\n"
            "7f40-7f50 rwxp 00000000 08:01 99 /tmp/jit.bin\n"
            "7f50-7f60 rwxs 00000000 00:01 1094 /dev/zero (deleted)\n"
            "7f60-7f70 rwxp 00000000 00:01 2000 /memfd:payload (deleted)\n"
            "7f70-7f80 r-xp 00000000 00:00 0 [vdso]\n")
    assert wx_mappings(maps) == ["7f00-7f10", "7f30-7f40 [stack]", "7f50-7f60 /dev/zero (deleted)",
                                 "7f60-7f70 /memfd:payload (deleted)"]


def test_descendants_parents_first() -> None:
    assert descendants(10, {10: 1, 11: 10, 12: 11, 13: 10, 14: 1}) == [10, 11, 13, 12]


def test_packaged_sensitive_paths_cover_the_brief() -> None:
    entries = load_sensitive_paths()
    paths = {e.path for e in entries}
    for wanted in ("~/.ssh", "~/.aws", "~/.config/gcloud", "~/.azure", "~/.cursor/mcp.json", "/etc/shadow",
                   "~/.bashrc", "/etc/crontab", "/etc/systemd/system"):
        assert wanted in paths
    home = expand(entries, "/home/u")
    hit = match("/home/u/.ssh/authorized_keys", home)
    assert hit is not None
    assert hit.kind == "secret"
    assert match("/home/u/.sshx", home) is None
    assert match("/home/u/notes.txt", home) is None


def test_sensitive_path_list_errors_name_every_bad_entry() -> None:
    text = ('[[path]]\npath = "relative"\nkind = "secret"\nwhy = "x"\n'
            '[[path]]\npath = "/etc/x"\nkind = "weird"\nwhy = "x"\n')
    with pytest.raises(ConfigError) as err:
        load_sensitive_paths(text, where="custom.toml")
    assert "path[0]" in str(err.value)
    assert "path[1]" in str(err.value)
    assert "custom.toml" in str(err.value)


def test_most_specific_entry_wins() -> None:
    entries = (SensitivePath("/h/.config", "persistence", "a"), SensitivePath("/h/.config/gcloud", "secret", "b"))
    hit = match("/h/.config/gcloud/credentials.db", entries)
    assert hit is not None
    assert hit.kind == "secret"


def test_event_line_carries_every_documented_key() -> None:
    event = Event(time=1.5, logsource=LogSource("linux", "process_creation"), fields={"Image": "/bin/sh"},
                  source="garrison.sensors.process", id="abc-1", links={"server": "s"})
    record = json.loads(event_line(event))
    assert record == {"time": 1.5, "logsource": {"product": "linux", "category": "process_creation"},
                      "fields": {"Image": "/bin/sh"}, "source": "garrison.sensors.process", "id": "abc-1",
                      "links": {"server": "s"}}
