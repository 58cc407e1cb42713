"""Severity levels shared by findings, rules and alerts."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["Severity"]


class Severity(IntEnum):
    """Ordered severity: ``Severity.HIGH > Severity.MEDIUM``."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, value: str | int | Severity) -> Severity:
        """Parse ``"high"``, ``"HIGH"``, ``3`` or a :class:`Severity`; raise ``ValueError`` otherwise."""
        if isinstance(value, Severity):
            return value
        if isinstance(value, int):
            return cls(value)
        try:
            return cls[value.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {value!r} (expected one of: {names})") from None

    @property
    def label(self) -> str:
        return self.name.lower()

    def __str__(self) -> str:
        return self.label
