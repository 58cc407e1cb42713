"""Windows event records (Sysmon, Security, PowerShell, System) → Sigma-named :class:`Event`\\ s.

Two input shapes are understood: EVTX rendered as JSON (``{"Event": {"System": {...}, "EventData": {...}}}``,
as SigmaHQ's regression data and evtx dumpers write it) and the flat shape of log shippers (NXLog, Winlogbeat
``winlog.event_data`` already lifted, OTRF datasets): one object with ``Channel``, ``EventID`` and the event
data fields at the top level. Both become one flat field mapping, then Sigma's Windows log sources apply:

* Sysmon event IDs map to their Sigma categories (1 → ``process_creation``, 3 → ``network_connection``,
  11 → ``file_event``, 12/13/14 → ``registry_add|delete``/``registry_set``/``registry_rename``, …),
  service ``sysmon``.
* Security 4688 → ``process_creation`` with Sysmon's names (``NewProcessName`` → ``Image``,
  ``ParentProcessName`` → ``ParentImage``, ``NewProcessId`` → ``ProcessId``, …); every Security event keeps
  service ``security`` and its own fields, so object-access rules (4656/4663 ``ObjectName``) apply.
* PowerShell: 4103 → ``ps_module``, 4104 → ``ps_script`` (service ``powershell``); the classic log's 400/600
  → ``ps_classic_start``/``ps_classic_provider_start`` (service ``powershell-classic``), with ``Data``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from garrison.errors import ConfigError
from garrison.model import Event, LogSource

__all__ = ["is_windows_record", "windows_event"]

SYSMON_CATEGORIES: Mapping[int, str] = {
    1: "process_creation", 2: "file_change", 3: "network_connection", 5: "process_termination",
    6: "driver_load", 7: "image_load", 8: "create_remote_thread", 9: "raw_access_thread", 10: "process_access",
    11: "file_event", 12: "registry_add", 13: "registry_set", 14: "registry_rename", 15: "create_stream_hash",
    16: "sysmon_status", 17: "pipe_created", 18: "pipe_created", 19: "wmi_event", 20: "wmi_event",
    21: "wmi_event", 22: "dns_query", 23: "file_delete", 24: "clipboard_capture", 25: "process_tampering",
    26: "file_delete_detected", 27: "file_block_executable", 28: "file_block_shredding",
    29: "file_executable_detected",
}
_SERVICES: Mapping[str, str] = {
    "microsoft-windows-sysmon/operational": "sysmon",
    "security": "security",
    "system": "system",
    "application": "application",
    "windows powershell": "powershell-classic",
    "microsoft-windows-powershell/operational": "powershell",
    "microsoft-windows-windows defender/operational": "windefend",
    "microsoft-windows-taskscheduler/operational": "taskscheduler",
    "microsoft-windows-bits-client/operational": "bits-client",
}
_POWERSHELL_CATEGORIES: Mapping[tuple[str, int], str] = {
    ("powershell", 4103): "ps_module",
    ("powershell", 4104): "ps_script",
    ("powershell-classic", 400): "ps_classic_start",
    ("powershell-classic", 600): "ps_classic_provider_start",
}
_INTEGRITY = {"S-1-16-4096": "Low", "S-1-16-8192": "Medium", "S-1-16-12288": "High", "S-1-16-16384": "System"}
_TIME_KEYS = ("UtcTime", "@timestamp", "TimeCreated", "EventTime", "timestamp")


def is_windows_record(record: Mapping[str, Any]) -> bool:
    event = record.get("Event")
    if isinstance(event, Mapping) and isinstance(event.get("System"), Mapping):
        return True
    return "EventID" in record and ("Channel" in record or "SourceName" in record)


def _attr(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        attrs = value.get("#attributes")
        if isinstance(attrs, Mapping):
            return attrs.get(name)
    return None


def _scalar(value: Any) -> Any:
    if isinstance(value, Mapping) and "#text" in value:
        return value["#text"]
    return value


def _flatten_evtx(event: Mapping[str, Any]) -> dict[str, Any]:
    system = event["System"]
    flat: dict[str, Any] = {
        "EventID": _scalar(system.get("EventID")),
        "Channel": system.get("Channel"),
        "Computer": system.get("Computer"),
        "Provider_Name": _attr(system.get("Provider"), "Name"),
        "TimeCreated": _attr(system.get("TimeCreated"), "SystemTime"),
        "EventRecordID": system.get("EventRecordID"),
    }
    data = event.get("EventData") or event.get("UserData")
    if isinstance(data, Mapping):
        items = data.get("Data")
        if isinstance(items, list):
            texts = []
            for item in items:
                name = _attr(item, "Name")
                if name is not None:
                    flat[str(name)] = _scalar(item)
                else:
                    texts.append(str(_scalar(item)))
            if texts:
                flat["Data"] = "\n".join(texts)
        for key, value in data.items():
            if key == "#attributes" or (key == "Data" and isinstance(items, list)):
                continue
            flat[str(key)] = _scalar(value)
    return {k: v for k, v in flat.items() if v is not None}


def _time(fields: Mapping[str, Any], where: str) -> float:
    for key in _TIME_KEYS:
        value = fields.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, str) or not value.strip():
            continue
        text = value.strip().replace("Z", "+00:00")
        try:
            stamp = datetime.fromisoformat(text)
        except ValueError:
            raise ConfigError(f"unreadable time {key}={value!r}", where=where) from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        return stamp.timestamp()
    return 0.0


def _event_id(value: Any, where: str) -> int:
    try:
        return int(str(_scalar(value)).strip())
    except ValueError:
        raise ConfigError(f"EventID {value!r} is not a number", where=where) from None


def _security_process_creation(fields: dict[str, Any]) -> None:
    renames = (("NewProcessName", "Image"), ("ParentProcessName", "ParentImage"))
    for old, new in renames:
        if old in fields and new not in fields:
            fields[new] = fields[old]
    if "NewProcessId" in fields:
        if "ProcessId" in fields:
            fields["ParentProcessId"] = fields["ProcessId"]
        fields["ProcessId"] = fields["NewProcessId"]
    if "SubjectUserName" in fields and "User" not in fields:
        domain = fields.get("SubjectDomainName")
        fields["User"] = f"{domain}\\{fields['SubjectUserName']}" if domain else fields["SubjectUserName"]
    if "SubjectLogonId" in fields and "LogonId" not in fields:
        fields["LogonId"] = fields["SubjectLogonId"]
    label = fields.get("MandatoryLabel")
    if isinstance(label, str) and "IntegrityLevel" not in fields and label in _INTEGRITY:
        fields["IntegrityLevel"] = _INTEGRITY[label]


def _sysmon_category(event_id: int, fields: Mapping[str, Any]) -> str | None:
    category = SYSMON_CATEGORIES.get(event_id)
    if event_id == 12 and str(fields.get("EventType", "")).lower() in ("deletekey", "deletevalue"):
        return "registry_delete"
    return category


def windows_event(record: Mapping[str, Any], *, where: str, event_id: str | None = None) -> Event:
    """Map one Windows record to an :class:`Event`; ``where`` (``file:line``) is named in every error."""
    evtx = record.get("Event")
    if isinstance(evtx, Mapping) and isinstance(evtx.get("System"), Mapping):
        fields = _flatten_evtx(evtx)
    else:
        fields = dict(record)
    if "EventID" not in fields:
        raise ConfigError("Windows record without EventID", where=where)
    eid = _event_id(fields["EventID"], where)
    fields["EventID"] = eid
    channel = str(fields.get("Channel") or "")
    service = _SERVICES.get(channel.lower())
    if service is None and str(fields.get("SourceName", "")).lower() == "microsoft-windows-security-auditing":
        service = "security"
    category: str | None = None
    if service == "sysmon":
        category = _sysmon_category(eid, fields)
    elif service == "security" and eid == 4688:
        _security_process_creation(fields)
        category = "process_creation"
    elif service is not None:
        category = _POWERSHELL_CATEGORIES.get((service, eid))
        if service == "powershell-classic" and "Data" not in fields and isinstance(fields.get("Message"), str):
            fields["Data"] = fields["Message"]
    links = {name: str(fields[key]) for name, key in (("process_guid", "ProcessGuid"),
                                                        ("parent_guid", "ParentProcessGuid")) if fields.get(key)}
    return Event(
        time=_time(fields, where),
        logsource=LogSource(product="windows", category=category, service=service),
        fields=fields,
        source="sysmon" if service == "sysmon" else f"windows-{service or 'eventlog'}",
        id=event_id,
        links=links,
    )
