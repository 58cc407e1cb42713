"""``install`` and ``uninstall`` over every client config file: the plan of ``rewrite``, put on disk safely.

Each file is handled on its own: one that cannot be read, parsed or edited safely is left untouched and
reported, and every other file is still processed. Home, environment, working directory, platform, clock
and backup root are parameters.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from garrison.discovery.catalog import Catalog, default_catalog
from garrison.discovery.discover import MAX_GLOB_MATCHES
from garrison.discovery.parsers import format_for_path
from garrison.errors import ConfigError, UsageError
from garrison.install.backup import BackupRecord, BackupRun, load_records
from garrison.install.files import FileBytes, ReplaceHook, atomic_replace, read_config, sha256_hex
from garrison.install.rewrite import EntryChange, FileForm, plan_text, unified_diff

__all__ = ["FileResult", "FileStatus", "Machine", "RunReport", "config_files", "install", "uninstall"]

FileStatus = Literal["changed", "unchanged", "would-change", "failed"]


@dataclass(frozen=True, slots=True)
class Machine:
    """Where to look: the user's home and environment, the project directories, the platform."""

    home: Path
    environ: Mapping[str, str]
    cwd: Path
    platform: str = sys.platform
    project_dirs: Sequence[Path] = ()
    clients: Sequence[str] | None = None
    catalog: Catalog | None = None


@dataclass(frozen=True, slots=True)
class FileResult:
    path: str
    client: str
    status: FileStatus
    entries: tuple[EntryChange, ...] = ()
    message: str = ""
    """Why the file failed (``path[:line]: reason``), or how it was restored."""
    diff: str = ""


@dataclass(frozen=True, slots=True)
class RunReport:
    operation: str
    files: tuple[FileResult, ...]
    backup_dir: str | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        """No file failed and no entry was refused."""
        return all(f.status != "failed" and all(e.action != "refused" for e in f.entries) for f in self.files)


def _form_json(form: FileForm) -> dict[str, object]:
    return {"fmt": form.fmt, "keys": [list(k) for k in form.keys], "client": form.client, "scope": form.scope,
            "url_transport": form.url_transport}


def _form_from_json(data: Mapping[str, object]) -> FileForm:
    keys = data.get("keys")
    if not isinstance(keys, list):
        raise ValueError("form.keys")
    return FileForm(str(data["fmt"]), tuple(tuple(str(s) for s in k) for k in keys), str(data["client"]),
                    str(data.get("scope", "user")), str(data.get("url_transport", "http")))


def config_files(machine: Machine) -> tuple[list[tuple[str, FileForm]], list[str]]:
    """Every config path (existing or not) of the selected clients with its form, each once; and warnings."""
    catalog = machine.catalog or default_catalog()
    wanted: list[str] | None = None
    if machine.clients is not None:
        wanted = [c.strip() for item in machine.clients for c in item.split(",") if c.strip()] or None
        unknown = [c for c in wanted or () if c not in catalog.ids]
        if unknown:
            raise UsageError(f"unknown client {', '.join(map(repr, unknown))}; known: {', '.join(catalog.ids)}")
    projects: list[Path] = []
    for raw in machine.project_dirs or (machine.cwd,):
        p = Path(os.path.normpath(raw if raw.is_absolute() else machine.cwd / raw))
        if p not in projects:
            projects.append(p)
    out: list[tuple[str, FileForm]] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for target in catalog.targets(home=machine.home, environ=machine.environ, platform=machine.platform,
                                  project_dirs=projects, clients=wanted):
        paths = sorted(glob.glob(target.pattern)) if target.is_glob else [target.pattern]
        if len(paths) > MAX_GLOB_MATCHES:
            warnings.append(f"{target.pattern}: {len(paths)} files match; only the first {MAX_GLOB_MATCHES} "
                            "were processed")
            paths = paths[:MAX_GLOB_MATCHES]
        for path in paths:
            key = os.path.normcase(os.path.realpath(path))
            if key in seen:
                continue
            seen.add(key)
            form = FileForm(format_for_path(path, target.format), target.keys, target.client, target.scope,
                            target.url_transport)
            out.append((path, form))
    return out, warnings


def _decode(current: FileBytes) -> str:
    try:
        return current.data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = current.data[: err.start].count(b"\n") + 1
        raise ConfigError("not valid UTF-8; not touched", where=f"{current.path}:{line}") from None


def _commit(current: FileBytes, new: bytes, form: FileForm, run: BackupRun,
            before_replace: ReplaceHook | None) -> None:
    index = run.add(path=current.path, real_path=current.real_path, client=form.client, form=_form_json(form),
                    original=current.data, written=new)
    try:
        atomic_replace(current, new, before_replace=before_replace)
    except BaseException:
        run.mark(index, "aborted")
        raise
    run.mark(index, "written")


def install(
    machine: Machine,
    *,
    launcher: Sequence[str],
    backup_root: Path,
    dry_run: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    before_replace: ReplaceHook | None = None,
) -> RunReport:
    """Put every stdio server of the selected clients behind ``garrison wrap``."""
    files, warnings = config_files(machine)
    run = BackupRun(backup_root, "install", now)
    results: list[FileResult] = []
    for path, form in files:
        try:
            current = read_config(path)
            if current is None:
                continue
            plan = plan_text(_decode(current), form=form, path=path, operation="wrap", launcher=launcher)
            if not plan.changed:
                results.append(FileResult(path, form.client, "unchanged", plan.entries))
            elif dry_run:
                results.append(FileResult(path, form.client, "would-change", plan.entries,
                                          diff=unified_diff(plan.old, plan.new, path)))
            else:
                _commit(current, plan.new.encode("utf-8"), form, run, before_replace)
                results.append(FileResult(path, form.client, "changed", plan.entries))
        except (ConfigError, OSError) as err:
            results.append(FileResult(path, form.client, "failed", message=_describe(err, path)))
    return RunReport("install", tuple(results), str(run.directory) if run.directory else None, tuple(warnings))


def _describe(err: BaseException, path: str) -> str:
    if isinstance(err, OSError):
        return f"{path}: {err.strerror or err}; not touched"
    return str(err)


def _restore_chain(current: bytes, records: Sequence[BackupRecord]) -> tuple[bytes, bool]:
    """Walk back through the installs while the bytes are exactly what an install wrote.

    Returns the bytes reached and whether that is the state before the first of ``records`` (so nothing of
    Garrison's is left in them).
    """
    remaining = list(records)
    data = current
    while remaining:
        digest = sha256_hex(data)
        match = next((r for r in reversed(remaining) if r.written_sha256 == digest), None)
        if match is None:
            return data, False
        data = match.original_bytes()
        remaining = remaining[:remaining.index(match)]
    return data, True


def _install_records(records: Sequence[BackupRecord], real_path: str) -> list[BackupRecord]:
    """Install records of one file since its last uninstall, oldest first.

    ``pending`` records count too: the run may have stopped after the rename but before the manifest said so,
    and a record is only ever used when the file's hash equals the bytes it says were written.
    """
    mine = [r for r in records if r.real_path == real_path and r.status in ("written", "pending")]
    last_uninstall = max((i for i, r in enumerate(mine) if r.operation == "uninstall"), default=-1)
    return [r for r in mine[last_uninstall + 1:] if r.operation == "install"]


def _entries_for_report(current: FileBytes, form: FileForm) -> tuple[EntryChange, ...]:
    """What an unwrap of the current text would do, for the report (empty when it cannot be planned)."""
    try:
        return plan_text(_decode(current), form=form, path=current.path, operation="unwrap").entries
    except ConfigError:
        return ()


def _uninstall_targets(machine: Machine, records: Sequence[BackupRecord]) -> Iterator[tuple[str, FileForm]]:
    files, _ = config_files(machine)
    seen = {os.path.realpath(p) for p, _ in files}
    yield from files
    wanted = None if machine.clients is None else {c.strip() for i in machine.clients for c in i.split(",")}
    for record in records:
        if record.operation != "install" or record.real_path in seen:
            continue
        if wanted is not None and record.client not in wanted:
            continue
        seen.add(record.real_path)
        try:
            yield record.path, _form_from_json(record.form)
        except (ValueError, KeyError):
            continue


def uninstall(
    machine: Machine,
    *,
    backup_root: Path,
    dry_run: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    before_replace: ReplaceHook | None = None,
) -> RunReport:
    """Undo ``install``: restore each file byte for byte from its backups while it still holds the bytes
    Garrison wrote; otherwise (edited since, or no backup) unwrap its wrapped entries in place."""
    records, warnings = load_records(backup_root)
    run = BackupRun(backup_root, "uninstall", now)
    results: list[FileResult] = []
    for path, form in _uninstall_targets(machine, records):
        try:
            current = read_config(path)
            if current is None:
                continue
            history = _install_records(records, current.real_path)
            data, restored = _restore_chain(current.data, history)
            how = "restored from backup" if data != current.data else ""
            entries = _entries_for_report(current, form)
            if not (history and restored):
                text = _decode(FileBytes(path, current.real_path, data, current.mode))
                plan = plan_text(text, form=form, path=path, operation="unwrap")
                entries = plan.entries
                if plan.changed:
                    data = plan.new.encode("utf-8")
                    how = f"{how} and unwrapped in place" if how else "unwrapped in place"
            if data == current.data:
                results.append(FileResult(path, form.client, "unchanged", entries))
            elif dry_run:
                results.append(FileResult(path, form.client, "would-change", entries, how,
                                          unified_diff(_decode(current), data.decode("utf-8"), path)))
            else:
                _commit(current, data, form, run, before_replace)
                results.append(FileResult(path, form.client, "changed", entries, how))
        except (ConfigError, OSError) as err:
            results.append(FileResult(path, form.client, "failed", message=_describe(err, path)))
    return RunReport("uninstall", tuple(results), str(run.directory) if run.directory else None,
                     tuple(warnings))
