"""One exception tree for Garrison. Every error names its place.

::

    GarrisonError                 base; ``where`` names the file, server, rule or line at fault
    ├── UsageError                bad command-line usage (exit 2)
    ├── ConfigError               a configuration or input file cannot be used (exit 2)
    │   ├── ConfigParseError      a file does not parse; carries ``path`` and ``line``
    │   ├── SnapshotFormatError   a snapshot file has the wrong shape
    │   ├── LockfileError         ``garrison.lock`` is unreadable or inconsistent
    │   ├── PolicyError           a policy file is invalid
    │   └── RuleError             a detection rule cannot be loaded
    ├── ConnectError              an MCP server could not be scanned (scan becomes incomplete, exit 3)
    │   ├── ServerLaunchError     the stdio command could not be started
    │   ├── ServerTimeoutError    no answer within the time limit
    │   └── ProtocolViolation     the peer sent something that is not MCP / JSON-RPC
    ├── StoreError                the Garrison store failed (database unreadable, migration failed)
    └── LimitExceeded             an input was larger or deeper than the configured limit

Errors are values at the edges: the CLI catches ``GarrisonError`` once, prints ``str(err)`` and exits with
``err.exit_code``.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConfigParseError",
    "ConnectError",
    "GarrisonError",
    "LimitExceeded",
    "LockfileError",
    "PolicyError",
    "ProtocolViolation",
    "RuleError",
    "ServerLaunchError",
    "ServerTimeoutError",
    "SnapshotFormatError",
    "StoreError",
    "UsageError",
]


class GarrisonError(Exception):
    """Base of every error Garrison raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class UsageError(GarrisonError):
    """The command line asks for something impossible or contradictory."""


class ConfigError(GarrisonError):
    """A configuration or input file cannot be used."""


class ConfigParseError(ConfigError):
    """A file does not parse. ``where`` is ``path:line[:column]``."""

    def __init__(self, message: str, *, path: str, line: int | None = None, column: int | None = None) -> None:
        where = path
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(message, where=where)
        self.path = path
        self.line = line
        self.column = column


class SnapshotFormatError(ConfigError):
    """A snapshot file is not in the documented shape."""


class LockfileError(ConfigError):
    """The lockfile is unreadable, of an unknown version, or inconsistent."""


class PolicyError(ConfigError):
    """A policy file is invalid."""


class RuleError(ConfigError):
    """A detection rule cannot be loaded or compiled."""


class ConnectError(GarrisonError):
    """A server could not be scanned; the scan is incomplete, never clean."""

    exit_code = 3


class ServerLaunchError(ConnectError):
    """The stdio server command could not be started."""


class ServerTimeoutError(ConnectError):
    """The server did not answer within the time limit."""


class ProtocolViolation(ConnectError):
    """The peer sent bytes that are not valid MCP over JSON-RPC."""


class StoreError(GarrisonError):
    """The Garrison store failed."""


class LimitExceeded(GarrisonError):
    """An input exceeded a size, depth or count limit."""
