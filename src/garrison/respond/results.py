"""What a response action did (or, in a dry run, would do), as a value and as an event for the store.

Result events use the log source ``product: garrison, service: response`` with CamelCase fields
(``Action``, ``Target``, ``Executed``, ``Ok``, ``Detail``, ``Alert``, ``Playbook``), so they are queried and
hunted like any other event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from garrison.model import Event, LogSource

__all__ = ["ACTION_NAMES", "DESTRUCTIVE", "ActionName", "ActionResult", "result_event"]

ActionName = Literal["kill_process_tree", "block_tool", "quarantine_server", "revoke_pin", "notify"]
ACTION_NAMES: tuple[ActionName, ...] = ("kill_process_tree", "block_tool", "quarantine_server", "revoke_pin",
                                        "notify")
DESTRUCTIVE: frozenset[str] = frozenset({"kill_process_tree", "block_tool", "quarantine_server", "revoke_pin"})
"""Actions that only plan (dry run) unless execution is asked for."""
EVENT_SOURCE = "garrison.respond"


@dataclass(frozen=True, slots=True)
class ActionResult:
    """``executed`` is false in a dry run (``detail`` then says what would be done); ``ok`` is false when the
    action failed or was refused (a pid that no longer names the same process, an unreachable webhook)."""

    action: ActionName
    target: str
    executed: bool
    ok: bool
    detail: str
    time: float
    alert: str | None = None
    playbook: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "target": self.target, "executed": self.executed, "ok": self.ok,
                "detail": self.detail, "time": self.time, "alert": self.alert, "playbook": self.playbook}

    def line(self) -> str:
        state = ("done" if self.ok else "FAILED") if self.executed else ("dry-run" if self.ok else "refused")
        return f"{state:<8} {self.action:<18} {self.target}: {self.detail}"


def result_event(result: ActionResult) -> Event:
    fields: dict[str, Any] = {"Action": result.action, "Target": result.target, "Executed": result.executed,
                              "Ok": result.ok, "Detail": result.detail}
    links: dict[str, str] = {}
    if result.alert is not None:
        fields["Alert"] = result.alert
        links["alert"] = result.alert
    if result.playbook is not None:
        fields["Playbook"] = result.playbook
    return Event(time=result.time, logsource=LogSource("garrison", None, "response"), fields=fields,
                 source=EVENT_SOURCE, links=links)
