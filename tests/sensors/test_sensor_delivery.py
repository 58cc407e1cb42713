"""Delivery guarantees of the Watcher: counted overflow, sink errors surface, async use, event lines."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from sensor_support import Collector

from garrison.model import Event
from garrison.sensors import Command, Watcher, WatchOptions

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("as_root")]

QUIET = WatchOptions(file_backend="off", network=False, memory=False)


def test_a_full_queue_is_counted_never_silent() -> None:
    release = threading.Event()
    seen: list[Event] = []

    def slow_sink(event: Event) -> None:
        release.wait(30)
        seen.append(event)

    options = WatchOptions(queue_size=1, file_backend="auto", network=True, memory=True)
    watcher = Watcher(Command(("/bin/true",)), slow_sink, options)
    watcher.start()  # four status events at least, while the sink holds the first
    release.set()
    watcher.wait(30)
    watcher.stop()
    overflow = [e for e in seen if e.fields.get("Mode") == "overflow"]
    assert overflow  # one report per burst of drops; together they count every dropped event
    assert sum(e.fields["Dropped"] for e in overflow) == watcher.dropped_total >= 2
    assert not watcher.complete


def test_a_failing_sink_is_reported_when_the_watch_ends() -> None:
    def broken(event: Event) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"), Watcher(Command(("/bin/true",)), broken, QUIET) as watcher:
        watcher.wait(30)


async def _watch_async(collector: Collector) -> int | None:
    async with Watcher(Command(("/bin/true",)), collector, QUIET) as watcher:
        import anyio.to_thread

        return await anyio.to_thread.run_sync(lambda: watcher.wait(30))


@pytest.mark.asyncio
async def test_async_context_manager(collector: Collector) -> None:
    assert await _watch_async(collector) == 0
    assert [e.logsource.category for e in collector.events if e.logsource.product == "linux"] == [
        "process_creation", "process_termination"]


def test_writable_executable_anonymous_mapping_is_reported(collector: Collector) -> None:
    code = ("import mmap, sys; m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC); "
            "sys.stdin.read()")
    options = WatchOptions(file_backend="off", network=False, memory_interval=0.05)
    read_end, write_end = os.pipe()
    try:
        with Watcher(Command((sys.executable, "-c", code), stdin=read_end, stdout=subprocess.DEVNULL), collector,
                     options) as watcher:
            event = collector.wait_for(lambda e: e.fields.get("Type") == "wx_anonymous_mapping")
            os.close(write_end)
            write_end = -1
            watcher.wait(30)
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)
    assert event.fields["ProcessId"] == watcher.root_pids[0]
    assert "writable+executable anonymous" in event.fields["Details"]
