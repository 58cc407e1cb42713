"""The sensitive-path list (``data/sensitive_paths.toml``): loading, home expansion and matching (pure)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import PurePosixPath

from garrison.errors import ConfigError

__all__ = ["KINDS", "SensitivePath", "expand", "load_sensitive_paths", "match"]

KINDS = ("secret", "client_config", "persistence")
DATA_FILE = "sensitive_paths.toml"


@dataclass(frozen=True, slots=True)
class SensitivePath:
    path: str
    """Absolute, or starting with ``~/`` for the protected user's home."""
    kind: str
    why: str


def load_sensitive_paths(text: str | None = None, *, where: str = DATA_FILE) -> tuple[SensitivePath, ...]:
    """Parse the list (the packaged one when ``text`` is ``None``); every bad entry is named in one error."""
    if text is None:
        text = resources.files("garrison.sensors").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"sensitive path list does not parse: {err}", where=where) from None
    entries = data.get("path")
    if not isinstance(entries, list) or not entries:
        raise ConfigError("expected one or more [[path]] tables", where=where)
    out: list[SensitivePath] = []
    problems: list[str] = []
    for i, entry in enumerate(entries):
        path, kind, why = entry.get("path"), entry.get("kind"), entry.get("why")
        if not isinstance(path, str) or not (path.startswith("/") or path.startswith("~/")):
            problems.append(f"path[{i}]: 'path' must be absolute or start with '~/'")
        elif kind not in KINDS:
            problems.append(f"path[{i}] ({path}): 'kind' must be one of {', '.join(KINDS)}")
        elif not isinstance(why, str) or not why.strip():
            problems.append(f"path[{i}] ({path}): 'why' is required")
        else:
            out.append(SensitivePath(path.rstrip("/"), kind, why))
    if problems:
        raise ConfigError("; ".join(problems), where=where)
    return tuple(out)


def expand(entries: tuple[SensitivePath, ...], home: str) -> tuple[SensitivePath, ...]:
    """Resolve ``~/`` against ``home``; duplicates (a home of ``/root`` and a ``/root/...`` entry) collapse."""
    seen: dict[str, SensitivePath] = {}
    for entry in entries:
        path = str(PurePosixPath(home) / entry.path[2:]) if entry.path.startswith("~/") else entry.path
        seen.setdefault(path, SensitivePath(path, entry.kind, entry.why))
    return tuple(seen.values())


def match(path: str, entries: tuple[SensitivePath, ...]) -> SensitivePath | None:
    """The entry covering ``path`` (the entry itself or anything below it), the most specific first."""
    best: SensitivePath | None = None
    for entry in entries:
        if (path == entry.path or path.startswith(entry.path + "/")) and (
                best is None or len(entry.path) > len(best.path)):
            best = entry
    return best
