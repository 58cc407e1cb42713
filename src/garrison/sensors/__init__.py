"""Linux endpoint sensors for MCP server processes: process tree (proc connector), sensitive file opens
(fanotify), network connections (procfs), memory and loader heuristics, and package file integrity.

Each sensor turns what it sees into :class:`garrison.model.Event`\\ s with Sigma field names; a sensor that
lacks privileges or kernel support falls back or turns off and says so in a status event.
"""

from garrison.sensors.base import SensorState
from garrison.sensors.integrity import Change, FileEntry, Tree, diff, entry_root, hash_tree
from garrison.sensors.jsonl import JsonlSink, event_line
from garrison.sensors.paths import SensitivePath, load_sensitive_paths
from garrison.sensors.watcher import Command, Watcher, WatchOptions

__all__ = [
    "Change",
    "Command",
    "FileEntry",
    "JsonlSink",
    "SensitivePath",
    "SensorState",
    "Tree",
    "WatchOptions",
    "Watcher",
    "diff",
    "entry_root",
    "event_line",
    "hash_tree",
    "load_sensitive_paths",
]
