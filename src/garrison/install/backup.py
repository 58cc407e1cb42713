"""Backups of every config file before Garrison changes it, with a manifest to undo the change.

Layout under the backup root (default ``<Garrison data dir>/backups``)::

    <UTC stamp>-<nnn>-<operation>/      one directory per run (mode 0700), created at the first change
        manifest.json                   rewritten (atomically) after every file
        files/<i>-<file name>           the original bytes of file i (mode 0600)

Each manifest entry records the config's path, its client and file form, the SHA-256 of the original bytes
and of the bytes Garrison wrote, and a ``status``: ``pending`` before the file is replaced, ``written`` after,
``aborted`` when the replacement was refused.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from garrison.errors import ConfigError
from garrison.install.files import sha256_hex
from garrison.store.paths import DB_ENV, default_db_path

__all__ = ["BACKUP_DIR_ENV", "BackupRecord", "BackupRun", "default_backup_root", "load_records"]

BACKUP_DIR_ENV = "GARRISON_BACKUP_DIR"
MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
MAX_MANIFEST_BYTES = 4 * 1024 * 1024


def default_backup_root(environ: Mapping[str, str], home: Path, platform: str = sys.platform) -> Path:
    """``GARRISON_BACKUP_DIR``, else ``backups`` in the directory of the default Garrison store."""
    if environ.get(BACKUP_DIR_ENV):
        return Path(environ[BACKUP_DIR_ENV])
    without_db = {k: v for k, v in environ.items() if k != DB_ENV}
    return Path(str(default_db_path(without_db, str(home), platform))).parent / "backups"


@dataclass(frozen=True, slots=True)
class BackupRecord:
    run: str
    """The run directory."""
    operation: str
    created: str
    path: str
    real_path: str
    client: str
    form: Mapping[str, Any]
    backup: str
    """The backup file, relative to the run directory."""
    original_sha256: str
    written_sha256: str
    status: str

    def original_bytes(self) -> bytes:
        """The backed-up original, checked against its recorded hash."""
        where = os.path.join(self.run, self.backup)
        try:
            data = Path(where).read_bytes()
        except OSError as err:
            raise ConfigError(f"backup cannot be read: {err.strerror or err}", where=where) from None
        if sha256_hex(data) != self.original_sha256:
            raise ConfigError("backup does not match the hash in its manifest; not restored", where=where)
        return data


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@dataclass
class BackupRun:
    """One run's backup directory; nothing is created until the first file is added."""

    root: Path
    operation: str
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    directory: Path | None = None
    created: str = ""
    entries: list[dict[str, Any]] = field(default_factory=list)

    def _open(self) -> Path:
        if self.directory is not None:
            return self.directory
        moment = self.now().astimezone(UTC)
        stamp = moment.strftime("%Y%m%dT%H%M%SZ")
        self.created = moment.isoformat().replace("+00:00", "Z")
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        for n in range(1000):
            candidate = self.root / f"{stamp}-{n:03d}-{self.operation}"
            try:
                candidate.mkdir(mode=0o700)
            except FileExistsError:
                continue
            (candidate / "files").mkdir(mode=0o700)
            self.directory = candidate
            return candidate
        raise ConfigError("too many backup runs in one second", where=str(self.root))

    def add(self, *, path: str, real_path: str, client: str, form: Mapping[str, Any], original: bytes,
            written: bytes) -> int:
        """Save ``original`` and record the planned change (status ``pending``); returns the entry index."""
        directory = self._open()
        index = len(self.entries)
        name = f"files/{index}-{os.path.basename(real_path) or 'config'}"
        _write_private(directory / name, original)
        self.entries.append({
            "path": path, "real_path": real_path, "client": client, "form": dict(form), "backup": name,
            "original_sha256": sha256_hex(original), "written_sha256": sha256_hex(written), "status": "pending",
        })
        self._save()
        return index

    def mark(self, index: int, status: str) -> None:
        self.entries[index]["status"] = status
        self._save()

    def _save(self) -> None:
        directory = self._open()
        doc = {"version": MANIFEST_VERSION, "operation": self.operation, "created": self.created,
               "files": self.entries}
        _write_private(directory / MANIFEST, json.dumps(doc, indent=2).encode("utf-8") + b"\n")


def _records_of(run: Path, problems: list[str]) -> list[BackupRecord]:
    where = run / MANIFEST
    try:
        if where.stat().st_size > MAX_MANIFEST_BYTES:
            problems.append(f"{where}: over {MAX_MANIFEST_BYTES} bytes; ignored")
            return []
        doc = json.loads(where.read_bytes())
        if doc.get("version") != MANIFEST_VERSION:
            problems.append(f"{where}: unknown manifest version {doc.get('version')!r}; ignored")
            return []
        return [BackupRecord(str(run), str(doc["operation"]), str(doc["created"]), str(e["path"]),
                             str(e["real_path"]), str(e["client"]), dict(e["form"]), str(e["backup"]),
                             str(e["original_sha256"]), str(e["written_sha256"]), str(e["status"]))
                for e in doc["files"]]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        problems.append(f"{where}: unreadable manifest ({err}); ignored")
        return []


def load_records(root: Path) -> tuple[list[BackupRecord], list[str]]:
    """Every manifest entry under ``root``, oldest run first, and the manifests that could not be read."""
    problems: list[str] = []
    if not root.is_dir():
        return [], problems
    runs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [r for run in runs for r in _records_of(run, problems)], problems
