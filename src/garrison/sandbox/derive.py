"""Pick the tightest profile a server's advertised surface still works under. Pure.

- a tool that sends data out or ingests third-party content (mail, web, a caller-chosen URL), or a resource
  served from ``http(s)://``, needs the network → ``network``
- otherwise a tool that reads the user's data, runs code or changes state, or a ``file://`` resource, needs
  the paths it was given → ``filesystem`` (its argument paths read-write, no network)
- otherwise → ``strict``

Only what the server advertises is read, so a server that hides what it does lands in a *tighter* profile,
never a looser one. ``none`` is never derived.
"""

from __future__ import annotations

from collections.abc import Iterable

from garrison.analysis.capabilities import Capability, explain_tool
from garrison.model import Definition

__all__ = ["NETWORK_CAPABILITIES", "PATH_CAPABILITIES", "derive_profile"]

NETWORK_CAPABILITIES = frozenset({Capability.SENDS_DATA_OUT, Capability.INGESTS_UNTRUSTED_CONTENT})
PATH_CAPABILITIES = frozenset({Capability.READS_PRIVATE_DATA, Capability.EXECUTES_CODE, Capability.DESTRUCTIVE})
MAX_REASONS = 20


def _resource_scheme(defn: Definition) -> str:
    return defn.key.split(":", 1)[0].lower() if ":" in defn.key else ""


def derive_profile(definitions: Iterable[Definition]) -> tuple[str, tuple[str, ...]]:
    """``(profile name, reasons)``; each reason names the definition and the signal (``tool:fetch: sends_data_out
    (parameter:url: request to a caller-chosen URL)``)."""
    network: list[str] = []
    paths: list[str] = []
    for defn in definitions:
        if defn.kind == "tool":
            for reason in explain_tool(defn):
                line = f"{defn.ref}: {reason.capability.value} ({reason.source}: {reason.detail})"
                if reason.capability in NETWORK_CAPABILITIES:
                    network.append(line)
                elif reason.capability in PATH_CAPABILITIES:
                    paths.append(line)
        elif defn.kind in ("resource", "resource_template"):
            scheme = _resource_scheme(defn)
            if scheme in ("http", "https", "ws", "wss"):
                network.append(f"{defn.ref}: served from {scheme}://")
            elif scheme == "file":
                paths.append(f"{defn.ref}: reads local files")
    if network:
        return "network", tuple(dict.fromkeys(network))[:MAX_REASONS]
    if paths:
        return "filesystem", tuple(dict.fromkeys(paths))[:MAX_REASONS]
    return "strict", ("no tool sends data out, ingests third-party content, reads private data, runs code or "
                      "changes state",)
