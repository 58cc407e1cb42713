"""Event.to_json / Event.from_json: one JSON form for every producer and reader of event lines."""

from __future__ import annotations

import math
from typing import Any

import orjson
import pytest

from garrison.detect.engine import event_to_json
from garrison.gateway.event_log import event_json
from garrison.model import Event, LogSource
from garrison.store.events import event_to_dict

CALL = Event(1767225600.25, LogSource("mcp", "tool_call"), {"tool": "read_file", "args": {"path": "/etc/hosts"}},
             "garrison.wrap", "3f2a-17", {"server": "fs", "call_id": "9"})
BARE = Event(5.0, LogSource(category="process_creation"), {"Image": "/bin/sh"})


def test_to_json_carries_every_key_and_only_the_logsource_parts_set() -> None:
    assert CALL.to_json() == {
        "time": 1767225600.25, "logsource": {"product": "mcp", "category": "tool_call"},
        "fields": {"tool": "read_file", "args": {"path": "/etc/hosts"}}, "source": "garrison.wrap",
        "id": "3f2a-17", "links": {"server": "fs", "call_id": "9"}}
    assert BARE.to_json() == {"time": 5.0, "logsource": {"category": "process_creation"},
                              "fields": {"Image": "/bin/sh"}, "source": "garrison", "id": None, "links": {}}


@pytest.mark.parametrize("event", [CALL, BARE])
def test_round_trip_through_json_text(event: Event) -> None:
    assert Event.from_json(orjson.loads(orjson.dumps(event.to_json()))) == event


@pytest.mark.parametrize("event", [CALL, BARE])
def test_the_gateway_log_alerts_and_the_store_write_the_same_form(event: Event) -> None:
    assert event_json(event) == event_to_json(event) == event_to_dict(event) == event.to_json()


def test_from_json_fills_defaults() -> None:
    event = Event.from_json({"time": 3, "logsource": {"product": "linux", "service": None}, "fields": {}})
    assert event == Event(3.0, LogSource("linux"), {}, "garrison", None, {})
    assert isinstance(event.time, float)


@pytest.mark.parametrize(("record", "message"), [
    ({"logsource": {}, "fields": {}}, "'time'"),
    ({"time": math.inf, "logsource": {}, "fields": {}}, "'time'"),
    ({"time": True, "logsource": {}, "fields": {}}, "'time'"),
    ({"time": 1, "fields": {}}, "'logsource'"),
    ({"time": 1, "logsource": {}, "fields": []}, "'fields'"),
    ({"time": 1, "logsource": {"product": 7}, "fields": {}}, "'logsource.product'"),
    ({"time": 1, "logsource": {}, "fields": {}, "source": None}, "'source'"),
    ({"time": 1, "logsource": {}, "fields": {}, "id": 12}, "'id'"),
    ({"time": 1, "logsource": {}, "fields": {}, "links": {"server": 1}}, "'links'"),
])
def test_from_json_names_the_first_wrong_key(record: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Event.from_json(record)


def test_from_json_refuses_what_is_not_an_object() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        Event.from_json([1, 2])  # type: ignore[arg-type]
