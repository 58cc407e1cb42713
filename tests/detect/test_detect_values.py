"""Sigma value semantics: modifiers, wildcards, escaping, lists, nulls, keywords — through the public API."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from garrison.detect import Engine, compile_rule, parse_rule
from garrison.errors import RuleError
from garrison.model import Event, LogSource

LS = LogSource(product="windows", category="process_creation")


def _rule(detection: dict[str, Any], condition: str = "sel") -> dict[str, Any]:
    return {
        "title": "t", "id": "00000000-0000-0000-0000-000000000001", "level": "high",
        "logsource": {"product": "windows", "category": "process_creation"},
        "detection": {**detection, "condition": condition},
    }


def matches(detection: dict[str, Any], fields: dict[str, Any], condition: str = "sel", **kw: Any) -> bool:
    compiled = compile_rule(parse_rule(_rule(detection, condition), where="test.yml"), **kw)
    engine = Engine([compiled])
    return bool(engine.match(Event(0.0, LS, fields)))


@pytest.mark.parametrize(("item", "value", "expected"), [
    ({"CommandLine|contains": "SAVE hklm"}, "reg.exe save HKLM\\sam", True),
    ({"CommandLine|contains": "vssadmin"}, "wmic shadowcopy delete", False),
    ({"Image|endswith": "\\reg.exe"}, "C:\\Windows\\System32\\REG.EXE", True),
    ({"Image|endswith": "\\reg.exe"}, "C:\\Windows\\System32\\reg.exe.bak", False),
    ({"Image|startswith": "C:\\Users\\"}, "c:\\users\\x\\a.exe", True),
    ({"Image": "C:\\Windows\\System32\\reg.exe"}, "c:\\windows\\system32\\reg.exe", True),
    ({"Image": "reg.exe"}, "C:\\reg.exe", False),
    ({"CommandLine": "*save*sam*"}, "reg save hklm\\sam x", True),
    ({"CommandLine": "*sam*save*"}, "reg save hklm\\sam x", False),
    ({"CommandLine": "reg ?ave*"}, "reg save x", True),
    ({"CommandLine": "a\\*b"}, "a*b", True),
    ({"CommandLine": "a\\*b"}, "axxb", False),
    ({"CommandLine": "a\\?b"}, "axb", False),
    ({"CommandLine": "C:\\\\x"}, "C:\\x", True),
    ({"CommandLine": "C:\\x"}, "C:\\x", True),
    ({"CommandLine|contains|all": ["save", "sam"]}, "reg save hklm\\sam", True),
    ({"CommandLine|contains|all": ["save", "system"]}, "reg save hklm\\sam", False),
    ({"CommandLine|contains": ["nope", "sam"]}, "reg save hklm\\sam", True),
    ({"CommandLine|contains|cased": "SAM"}, "reg save hklm\\sam", False),
    ({"CommandLine|contains|cased": "SAM"}, "reg save hklm\\SAM", True),
    ({"CommandLine|re": "save\\s+HKLM"}, "reg save hklm", False),
    ({"CommandLine|re|i": "save\\s+HKLM"}, "reg save hklm", True),
    ({"CommandLine|re|s": "a.b"}, "a\nb", True),
    ({"CommandLine|re": "a.b"}, "a\nb", False),
    ({"CommandLine|re|m": "^b$"}, "a\nb", True),
    ({"CommandLine|re": "\\+.*\\+.*\\+"}, "a+b+c+d", True),
    ({"CommandLine|re": "\\+.*\\+.*\\+"}, "a+b+c", False),
    ({"CommandLine|contains|windash": " -enc "}, "powershell /enc AAA", True),
    ({"CommandLine|contains|windash": " -enc "}, "powershell \u2013enc AAA", True),
    ({"CommandLine|contains|windash": " -enc "}, "powershell enc AAA", False),
    ({"DestinationIp|cidr": "10.0.0.0/8"}, "10.1.2.3", True),
    ({"DestinationIp|cidr": ["10.0.0.0/8", "fd00::/8"]}, "fd00:ec2::254", True),
    ({"DestinationIp|cidr": "10.0.0.0/8"}, "11.1.2.3", False),
    ({"DestinationIp|cidr": "10.0.0.0/8"}, "not-an-ip", False),
    ({"DestinationPort|gt": 1000}, 4444, True),
    ({"DestinationPort|gt": 1000}, "80", False),
    ({"DestinationPort|lte": 80}, "80", True),
    ({"DestinationPort|gte": 81}, 80, False),
    ({"DestinationPort|lt": 81}, "x", False),
])
def test_field_modifiers(item: dict[str, Any], value: Any, expected: bool) -> None:
    field = next(iter(item)).split("|")[0]
    assert matches({"sel": item}, {field: value}) is expected


def test_base64_modifiers() -> None:
    encoded = base64.b64encode(b"prefix http://evil/ suffix").decode()
    assert matches({"sel": {"CommandLine|base64offset|contains": "http://"}}, {"CommandLine": f"x {encoded} y"})
    for shift in (b"", b"a", b"ab"):
        text = base64.b64encode(shift + b"Invoke-Mimikatz -x").decode()
        assert matches({"sel": {"CommandLine|base64offset|contains": "Invoke-Mimikatz"}}, {"CommandLine": text})
    wide = base64.b64encode("IEX (New-Object".encode("utf-16-le")).decode()
    assert matches({"sel": {"CommandLine|wide|base64offset|contains": "IEX (New"}}, {"CommandLine": wide})
    assert matches({"sel": {"CommandLine|utf16le|base64offset|contains": "IEX (New"}}, {"CommandLine": wide})
    assert not matches({"sel": {"CommandLine|base64offset|contains": "IEX (New"}}, {"CommandLine": wide})
    exact = base64.b64encode(b"whoami").decode()
    assert matches({"sel": {"CommandLine|base64": "whoami"}}, {"CommandLine": exact})


def test_exists_null_and_empty() -> None:
    assert matches({"sel": {"ParentImage|exists": True}}, {"ParentImage": "x"})
    assert not matches({"sel": {"ParentImage|exists": True}}, {"Image": "x"})
    assert matches({"sel": {"ParentImage|exists": False}}, {"Image": "x"})
    assert matches({"sel": {"ParentImage": None}}, {"Image": "x"})
    assert not matches({"sel": {"ParentImage": None}}, {"ParentImage": "x"})
    assert matches({"sel": {"ParentImage": ""}}, {"ParentImage": ""})
    assert not matches({"sel": {"ParentImage": ""}}, {"ParentImage": "x"})
    assert matches({"sel": {"ParentImage": [None, "a.exe"]}}, {"ParentImage": "A.EXE"})


def test_fieldref_and_numbers_and_booleans() -> None:
    assert matches({"sel": {"User|fieldref": "ParentUser"}}, {"User": "HOST\\a", "ParentUser": "host\\A"})
    assert not matches({"sel": {"User|fieldref": "ParentUser"}}, {"User": "a", "ParentUser": "b"})
    assert matches({"sel": {"EventID": 4688}}, {"EventID": 4688})
    assert matches({"sel": {"EventID": 4688}}, {"EventID": "4688"})
    assert matches({"sel": {"ToolFirstSeen": True}}, {"ToolFirstSeen": True})
    assert not matches({"sel": {"ToolFirstSeen": True}}, {"ToolFirstSeen": False})


def test_list_values_in_events_match_any_element() -> None:
    assert matches({"sel": {"Types": "*"}}, {"Types": ["aws"]})
    assert not matches({"sel": {"Types": "*"}}, {"Types": []})
    assert matches({"sel": {"Types|contains": "git"}}, {"Types": ["aws", "github-pat"]})


def test_nested_fields_by_dots() -> None:
    assert matches({"sel": {"requestParameters.userName": "admin"}}, {"requestParameters": {"userName": "Admin"}})


def test_expand_placeholders() -> None:
    detection = {"sel": {"Image|expand": "%admin_tools%\\x.exe"}}
    assert matches(detection, {"Image": "C:\\Tools\\x.exe"}, placeholders={"admin_tools": ["C:\\Tools"]})
    with pytest.raises(RuleError, match="placeholder %admin_tools%"):
        matches(detection, {"Image": "x"})


def test_keywords() -> None:
    assert matches({"keywords": ["mimikatz", "sekurlsa"]}, {"CommandLine": "x SEKURLSA::logonpasswords"},
                   condition="keywords")
    assert not matches({"keywords": ["mimikatz"]}, {"CommandLine": "x"}, condition="keywords")
    detection = {"sel": {"type": "EXECVE"}, "kw": {"|all": ["dd", "if="]}}
    fields = {"type": "EXECVE", "a0": "dd", "a1": "if=/dev/zero"}
    assert matches(detection, fields, condition="sel and kw")
    assert not matches(detection, {"type": "EXECVE", "a0": "dd"}, condition="sel and kw")


@pytest.mark.parametrize(("item", "message"), [
    ({"x|frobnicate": "a"}, "unsupported modifier 'frobnicate'"),
    ({"x|re": "("}, "bad regular expression"),
    ({"x|cidr": "nope"}, "bad network"),
    ({"x|gt": "ten"}, "needs numbers"),
    ({"x|exists": "yes"}, "'exists' needs true or false"),
    ({"x|base64": "a*"}, "cannot take wildcards"),
    ({"x": {"nested": 1}}, "values must be scalars"),
])
def test_bad_items_name_the_rule(item: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleError, match=re.escape(message)) as err:
        matches({"sel": item}, {"x": "a"})
    assert err.value.where == "test.yml"
