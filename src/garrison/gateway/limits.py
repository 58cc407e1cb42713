"""Limits of the relay. All on by default; every one is finite."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_MAX_FRAME_BYTES", "DEFAULT_REQUEST_TIMEOUT", "Limits"]

DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024
DEFAULT_REQUEST_TIMEOUT = 300.0


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds the relay enforces on both directions.

    ``max_frame_bytes``: the largest newline-delimited JSON-RPC message relayed; a larger one is never held in
    memory (only its first ``head_bytes`` are kept, to find its ``id`` and ``method``).
    ``request_timeout``: seconds a client request may wait for the server's answer; a progress notification
    for the request restarts the clock.
    ``shutdown_grace``: seconds the server gets to exit after its stdin is closed before it is terminated, and
    again before it is killed.
    """

    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    shutdown_grace: float = 2.0
    head_bytes: int = 64 * 1024
    read_chunk: int = 64 * 1024

    def __post_init__(self) -> None:
        if self.max_frame_bytes < 1024:
            raise ValueError(f"max_frame_bytes must be at least 1024, got {self.max_frame_bytes}")
        if not self.request_timeout > 0:
            raise ValueError(f"request_timeout must be positive, got {self.request_timeout}")
        if not self.shutdown_grace > 0:
            raise ValueError(f"shutdown_grace must be positive, got {self.shutdown_grace}")
        if self.head_bytes > self.max_frame_bytes:
            object.__setattr__(self, "head_bytes", self.max_frame_bytes)
