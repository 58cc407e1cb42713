import sys, time
sys.path.insert(0, "tests/detect")
from test_storyline_fixtures import T0, proc, file_event, call
from garrison.detect import Alert
from garrison.detect.storyline import StorylineBuilder
from garrison.model import Severity
events = [proc(T0, "{srv}", None, 100, 1, "/usr/bin/python3", "python3 -m server")]
alerts = []
for i in range(20_000):  # 20k calls, each spawning a shell with a child that opens 3 files
    t = T0 + i
    events.append(call(t, str(i), "run", 50.0))
    events.append(proc(t + 0.01, f"{{sh{i}}}", "{srv}", 1000 + i, 100, "/bin/sh", f"sh -c job{i}"))
    events.append(proc(t + 0.02, f"{{c{i}}}", f"{{sh{i}}}", 50000 + i, 1000 + i, "/usr/bin/cat", f"cat f{i}"))
    for j in range(3):
        events.append(file_event(t + 0.03 + j / 100, f"{{c{i}}}", f"/data/{i}/{j}", event_id=f"f{i}-{j}"))
    if i % 20 == 0:
        alerts.append(Alert("r", "t", Severity.HIGH, (), (), (events[-1],)))
start = time.perf_counter(); builder = StorylineBuilder(events); index = time.perf_counter() - start
start = time.perf_counter(); stories = [builder.build(a) for a in alerts]; per = (time.perf_counter() - start) / len(alerts)
assert all(s.call for s in stories)
print(f"{len(events)} events indexed in {index:.2f} s; {len(alerts)} storylines, {per * 1000:.2f} ms each")
