"""Connecting to MCP servers through the official ``mcp`` SDK: stdio, streamable HTTP and SSE, both protocol
eras, with byte/count/depth limits and a per-server timeout."""

from garrison.protocol.limits import DEFAULT_LIMITS, Limits
from garrison.protocol.snapshot import ConnectMode, snapshot_all, snapshot_all_sync, snapshot_server
from garrison.protocol.stdio import INHERITED_ENV_VARS, launch_environment

__all__ = [
    "DEFAULT_LIMITS",
    "INHERITED_ENV_VARS",
    "ConnectMode",
    "Limits",
    "launch_environment",
    "snapshot_all",
    "snapshot_all_sync",
    "snapshot_server",
]
