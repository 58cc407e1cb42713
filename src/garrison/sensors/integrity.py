"""Integrity of a server's package files: a hash tree recorded at pin time and the changes since.

``hash_tree(root)`` hashes every regular file below ``root`` (SHA-256, plus size and executable bit) and
records symlinks by target without following them. ``diff(old, new)`` lists what was added, removed or
modified. Byte-code caches (``__pycache__``, ``*.pyc``) are left out by default because the interpreter
rewrites them on its own. Limits on file count, file size and depth are on by default.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from garrison.errors import ConfigError, LimitExceeded
from garrison.model import Event, digest
from garrison.sensors.events import file_change

__all__ = [
    "DEFAULT_EXCLUDE",
    "Change",
    "FileEntry",
    "Tree",
    "change_events",
    "diff",
    "entry_root",
    "hash_tree",
    "load_tree",
    "save_tree",
]

DEFAULT_EXCLUDE = ("__pycache__", "*.pyc", ".git")
MAX_FILES = 50_000
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 64
INTERPRETERS = ("python", "node", "deno", "bun", "ruby", "perl", "php", "sh", "bash", "dash", "zsh")


@dataclass(frozen=True, slots=True)
class FileEntry:
    """``sha256`` is ``sha256:<hex>`` of the content, or of ``symlink:<target>`` for a link."""

    sha256: str
    size: int
    executable: bool = False
    link: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sha256": self.sha256, "size": self.size}
        if self.executable:
            out["executable"] = True
        if self.link is not None:
            out["link"] = self.link
        return out


@dataclass(frozen=True, slots=True)
class Tree:
    root: str
    files: Mapping[str, FileEntry]
    """Relative POSIX path → entry."""

    @property
    def digest(self) -> str:
        """One hash for the whole tree (canonical JSON of the sorted entries)."""
        return digest({path: entry.to_json() for path, entry in self.files.items()})

    def to_json(self) -> dict[str, Any]:
        return {"root": self.root, "digest": self.digest,
                "files": {path: self.files[path].to_json() for path in sorted(self.files)}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, where: str = "tree") -> Tree:
        files = data.get("files")
        if not isinstance(data.get("root"), str) or not isinstance(files, Mapping):
            raise ConfigError("a hash tree needs 'root' (string) and 'files' (object)", where=where)
        out: dict[str, FileEntry] = {}
        for path, entry in files.items():
            if not isinstance(entry, Mapping) or not isinstance(entry.get("sha256"), str):
                raise ConfigError(f"entry {path!r} needs a 'sha256' string", where=where)
            size, link = entry.get("size", 0), entry.get("link")
            if not isinstance(size, int) or isinstance(size, bool) or not (link is None or isinstance(link, str)):
                raise ConfigError(f"entry {path!r}: 'size' must be an integer and 'link' a string", where=where)
            out[str(path)] = FileEntry(entry["sha256"], size, bool(entry.get("executable")), link)
        return cls(data["root"], out)


ChangeKind = Literal["added", "removed", "modified"]


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    path: str
    old: FileEntry | None = None
    new: FileEntry | None = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}"


def _excluded(name: str, exclude: Sequence[str]) -> bool:
    from fnmatch import fnmatchcase

    return any(fnmatchcase(name, pattern) for pattern in exclude)


def _hash_file(path: str, size_limit: int) -> str:
    h = hashlib.sha256()
    read = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            read += len(chunk)
            if read > size_limit:
                raise LimitExceeded(f"file larger than {size_limit} bytes", where=path)
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def hash_tree(root: str | Path, *, exclude: Sequence[str] = DEFAULT_EXCLUDE, max_files: int = MAX_FILES,
              max_file_bytes: int = MAX_FILE_BYTES, max_depth: int = MAX_DEPTH) -> Tree:
    """Hash every file under ``root`` (a single file hashes as a tree of one)."""
    base = Path(root)
    if not base.exists():
        raise ConfigError("no such file or directory", where=str(base))
    files: dict[str, FileEntry] = {}

    def visit(path: Path, rel: str, depth: int) -> None:
        if depth > max_depth:
            raise LimitExceeded(f"directory nesting deeper than {max_depth}", where=str(path))
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            target = os.readlink(path)
            files[rel] = FileEntry(digest(f"symlink:{target}"), 0, link=target)
        elif stat.S_ISDIR(info.st_mode):
            for child in sorted(os.listdir(path)):
                if not _excluded(child, exclude):
                    visit(path / child, f"{rel}/{child}" if rel else child, depth + 1)
            return
        elif stat.S_ISREG(info.st_mode):
            files[rel] = FileEntry(_hash_file(str(path), max_file_bytes), info.st_size,
                                   bool(info.st_mode & 0o111))
        else:
            return  # sockets, fifos and devices have no content to pin
        if len(files) > max_files:
            raise LimitExceeded(f"more than {max_files} files", where=str(base))

    visit(base, "" if base.is_dir() else base.name, 0)
    return Tree(str(base), files)


def diff(old: Tree, new: Tree) -> tuple[Change, ...]:
    """What changed from ``old`` to ``new``, sorted by path."""
    out: list[Change] = []
    for path in sorted(set(old.files) | set(new.files)):
        before, after = old.files.get(path), new.files.get(path)
        if before is None:
            out.append(Change("added", path, new=after))
        elif after is None:
            out.append(Change("removed", path, old=before))
        elif before != after:
            out.append(Change("modified", path, old=before, new=after))
    return tuple(out)


def entry_root(argv: Sequence[str], *, cwd: str | None = None) -> Path | None:
    """The directory holding a server's own code, from its command line: the script given to an interpreter
    (``python server.py``, ``node dist/index.js``) or the command itself when it is a script file outside
    the system directories. ``None`` when it cannot be told (``npx pkg``, ``python -m pkg``)."""
    base = Path(cwd or ".")
    if not argv:
        return None
    command = Path(argv[0]).name
    candidates = list(argv[1:]) if command.rstrip("0123456789.") in INTERPRETERS else [argv[0]]
    for arg in candidates:
        if arg.startswith("-"):
            continue
        path = base / arg if not os.path.isabs(arg) else Path(arg)
        if path.is_file():
            resolved = path.resolve()
            if resolved.parts[:2] in (("/", "usr"), ("/", "bin"), ("/", "sbin")):
                return None
            return resolved.parent
        break
    return None


def change_events(changes: Sequence[Change], *, root: str, server: str, time: float, when: str) -> list[Event]:
    """``file_change`` events for ``changes`` of the tree at ``root``; ``when`` says against what
    (``since the baseline``, ``during the watch``)."""
    out: list[Event] = []
    for change in changes:
        before = change.old.sha256 if change.old else "absent"
        after = change.new.sha256 if change.new else "absent"
        out.append(file_change(str(Path(root) / change.path) if change.path else root, change.kind, server=server,
                               time=time, details=f"{change.kind} {when}: {before} -> {after}"))
    return out


def load_tree(path: str | Path) -> Tree:
    """A hash tree saved by :func:`save_tree`."""
    try:
        data = orjson.loads(Path(path).read_bytes())
    except OSError as err:
        raise ConfigError(f"cannot read the hash tree: {err.strerror or err}", where=str(path)) from None
    except orjson.JSONDecodeError as err:
        raise ConfigError(f"the hash tree is not JSON: {err}", where=str(path)) from None
    if not isinstance(data, Mapping):
        raise ConfigError("a hash tree is a JSON object", where=str(path))
    return Tree.from_json(data, where=str(path))


def save_tree(tree: Tree, path: str | Path) -> None:
    try:
        Path(path).write_bytes(orjson.dumps(tree.to_json(), option=orjson.OPT_INDENT_2) + b"\n")
    except OSError as err:
        raise ConfigError(f"cannot write the hash tree: {err.strerror or err}", where=str(path)) from None
