"""Building :class:`~garrison.model.Event`\\ s from what the sensors saw (pure).

Field names follow Sigma's Linux taxonomy so SigmaHQ rules apply unchanged. Correlation keys go in
``links``: ``process_guid``, ``parent_guid`` and ``server`` (the MCP server the process tree belongs to).
Sensor health (a degraded mode, lost events) is an event too, ``logsource`` product ``garrison``, service
``sensors``, so a reader of the event file sees what was not watched.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from garrison.model import Event, LogSource

__all__ = [
    "SOURCE",
    "ProcessInfo",
    "file_access",
    "file_change",
    "network_connection",
    "process_creation",
    "process_guid",
    "process_tampering",
    "process_termination",
    "sensor_status",
]

SOURCE = "garrison.sensors"
LINUX = "linux"


def process_guid(boot: str, pid: int, start: int) -> str:
    """A Sysmon-style ``{…}`` GUID naming one process for good: boot ID, pid and start stamp."""
    raw = hashlib.sha256(f"{boot}:{pid}:{start}".encode()).digest()[:16]
    return "{" + str(uuid.UUID(bytes=raw)) + "}"


@dataclass(slots=True)
class ProcessInfo:
    """What the tree knows about one watched process (mutable: exec replaces the image)."""

    pid: int
    ppid: int
    guid: str
    parent_guid: str | None
    server: str
    image: str | None = None
    command_line: str | None = None
    cwd: str | None = None
    user: str | None = None
    alive: bool = True

    def links(self) -> dict[str, str]:
        out = {"process_guid": self.guid, "server": self.server}
        if self.parent_guid:
            out["parent_guid"] = self.parent_guid
        return out


def _clean(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def process_creation(info: ProcessInfo, parent: ProcessInfo | None, *, time: float, enrichment: str) -> Event:
    """``enrichment`` is ``complete``, ``partial`` (the process was gone before ``/proc`` could be read;
    fields hold only what the kernel event carried) or ``attached`` (already running when watching began)."""
    fields = _clean({
        "Image": info.image,
        "CommandLine": info.command_line,
        "CurrentDirectory": info.cwd,
        "User": info.user,
        "ProcessId": info.pid,
        "ProcessGuid": info.guid,
        "ParentProcessId": info.ppid,
        "ParentProcessGuid": info.parent_guid,
        "ParentImage": parent.image if parent else None,
        "ParentCommandLine": parent.command_line if parent else None,
        "Enrichment": enrichment,
    })
    return Event(time=time, logsource=LogSource(LINUX, "process_creation"), fields=fields,
                 source=f"{SOURCE}.process", links=info.links())


def process_termination(info: ProcessInfo, *, time: float, exit_code: int | None) -> Event:
    fields = _clean({
        "Image": info.image,
        "ProcessId": info.pid,
        "ProcessGuid": info.guid,
        "ExitCode": exit_code,
    })
    return Event(time=time, logsource=LogSource(LINUX, "process_termination"), fields=fields,
                 source=f"{SOURCE}.process", links=info.links())


def file_access(path: str, info: ProcessInfo | None, *, pid: int | None, time: float, attribution: str,
                access: str = "open") -> Event:
    """An open of a sensitive path (``access`` ``open``), or the close of one opened for writing (``write``).
    ``attribution`` is ``pid`` (fanotify: the opening process is known) or ``unknown`` (inotify: it is not)."""
    fields = _clean({
        "TargetFilename": path,
        "Access": access,
        "Image": info.image if info else "unknown",
        "ProcessId": pid,
        "ProcessGuid": info.guid if info else None,
        "Attribution": attribution,
    })
    links = info.links() if info else {"server": "unknown"}
    return Event(time=time, logsource=LogSource(LINUX, "file_access"), fields=fields,
                 source=f"{SOURCE}.files", links=links)


def file_change(path: str, kind: str, *, server: str, time: float, details: str) -> Event:
    """A package file of the server that differs from its pinned hash tree: ``kind`` is ``added``,
    ``removed`` or ``modified``."""
    fields = {"TargetFilename": path, "Type": kind, "Details": details}
    return Event(time=time, logsource=LogSource(LINUX, "file_change"), fields=fields,
                 source=f"{SOURCE}.integrity", links={"server": server})


def network_connection(info: ProcessInfo, *, time: float, protocol: str, source_ip: str, source_port: int,
                       destination_ip: str, destination_port: int, initiated: bool) -> Event:
    fields = _clean({
        "Image": info.image,
        "ProcessId": info.pid,
        "ProcessGuid": info.guid,
        "User": info.user,
        "Protocol": protocol,
        "Initiated": "true" if initiated else "false",
        "SourceIp": source_ip,
        "SourcePort": source_port,
        "DestinationIp": destination_ip,
        "DestinationPort": destination_port,
    })
    return Event(time=time, logsource=LogSource(LINUX, "network_connection"), fields=fields,
                 source=f"{SOURCE}.network", links=info.links())


def process_tampering(info: ProcessInfo, *, time: float, kind: str, details: str) -> Event:
    """A memory or loader heuristic fired: ``kind`` is ``tracer_attached``, ``ld_preload`` or
    ``wx_anonymous_mapping``."""
    fields = _clean({
        "Image": info.image,
        "ProcessId": info.pid,
        "ProcessGuid": info.guid,
        "Type": kind,
        "Details": details,
    })
    return Event(time=time, logsource=LogSource(LINUX, "process_tampering"), fields=fields,
                 source=f"{SOURCE}.memory", links=info.links())


def sensor_status(sensor: str, mode: str, message: str, *, time: float, **extra: Any) -> Event:
    """Sensor health: ``mode`` names the backend in use (``netlink``, ``polling``, ``fanotify``, ``inotify``,
    ``off``) or a problem (``overflow``, ``lost``)."""
    fields = {"Sensor": sensor, "Mode": mode, "Message": message, **extra}
    return Event(time=time, logsource=LogSource("garrison", None, "sensors"), fields=fields,
                 source=f"{SOURCE}.{sensor}")
