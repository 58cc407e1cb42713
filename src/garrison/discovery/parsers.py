"""Config text → value, for JSON, JSON with comments, TOML and YAML. Pure: text in, value out.

Every syntax error becomes ``ConfigParseError(path, line, column)``. The JSONC reader blanks comments and
trailing commas with spaces (newlines kept), so the positions the JSON parser reports are those of the
original text.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from garrison.errors import ConfigParseError

__all__ = ["format_for_path", "parse_config_text", "strip_jsonc"]

_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


def strip_jsonc(text: str) -> str:
    """Blank ``//`` and ``/* */`` comments and trailing commas; strings are left untouched.

    The result has the same length and the same line breaks as ``text``. An unterminated block comment is
    blanked to the end (the JSON parser then reports what is missing).
    """
    out = list(text)
    n = len(text)
    i = 0
    last_comma = -1  # index of a comma not yet followed by a significant character
    while i < n:
        ch = text[i]
        if ch == '"':
            last_comma = -1
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\":
                    i += 1
                elif text[i] == "\n":
                    break
                i += 1
            i += 1
        elif ch == "/" and i + 1 < n and text[i + 1] == "/":
            while i < n and text[i] != "\n":
                out[i] = " "
                i += 1
        elif ch == "/" and i + 1 < n and text[i + 1] == "*":
            end = text.find("*/", i + 2)
            stop = n if end < 0 else end + 2
            for j in range(i, stop):
                if text[j] not in "\r\n":
                    out[j] = " "
            i = stop
        elif ch == ",":
            last_comma = i
            i += 1
        elif ch in "}]":
            if last_comma >= 0:
                out[last_comma] = " "
            last_comma = -1
            i += 1
        else:
            if not ch.isspace():
                last_comma = -1
            i += 1
    return "".join(out)


def _json(text: str, path: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigParseError(f"invalid JSON: {err.msg}", path=path, line=err.lineno,
                               column=err.colno) from None
    except RecursionError:
        raise ConfigParseError("JSON nested too deeply", path=path) from None


def _toml(text: str, path: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        pos = _TOML_POS.search(message)
        line, column = (int(pos.group(1)), int(pos.group(2))) if pos else (None, None)
        message = _TOML_POS.sub("", message).strip()
        raise ConfigParseError(f"invalid TOML: {message}", path=path, line=line, column=column) from None
    except RecursionError:
        raise ConfigParseError("TOML nested too deeply", path=path) from None


def _yaml(text: str, path: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        problem = err.problem or err.context or "syntax error"
        raise ConfigParseError(f"invalid YAML: {problem}", path=path, line=line, column=column) from None
    except yaml.YAMLError as err:
        raise ConfigParseError(f"invalid YAML: {err}", path=path) from None
    except RecursionError:
        raise ConfigParseError("YAML nested too deeply", path=path) from None


def format_for_path(path: str, declared: str) -> str:
    """The format to read ``path`` with: ``declared``, or by extension when ``declared`` is ``auto``."""
    if declared != "auto":
        return declared
    lower = path.lower()
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    if lower.endswith(".toml"):
        return "toml"
    return "jsonc"


def parse_config_text(text: str, *, fmt: str, path: str) -> Any:
    """Parse ``text`` as ``fmt`` (json, jsonc, toml, yaml). ``path`` is named in every error.

    A leading byte-order mark is ignored. An empty JSON/JSONC file is an error; an empty YAML file is
    ``None``.
    """
    text = text.removeprefix("\ufeff")
    if fmt == "json":
        return _json(text, path)
    if fmt == "jsonc":
        return _json(strip_jsonc(text), path)
    if fmt == "toml":
        return _toml(text, path)
    if fmt == "yaml":
        return _yaml(text, path)
    raise ValueError(f"unknown config format {fmt!r}")
