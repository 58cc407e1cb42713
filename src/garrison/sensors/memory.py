"""Memory and loader heuristics on watched processes, from what Linux exposes in ``/proc/<pid>``:

* ``tracer_attached``: ``TracerPid`` in ``status`` is not 0 (a debugger or injector is attached, ptrace);
* ``ld_preload``: ``LD_PRELOAD`` (or ``LD_AUDIT``) in ``environ``, libraries forced into the process;
* ``wx_anonymous_mapping``: a mapping both writable and executable with no file on disk behind it
  (``maps``: anonymous, heap, stack, shared anonymous or ``memfd``), where injected or self-modifying code
  lives. JIT runtimes (V8, LuaJIT, some JVMs) make such mappings on their
  own, so this is a hint to weigh, not proof.

Each finding is reported once per process as a ``process_tampering`` event.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from garrison.sensors.base import Emit, SensorState, SensorThread
from garrison.sensors.events import ProcessInfo, process_tampering, sensor_status
from garrison.sensors.procfs import parse_status, read_environ, read_text
from garrison.sensors.tree import ProcessTree

__all__ = ["Hint", "MemorySensor", "inspect", "loader_hints", "tracer_hint", "wx_mappings"]

PRELOAD_VARIABLES = ("LD_PRELOAD", "LD_AUDIT")
MAX_MAPS_BYTES = 8 * 1024 * 1024
MAX_SEEN = 65_536


@dataclass(frozen=True, slots=True)
class Hint:
    kind: str
    details: str


def tracer_hint(status_text: str) -> Hint | None:
    tracer = parse_status(status_text).get("TracerPid", "0").split()[0]
    return None if tracer in ("", "0") else Hint("tracer_attached", f"TracerPid {tracer}")


def loader_hints(environ: Mapping[str, str]) -> list[Hint]:
    return [Hint("ld_preload", f"{name}={environ[name]}") for name in PRELOAD_VARIABLES if environ.get(name)]


def _anonymous(inode: str, name: str) -> bool:
    if name.startswith(("/memfd:", "/dev/zero", "[anon")):
        return True  # memfd code, shared anonymous memory, named anonymous regions
    return inode == "0" and (not name or name in ("[heap]", "[stack]"))


def wx_mappings(maps_text: str) -> list[str]:
    """Address ranges (``start-end`` and any name) that are writable, executable and not backed by a file
    on disk: plain anonymous memory, heap, stack, shared anonymous memory and ``memfd`` files."""
    out: list[str] = []
    for line in maps_text.splitlines():
        parts = line.split(None, 5)
        if len(parts) < 5:
            continue
        perms, inode = parts[1], parts[4]
        name = parts[5].strip() if len(parts) > 5 else ""
        if "w" in perms and "x" in perms and _anonymous(inode, name):
            out.append(parts[0] + (f" {name}" if name else ""))
    return out


def inspect(pid: int, proc: str = "/proc") -> list[Hint]:
    """Every hint for one process now (an empty list when it is clean or gone)."""
    hints: list[Hint] = []
    status = read_text(f"{proc}/{pid}/status")
    if status is not None:
        tracer = tracer_hint(status)
        if tracer is not None:
            tracer_pid = tracer.details.split()[-1]
            name = (read_text(f"{proc}/{tracer_pid}/comm") or "").strip()
            hints.append(Hint(tracer.kind, f"{tracer.details} ({name})" if name else tracer.details))
    environ = read_environ(pid, proc)
    if environ:
        hints.extend(loader_hints(environ))
    maps = read_text(f"{proc}/{pid}/maps", MAX_MAPS_BYTES)
    if maps:
        regions = wx_mappings(maps)
        if regions:
            shown = ", ".join(regions[:4]) + (f" and {len(regions) - 4} more" if len(regions) > 4 else "")
            hints.append(Hint("wx_anonymous_mapping", f"{len(regions)} writable+executable anonymous "
                                                      f"mapping(s): {shown}"))
    return hints


class MemorySensor:
    def __init__(self, tree: ProcessTree, emit: Emit, *, interval: float = 0.5, proc: str = "/proc",
                 clock: Callable[[], float] = _time.time) -> None:
        self._tree = tree
        self._emit = emit
        self._interval = interval
        self._proc = proc
        self._clock = clock
        self._thread = SensorThread("memory")
        self._seen: set[tuple[str, str]] = set()
        self.state = SensorState("memory", "off", "not started")

    @property
    def error(self) -> BaseException | None:
        return self._thread.error

    def start(self) -> SensorState:
        self.state = SensorState("memory", "procfs", f"tracer, LD_PRELOAD and W+X mappings checked every "
                                                     f"{self._interval}s")
        self._emit(sensor_status("memory", self.state.mode, self.state.message, time=self._clock()))
        self._thread.start(self._run)
        return self.state

    def stop(self) -> None:
        self._thread.stop()

    def _run(self) -> None:
        while not self._thread.stopping:
            self.tick()
            self._thread.wait_readable(None, self._interval)

    def check(self, info: ProcessInfo) -> None:
        for hint in inspect(info.pid, self._proc):
            key = (info.guid, hint.kind)
            if key in self._seen:
                continue
            if len(self._seen) >= MAX_SEEN:
                self._seen.clear()
            self._seen.add(key)
            self._emit(process_tampering(info, time=self._clock(), kind=hint.kind, details=hint.details))

    def tick(self) -> None:
        for info in self._tree.live():
            self.check(info)
