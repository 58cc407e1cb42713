"""Network sensor: connections held by watched processes, read from procfs.

Every ``interval`` seconds, each watched process's socket inodes (``/proc/<pid>/fd``) are matched against
its network namespace's ``/proc/<pid>/net/{tcp,tcp6,udp,udp6}``. Each new (process, socket, peer) is
reported once as a Sigma ``network_connection`` event; ``Initiated`` is false for connections accepted on a
port the process listens on.

What it misses, by design: a connection opened and closed between two polls; UNIX sockets; raw sockets.
DNS query names are not visible (that needs packet capture); a connected UDP socket to port 53 shows up as a
``network_connection`` with ``DestinationPort: 53`` and ``Protocol: udp``.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import time as _time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from garrison.sensors.base import Emit, SensorState, SensorThread
from garrison.sensors.events import network_connection, sensor_status
from garrison.sensors.procfs import read_text, socket_inodes
from garrison.sensors.tree import ProcessTree

__all__ = ["Connection", "NetworkSensor", "connections_of", "parse_address", "parse_table"]

MAX_TABLE_BYTES = 16 * 1024 * 1024
MAX_SEEN = 65_536
TCP_LISTEN = 0x0A
TCP_CLOSE = 0x07
UDP_CONNECTED = 0x01


@dataclass(frozen=True, slots=True)
class Connection:
    protocol: str
    local_ip: str
    local_port: int
    remote_ip: str
    remote_port: int
    state: int
    inode: int

    @property
    def listening(self) -> bool:
        return self.protocol == "tcp" and self.state == TCP_LISTEN


def parse_address(text: str, byteorder: str = sys.byteorder) -> tuple[str, int]:
    """``0100007F:1F90`` → ``("127.0.0.1", 8080)``. The kernel prints each 32-bit word in host order."""
    host_hex, _, port_hex = text.partition(":")
    raw = bytes.fromhex(host_hex)
    if byteorder == "little":
        raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw)), int(port_hex, 16)
    addr = ipaddress.IPv6Address(raw)
    mapped = addr.ipv4_mapped
    return str(mapped if mapped is not None else addr), int(port_hex, 16)


def parse_table(text: str, protocol: str, byteorder: str = sys.byteorder) -> list[Connection]:
    """One ``/proc/net/{tcp,tcp6,udp,udp6}`` table; malformed lines are skipped."""
    out: list[Connection] = []
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 10:
            continue
        try:
            local_ip, local_port = parse_address(parts[1], byteorder)
            remote_ip, remote_port = parse_address(parts[2], byteorder)
            out.append(Connection(protocol, local_ip, local_port, remote_ip, remote_port, int(parts[3], 16),
                                  int(parts[9])))
        except ValueError:
            continue
    return out


def connections_of(table: Iterable[Connection], inodes: set[int]) -> list[tuple[Connection, bool]]:
    """The peer connections among ``inodes``, each with whether the process initiated it."""
    mine = [c for c in table if c.inode in inodes and c.inode != 0]
    listening = {(c.protocol, c.local_port) for c in mine if c.listening}
    out: list[tuple[Connection, bool]] = []
    for conn in mine:
        if conn.listening or conn.remote_port == 0:
            continue
        if conn.protocol == "tcp" and conn.state == TCP_CLOSE:
            continue
        if conn.protocol == "udp" and conn.state != UDP_CONNECTED:
            continue
        out.append((conn, (conn.protocol, conn.local_port) not in listening))
    return out


class NetworkSensor:
    def __init__(self, tree: ProcessTree, emit: Emit, *, interval: float = 0.1, proc: str = "/proc",
                 clock: Callable[[], float] = _time.time) -> None:
        self._tree = tree
        self._emit = emit
        self._interval = interval
        self._proc = proc
        self._clock = clock
        self._thread = SensorThread("network")
        self._seen: set[tuple[int, int, str, int]] = set()
        self.state = SensorState("network", "off", "not started")

    @property
    def error(self) -> BaseException | None:
        return self._thread.error

    def start(self) -> SensorState:
        self.state = SensorState(
            "network", "procfs",
            f"socket tables polled every {self._interval}s: connections shorter than that may be missed; "
            "DNS query names are not recorded")
        self._emit(sensor_status("network", self.state.mode, self.state.message, time=self._clock()))
        self._thread.start(self._run)
        return self.state

    def stop(self) -> None:
        self._thread.stop()

    def _run(self) -> None:
        while not self._thread.stopping:
            self.tick()
            self._thread.wait_readable(None, self._interval)

    def _tables(self, pid: int) -> list[Connection]:
        out: list[Connection] = []
        for name, protocol in (("tcp", "tcp"), ("tcp6", "tcp"), ("udp", "udp"), ("udp6", "udp")):
            text = read_text(f"{self._proc}/{pid}/net/{name}", MAX_TABLE_BYTES)
            if text:
                out.extend(parse_table(text, protocol))
        return out

    def tick(self) -> None:
        """One poll over every live watched process."""
        tables: dict[str, list[Connection]] = {}
        now = self._clock()
        for info in self._tree.live():
            inodes = socket_inodes(info.pid, self._proc)
            if not inodes:
                continue
            try:
                netns = os.readlink(f"{self._proc}/{info.pid}/ns/net")
            except OSError:
                continue
            if netns not in tables:
                tables[netns] = self._tables(info.pid)
            for conn, initiated in connections_of(tables[netns], inodes):
                key = (info.pid, conn.inode, conn.remote_ip, conn.remote_port)
                if key in self._seen:
                    continue
                if len(self._seen) >= MAX_SEEN:
                    self._seen.clear()
                self._seen.add(key)
                self._emit(network_connection(
                    info, time=now, protocol=conn.protocol, source_ip=conn.local_ip, source_port=conn.local_port,
                    destination_ip=conn.remote_ip, destination_port=conn.remote_port, initiated=initiated))
