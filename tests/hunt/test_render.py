"""Table and JSON-lines renderings."""

from __future__ import annotations

import orjson

from garrison.events import native_event
from garrison.hunt.render import json_lines, render, safe_text, summary, table_lines
from garrison.model import Event, LogSource

EVENT = Event(1_767_225_600.25, LogSource("windows", "process_creation"),
              {"User": "ann", "CommandLine": "cmd /c \x1b[2Jecho\u202ehi", "Image": "C:\\cmd.exe", "Empty": ""},
              "sysmon", id="ab12-1", links={"process_guid": "g1"})


def test_table_puts_telling_fields_first_and_escapes_terminal_controls() -> None:
    header, line = list(table_lines([EVENT]))
    assert header.startswith("TIME")
    assert line.startswith("2026-01-01T00:00:00.250Z ab12-1")
    assert "windows/process_creation" in line
    assert "Image=C:\\cmd.exe CommandLine=cmd /c \\x1b[2Jecho\\u202ehi User=ann" in line
    assert "\x1b" not in line
    assert "\u202e" not in line
    assert "Empty" not in line


def test_summary_is_cut_to_width() -> None:
    text = summary({"CommandLine": "x" * 500}, width=40)
    assert len(text) == 40
    assert text.endswith("…")
    assert safe_text("a\u200bb\nc") == "a\\u200bb\\x0ac"


def test_json_lines_read_back_as_garrison_events() -> None:
    (line,) = list(render([EVENT], "json"))
    assert line.endswith("\n")
    assert line.count("\n") == 1
    data = orjson.loads(line)
    assert native_event(data, where="x") == EVENT
    assert list(json_lines([])) == []
