"""Parsed config documents → ``LaunchSpec``. Pure: values in, values out.

One tolerant reader covers every client's entry shape, because clients copy each other's formats:

- ``command`` (or Goose's ``cmd``; Zed's older ``command: {path, args, env}``), ``args``, ``cwd``
- ``env`` (Goose: ``envs``)
- ``url``, ``serverUrl`` (Windsurf), ``httpUrl`` (Gemini CLI, streamable HTTP), ``uri`` (Goose)
- ``headers``, ``http_headers`` (Codex), ``requestOptions.headers`` (Continue); Codex's
  ``env_http_headers`` and ``bearer_token_env_var`` are recorded as ``${VAR}`` references
- ``type`` / ``transport`` / ``transportType``: stdio, sse, http, streamable-http, streamableHttp,
  streamable_http, local (stdio), remote (http)
- ``disabled: true`` or ``enabled: false``
- Goose's ``config:`` sub-object; Goose's in-process extension types (builtin, platform, frontend,
  inline_python) are not external servers and are left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from garrison.errors import ConfigParseError
from garrison.model import LaunchSpec
from garrison.model.snapshot import Transport

__all__ = ["IN_PROCESS_TYPES", "entry_to_spec", "find_containers", "servers_from_document"]

IN_PROCESS_TYPES = frozenset({"builtin", "platform", "frontend", "inlinepython"})
_TRANSPORT_ALIASES: Mapping[str, Transport] = {
    "stdio": "stdio",
    "local": "stdio",
    "command": "stdio",
    "sse": "sse",
    "http": "http",
    "streamablehttp": "http",
    "streamable": "http",
    "remote": "http",
}


def _lookup(node: Any, key: str, rest: tuple[str, ...]) -> Iterator[tuple[Any, tuple[str, ...]]]:
    """Yield ``(child, remaining segments)`` for ``key``, also trying the flat dotted form of the path."""
    if not isinstance(node, Mapping):
        return
    for width in range(len(rest), 0, -1):
        flat = ".".join((key, *rest[:width]))
        if flat in node:
            yield node[flat], rest[width:]
    if key in node:
        yield node[key], rest


def find_containers(doc: Any, keys: Sequence[str], scope: str) -> Iterator[tuple[Any, str, str]]:
    """Yield ``(container, key path, scope)`` for every match of ``keys`` in ``doc``.

    A ``*`` segment walks every key of an object; the matched key names the project (``project:<key>``).
    """

    def walk(node: Any, segs: tuple[str, ...], trail: tuple[str, ...],
             scope: str) -> Iterator[tuple[Any, str, str]]:
        if not segs:
            yield node, ".".join(trail), scope
            return
        head, rest = segs[0], segs[1:]
        if head == "*":
            if isinstance(node, Mapping):
                for name, child in node.items():
                    yield from walk(child, rest, (*trail, str(name)), f"project:{name}")
            return
        for child, remaining in _lookup(node, head, rest):
            consumed = segs[: len(segs) - len(remaining)]
            yield from walk(child, remaining, (*trail, ".".join(consumed)), scope)

    yield from walk(doc, tuple(keys), (), scope)


def _str_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): "" if v is None else str(v)
            for k, v in value.items() if not isinstance(v, Mapping | list)}


def _norm(value: Any) -> str:
    return str(value).lower().replace("-", "").replace("_", "") if isinstance(value, str) else ""


def _url_transport(url: str, default: str) -> Transport:
    try:
        path = urlsplit(url).path
    except ValueError:
        path = ""
    if path.rstrip("/").endswith("/sse"):
        return "sse"
    return "sse" if default == "sse" else "http"


def entry_to_spec(
    name: str,
    entry: Mapping[str, Any],
    *,
    client: str,
    config_path: str,
    scope: str,
    url_transport: str = "http",
) -> LaunchSpec | None:
    """One server entry → ``LaunchSpec``; ``None`` for an in-process (not external) extension."""
    nested = entry.get("config")
    if isinstance(nested, Mapping) and not any(k in entry for k in ("command", "cmd", "url", "uri")):
        entry = {**nested, **{k: v for k, v in entry.items() if k in ("enabled", "disabled")}}
    declared = _norm(entry.get("type") or entry.get("transport") or entry.get("transportType"))
    if declared in IN_PROCESS_TYPES:
        return None
    command_raw = entry.get("command", entry.get("cmd"))
    args_raw = entry.get("args")
    env = _str_map(entry.get("env", entry.get("envs")))
    if isinstance(command_raw, Mapping):  # Zed's older {"command": {"path", "args", "env"}}
        args_raw = command_raw.get("args", args_raw)
        env = {**_str_map(command_raw.get("env")), **env}
        command_raw = command_raw.get("path")
    command = command_raw if isinstance(command_raw, str) and command_raw else None
    args = tuple(str(a) for a in args_raw) if isinstance(args_raw, list) else ()
    if isinstance(args_raw, str):
        args = (args_raw,)
    http_url = entry.get("httpUrl")
    url_raw = http_url or entry.get("url") or entry.get("serverUrl") or entry.get("uri")
    url = url_raw if isinstance(url_raw, str) and url_raw else None
    headers = _str_map(entry.get("headers"))
    headers.update(_str_map(entry.get("http_headers")))
    request_options = entry.get("requestOptions")
    if isinstance(request_options, Mapping):
        headers.update(_str_map(request_options.get("headers")))
    headers.update({k: f"${{{v}}}" for k, v in _str_map(entry.get("env_http_headers")).items()})
    bearer_env = entry.get("bearer_token_env_var")
    if isinstance(bearer_env, str) and bearer_env:
        headers.setdefault("Authorization", f"Bearer ${{{bearer_env}}}")
    transport: Transport
    if declared in _TRANSPORT_ALIASES:
        transport = _TRANSPORT_ALIASES[declared]
    elif command is not None:
        transport = "stdio"
    elif isinstance(http_url, str) and http_url:
        transport = "http"
    elif url is not None:
        transport = _url_transport(url, url_transport)
    else:
        transport = "unknown"
    cwd = entry.get("cwd")
    disabled = entry.get("disabled") is True or entry.get("enabled") is False
    return LaunchSpec(
        name=name,
        transport=transport,
        command=command,
        args=args,
        env=env,
        cwd=cwd if isinstance(cwd, str) and cwd else None,
        url=url,
        headers=headers,
        client=client,
        config_path=config_path,
        scope=scope,
        disabled=disabled,
    )


def _entries(container: Any, where: str) -> Iterator[tuple[str | None, Any, str]]:
    """``(name, entry, label)`` per entry; ``name`` is ``None`` for a list item without a usable name."""
    if isinstance(container, Mapping):
        for name, entry in container.items():
            yield str(name), entry, f"{where}.{name}"
    elif isinstance(container, list):
        for i, entry in enumerate(container):
            name = entry.get("name") if isinstance(entry, Mapping) else None
            yield (name if isinstance(name, str) and name else None), entry, f"{where}[{i}]"


def servers_from_document(
    doc: Any,
    *,
    client: str,
    config_path: str,
    keys: Sequence[Sequence[str]],
    scope: str = "user",
    url_transport: str = "http",
) -> tuple[list[LaunchSpec], list[ConfigParseError]]:
    """Every server under ``keys`` in ``doc``. Shape problems become errors; other entries are kept."""
    specs: list[LaunchSpec] = []
    errors: list[ConfigParseError] = []
    if doc is None:
        return specs, errors
    if not isinstance(doc, Mapping):
        errors.append(ConfigParseError("expected an object at the top level", path=config_path))
        return specs, errors
    def problem(message: str) -> None:
        errors.append(ConfigParseError(message, path=config_path))

    for key_path in keys:
        for container, where, entry_scope in find_containers(doc, key_path, scope):
            if container is not None and not isinstance(container, Mapping | list):
                problem(f"{where}: expected an object or a list of servers")
                continue
            for name, entry, label in _entries(container, where):
                if not isinstance(entry, Mapping):
                    problem(f"{label}: server entry must be an object")
                elif name is None:
                    problem(f"{label}: server entry has no 'name'")
                else:
                    spec = entry_to_spec(name, entry, client=client, config_path=config_path,
                                         scope=entry_scope, url_transport=url_transport)
                    if spec is not None:
                        specs.append(spec)
    return specs, errors
