"""Storyline speed on a synthetic run: 20,000 tool calls, each spawning a shell whose child opens 3 files.

Usage (from the repository root): ``python bench/bench_storyline.py``. Prints the time to index all events and
the time per storyline for one alert in twenty calls.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "detect"))

from test_storyline_fixtures import T0, call, file_event, proc

from garrison.detect import Alert
from garrison.detect.storyline import StorylineBuilder
from garrison.model import Event, Severity


def build_events(calls: int = 20_000) -> tuple[list[Event], list[Alert]]:
    events = [proc(T0, "{srv}", None, 100, 1, "/usr/bin/python3", "python3 -m server")]
    alerts = []
    for i in range(calls):
        t = T0 + i
        events.append(call(t, str(i), "run", 50.0))
        events.append(proc(t + 0.01, f"{{sh{i}}}", "{srv}", 1000 + i, 100, "/bin/sh", f"sh -c job{i}"))
        events.append(proc(t + 0.02, f"{{c{i}}}", f"{{sh{i}}}", 50000 + i, 1000 + i, "/usr/bin/cat", f"cat f{i}"))
        events.extend(file_event(t + 0.03 + j / 100, f"{{c{i}}}", f"/data/{i}/{j}", event_id=f"f{i}-{j}")
                      for j in range(3))
        if i % 20 == 0:
            alerts.append(Alert("r", "t", Severity.HIGH, (), (), (events[-1],)))
    return events, alerts


def main() -> None:
    events, alerts = build_events()
    start = time.perf_counter()
    builder = StorylineBuilder(events)
    index = time.perf_counter() - start
    start = time.perf_counter()
    stories = [builder.build(a) for a in alerts]
    per = (time.perf_counter() - start) / len(alerts)
    assert all(s.call for s in stories)
    print(f"{len(events)} events indexed in {index:.2f} s; {len(alerts)} storylines, {per * 1000:.2f} ms each")


if __name__ == "__main__":
    main()
