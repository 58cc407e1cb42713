"""The hunting query language: what each form means, and errors that point at the column."""

from __future__ import annotations

import pytest

from garrison.errors import UsageError
from garrison.hunt import QuerySyntaxError, hunt_query, parse_query
from garrison.hunt.parse import MAX_DEPTH, MAX_QUERY_LENGTH
from garrison.store.events import And, EventQuery, Match, Not, Or, Text


@pytest.mark.parametrize(("text", "expected"), [
    ("Image:*\\reg.exe", Match("Image", "like", "*\\reg.exe")),
    ('CommandLine~"save hklm"', Match("CommandLine", "contains", "save hklm")),
    ("DestinationIp=169.254.169.254", Match("DestinationIp", "equals", "169.254.169.254")),
    ("product:windows category:process_creation",
     And((Match("product", "like", "windows"), Match("category", "like", "process_creation")))),
    ("a:1 AND b:2 OR c:3", Or((And((Match("a", "like", "1"), Match("b", "like", "2"))), Match("c", "like", "3")))),
    ("a:1 AND (b:2 OR c:3)", And((Match("a", "like", "1"), Or((Match("b", "like", "2"), Match("c", "like", "3")))))),
    ("NOT NOT a:1", Not(Not(Match("a", "like", "1")))),
    ("mimikatz", Text("mimikatz")),
    ('"two words" NOT x', And((Text("two words"), Not(Text("x"))))),
    ('msg="say \\"hi\\" C:\\temp"', Match("msg", "equals", 'say "hi" C:\\temp')),
    ("and or not", And((Text("and"), Text("or"), Text("not")))),
    ("links.call_id=7 fields.source:x", And((Match("links.call_id", "equals", "7"),
                                             Match("fields.source", "like", "x")))),
    ("requestParameters.userName:admin", Match("requestParameters.userName", "like", "admin")),
    ("(x)", Text("x")),
    ("latency_ms>500 result_bytes<=1e6", And((Match("latency_ms", "gt", "500"), Match("result_bytes", "le", "1e6")))),
    ("Port>=1024 OR Port<-1", Or((Match("Port", "ge", "1024"), Match("Port", "lt", "-1")))),
    ("http://host/path", Match("http", "like", "//host/path")),
    ('"http://host/path"', Text("http://host/path")),
])
def test_forms(text: str, expected: object) -> None:
    assert parse_query(text) == expected


@pytest.mark.parametrize(("text", "column", "message"), [
    ("", 1, "empty query"),
    ("   ", 1, "empty query"),
    ('CommandLine~"save hklm', 13, "unclosed quote"),
    ("Image: foo", 7, "expected a value after 'Image:'"),
    ("a:1 AND", 8, "expected a term after AND"),
    ("a:1 OR OR b:2", 8, "expected a term, found OR"),
    ("(a:1", 5, "expected ')' to close the '(' at column 1"),
    ("a:1)", 4, "unmatched ')'"),
    ("()", 2, "expected a term, found ')'"),
    ('a:1 ""', 5, "empty quoted text"),
    ("NOT", 4, "expected a term after NOT"),
    ("latency_ms>slow", 12, "expected a number after 'latency_ms>'"),
    ("n<=nan", 4, "expected a number after 'n<='"),
])
def test_errors_name_the_column(text: str, column: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as err:
        parse_query(text)
    assert err.value.column == column
    assert message in str(err.value)
    assert str(err.value).startswith(f"query column {column}: ")
    assert str(err.value).endswith("\n  " + " " * (column - 1) + "^")
    assert isinstance(err.value, UsageError)
    assert err.value.exit_code == 2


def test_limits_on_length_and_depth() -> None:
    with pytest.raises(QuerySyntaxError, match="longer than"):
        parse_query("x" * (MAX_QUERY_LENGTH + 1))
    deep = "(" * (MAX_DEPTH + 2) + "x" + ")" * (MAX_DEPTH + 2)
    with pytest.raises(QuerySyntaxError, match="nested deeper"):
        parse_query(deep)
    assert parse_query("(" * 10 + "x" + ")" * 10) == Text("x")


def test_hunt_query_carries_the_window() -> None:
    assert hunt_query("x", since=1.0, until=2.0, limit=5, order="desc") == EventQuery(
        since=1.0, until=2.0, where=Text("x"), limit=5, order="desc")


@pytest.mark.parametrize(("query", "value", "hit"), [
    ("Image:*\\reg.exe", "C:\\Windows\\System32\\REG.EXE", True),
    ("Image:*\\\\reg.exe", "C:\\Windows\\System32\\reg.exe", True),
    ("Image:C:\\Windows\\*", "C:\\Windows\\notepad.exe", False),
    ("Image:C:\\Windows\\*", "C:\\Windows*", True),
    ("Image:C:\\Windows\\\\*", "C:\\Windows\\notepad.exe", True),
    ("Image:note?ad.exe", "notepad.exe", True),
    ("Image:note?ad.exe", "noteXXpad.exe", False),
    ("Image=notepad.exe", "NOTEPAD.EXE", False),
    ("Image~PAD", "notepad.exe", True),
    ("Image>10", "12.5", True),
    ("Image>10", "9", False),
    ("Image<=10", "ten", False),
])
def test_documented_matching(query: str, value: str, hit: bool) -> None:
    from garrison.model import Event, LogSource
    from garrison.store.events import compile_filter

    assert compile_filter(parse_query(query))(Event(0.0, LogSource(), {"Image": value})) is hit
