"""A server's whole surface as the model sees it, and the launch config that produced it.

Definitions keep the MCP object exactly as received (``raw``, MCP field names such as ``inputSchema``), so
snapshots round-trip and pins hash what the server actually sent. Typed accessors read from ``raw``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from garrison.model.hashing import digest

__all__ = [
    "SECRET_MASK",
    "Definition",
    "ItemKind",
    "LaunchSpec",
    "ServerSnapshot",
    "TextSite",
    "Transport",
    "iter_texts",
]

ItemKind = Literal["tool", "prompt", "resource", "resource_template"]
Transport = Literal["stdio", "http", "sse", "unknown"]
SECRET_MASK = "****"  # noqa: S105 - the mask shown instead of a secret value

# JSON Schema keywords whose values a model reads as prose or as example values.
_SCHEMA_TEXT_KEYS = ("title", "description", "default", "examples", "enum", "const", "pattern", "$comment")
_SCHEMA_NESTED_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_NESTED_ONE = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames")
_SCHEMA_NESTED_LIST = ("anyOf", "allOf", "oneOf", "prefixItems")
MAX_SCHEMA_DEPTH = 64


@dataclass(frozen=True, slots=True)
class Definition:
    """One tool, prompt, resource or resource template as the server advertised it.

    ``key`` is the stable identity within a server: the name for tools and prompts, the URI for resources and
    the URI template for templates.
    """

    kind: ItemKind
    raw: Mapping[str, Any]

    @property
    def key(self) -> str:
        if self.kind == "resource":
            return str(self.raw.get("uri", ""))
        if self.kind == "resource_template":
            return str(self.raw.get("uriTemplate", ""))
        return str(self.raw.get("name", ""))

    @property
    def name(self) -> str:
        return str(self.raw.get("name") or self.key)

    @property
    def ref(self) -> str:
        """``kind:key``, the target string used in findings and pins."""
        return f"{self.kind}:{self.key}"

    @property
    def description(self) -> str:
        value = self.raw.get("description")
        return value if isinstance(value, str) else ""

    @property
    def title(self) -> str | None:
        value = self.raw.get("title")
        return value if isinstance(value, str) else None

    @property
    def input_schema(self) -> Mapping[str, Any]:
        value = self.raw.get("inputSchema")
        return value if isinstance(value, Mapping) else {}

    @property
    def output_schema(self) -> Mapping[str, Any] | None:
        value = self.raw.get("outputSchema")
        return value if isinstance(value, Mapping) else None

    @property
    def annotations(self) -> Mapping[str, Any]:
        value = self.raw.get("annotations")
        return value if isinstance(value, Mapping) else {}

    @property
    def arguments(self) -> list[Mapping[str, Any]]:
        """Prompt arguments (``[]`` for other kinds)."""
        value = self.raw.get("arguments")
        return [a for a in value if isinstance(a, Mapping)] if isinstance(value, list) else []

    def parameters(self) -> dict[str, Mapping[str, Any]]:
        """Parameter name → its schema (tool ``inputSchema.properties`` or prompt arguments)."""
        if self.kind == "prompt":
            return {str(a.get("name", "")): a for a in self.arguments}
        props = self.input_schema.get("properties")
        if not isinstance(props, Mapping):
            return {}
        return {str(k): v if isinstance(v, Mapping) else {} for k, v in props.items()}

    @property
    def hash(self) -> str:
        return digest(dict(self.raw))


@dataclass(frozen=True, slots=True)
class TextSite:
    """A string the model reads, and where it sits (``description``, ``inputSchema.properties.x.default``)."""

    location: str
    text: str


def _schema_texts(schema: Any, path: str, depth: int) -> Iterator[TextSite]:
    if depth > MAX_SCHEMA_DEPTH or not isinstance(schema, Mapping):
        return
    for key in _SCHEMA_TEXT_KEYS:
        if key not in schema:
            continue
        yield from _value_texts(schema[key], f"{path}.{key}", depth + 1)
    for key in _SCHEMA_NESTED_MAPS:
        sub = schema.get(key)
        if isinstance(sub, Mapping):
            for name, child in sub.items():
                # A property *name* is read by the model too.
                yield TextSite(f"{path}.{key}.{name}#name", str(name))
                yield from _schema_texts(child, f"{path}.{key}.{name}", depth + 1)
    for key in _SCHEMA_NESTED_ONE:
        if key in schema:
            yield from _schema_texts(schema[key], f"{path}.{key}", depth + 1)
    for key in _SCHEMA_NESTED_LIST:
        sub = schema.get(key)
        if isinstance(sub, list):
            for i, child in enumerate(sub):
                yield from _schema_texts(child, f"{path}.{key}[{i}]", depth + 1)


def _value_texts(value: Any, path: str, depth: int) -> Iterator[TextSite]:
    if depth > MAX_SCHEMA_DEPTH:
        return
    if isinstance(value, str):
        yield TextSite(path, value)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _value_texts(item, f"{path}[{i}]", depth + 1)
    elif isinstance(value, Mapping):
        for k, item in value.items():
            yield from _value_texts(item, f"{path}.{k}", depth + 1)


def iter_texts(definition: Definition) -> Iterator[TextSite]:
    """Every string of ``definition`` that a model reads, with its location.

    Covers name, title, description, schema titles/descriptions/defaults/enums/examples (input and output),
    annotations' title, and prompt argument names and descriptions. Schema nesting deeper than
    ``MAX_SCHEMA_DEPTH`` is not followed (the depth itself is reported by the checks).
    """
    raw = definition.raw
    yield TextSite("name", definition.name)
    if definition.title:
        yield TextSite("title", definition.title)
    if definition.description:
        yield TextSite("description", definition.description)
    ann_title = definition.annotations.get("title")
    if isinstance(ann_title, str):
        yield TextSite("annotations.title", ann_title)
    if definition.kind == "tool":
        yield from _schema_texts(raw.get("inputSchema"), "inputSchema", 0)
        yield from _schema_texts(raw.get("outputSchema"), "outputSchema", 0)
    elif definition.kind == "prompt":
        for i, arg in enumerate(definition.arguments):
            name = arg.get("name")
            if isinstance(name, str):
                yield TextSite(f"arguments[{i}].name", name)
            for key in ("title", "description"):
                value = arg.get(key)
                if isinstance(value, str):
                    yield TextSite(f"arguments[{i}].{key}", value)
    else:
        for key in ("uri", "uriTemplate", "mimeType"):
            value = raw.get(key)
            if isinstance(value, str):
                yield TextSite(key, value)


@dataclass(frozen=True, slots=True)
class LaunchSpec:
    """How a client starts or reaches a server, as written in its config (never launched by discovery)."""

    name: str
    transport: Transport = "stdio"
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    client: str | None = None
    config_path: str | None = None
    scope: str | None = None
    """``user``, ``project:<dir>`` or ``workspace``: where the config entry lives."""
    disabled: bool = False

    def to_json(self, *, mask_secrets: bool = True) -> dict[str, Any]:
        """MCP-config-shaped JSON. Env and header *values* are masked unless ``mask_secrets`` is false."""
        out: dict[str, Any] = {"transport": self.transport}
        if self.command is not None:
            out["command"] = self.command
            out["args"] = list(self.args)
        if self.url is not None:
            out["url"] = self.url
        if self.env:
            out["env"] = {k: (SECRET_MASK if mask_secrets else v) for k, v in sorted(self.env.items())}
        if self.headers:
            out["headers"] = {k: (SECRET_MASK if mask_secrets else v) for k, v in sorted(self.headers.items())}
        if self.cwd is not None:
            out["cwd"] = self.cwd
        for key in ("client", "config_path", "scope"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.disabled:
            out["disabled"] = True
        return out

    @classmethod
    def from_json(cls, name: str, data: Mapping[str, Any]) -> LaunchSpec:
        given = data.get("transport") or ("stdio" if data.get("command") else "http" if data.get("url") else "unknown")
        transports: dict[str, Transport] = {"stdio": "stdio", "http": "http", "sse": "sse"}
        transport = transports.get(str(given), "unknown")
        return cls(
            name=name,
            transport=transport,
            command=data.get("command"),
            args=tuple(str(a) for a in data.get("args") or ()),
            env={str(k): str(v) for k, v in (data.get("env") or {}).items()},
            cwd=data.get("cwd"),
            url=data.get("url"),
            headers={str(k): str(v) for k, v in (data.get("headers") or {}).items()},
            client=data.get("client"),
            config_path=data.get("config_path"),
            scope=data.get("scope"),
            disabled=bool(data.get("disabled", False)),
        )

    def identity(self) -> dict[str, Any]:
        """What a pin hashes for the launch config: command, args, url, cwd, env and header *names*.

        Secret values never enter a lockfile; a changed value with the same name is not drift.
        """
        return {
            "transport": self.transport,
            "command": self.command,
            "args": list(self.args),
            "url": self.url,
            "cwd": self.cwd,
            "env": sorted(self.env),
            "headers": sorted(self.headers),
        }


@dataclass(frozen=True, slots=True)
class ServerSnapshot:
    """Everything a server exposes to a model, captured at one moment."""

    name: str
    tools: tuple[Definition, ...] = ()
    prompts: tuple[Definition, ...] = ()
    resources: tuple[Definition, ...] = ()
    resource_templates: tuple[Definition, ...] = ()
    instructions: str | None = None
    server_info: Mapping[str, Any] | None = None
    protocol_version: str | None = None
    capabilities: Mapping[str, Any] | None = None
    launch: LaunchSpec | None = None

    @property
    def definitions(self) -> tuple[Definition, ...]:
        return self.tools + self.prompts + self.resources + self.resource_templates

    def find(self, ref: str) -> Definition | None:
        """The definition whose ``ref`` (``kind:key``) is ``ref``."""
        for d in self.definitions:
            if d.ref == ref:
                return d
        return None

    def to_json(self, *, mask_secrets: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tools": [dict(d.raw) for d in self.tools],
            "prompts": [dict(d.raw) for d in self.prompts],
            "resources": [dict(d.raw) for d in self.resources],
            "resourceTemplates": [dict(d.raw) for d in self.resource_templates],
        }
        if self.instructions is not None:
            out["instructions"] = self.instructions
        if self.server_info is not None:
            out["serverInfo"] = dict(self.server_info)
        if self.protocol_version is not None:
            out["protocolVersion"] = self.protocol_version
        if self.capabilities is not None:
            out["capabilities"] = dict(self.capabilities)
        if self.launch is not None:
            out["launch"] = self.launch.to_json(mask_secrets=mask_secrets)
        return out
