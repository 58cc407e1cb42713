"""Risky launch configs: how a client starts or reaches a server (G7xx). Every finding targets ``launch``.

- ``G701 unpinned-package``   ``npx``/``bunx``/``pnpm dlx``/``uvx``/``pipx run`` without an exact version, or
  ``@latest``; ``docker``/``podman run`` of an image without a tag or digest, or ``:latest``. Whoever
  publishes the next version runs code on this machine at the next start.
- ``G702 plaintext-remote``   an ``http://``/``ws://`` URL to a host other than this machine.
- ``G703 inline-secret``      a credential written into the config (args, URL userinfo or query, env or header
  values) instead of a ``${VAR}`` reference. Evidence is masked: only the first characters are shown.
- ``G704 overbroad-access``   arguments that grant everything: the filesystem root or home directory, ``*``,
  ``--allow-all``, ``--no-sandbox``, ``--privileged``, mounting ``/`` into a container.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar
from urllib.parse import parse_qsl, urlsplit

from garrison.model import CheckInfo, Evidence, Finding, LaunchSpec, Severity
from garrison.scanner.checks.interface import ScanContext

__all__ = ["CHECK", "LaunchConfigCheck", "mask"]

UNPINNED = CheckInfo(
    id="G701", slug="unpinned-package", title="Server package or image is not pinned to a version",
    severity=Severity.MEDIUM,
    remediation="Pin an exact version (npx -y pkg@1.2.3, uvx pkg==1.2.3, image@sha256:...) and update it on "
    "purpose.",
    techniques=("T1195.002",),
)
PLAINTEXT = CheckInfo(
    id="G702", slug="plaintext-remote", title="Remote server is reached over plain HTTP",
    severity=Severity.MEDIUM,
    remediation="Use https:// (or wss://); plain HTTP lets anyone on the path read and change the traffic.",
    techniques=("T1557",),
)
INLINE_SECRET = CheckInfo(
    id="G703", slug="inline-secret", title="Credential written inline in the launch config",
    severity=Severity.HIGH,
    remediation="Move the value to the environment or a secret store and reference it as ${VAR}; rotate the "
    "exposed credential.",
    techniques=("T1552.001",),
)
OVERBROAD = CheckInfo(
    id="G704", slug="overbroad-access", title="Server is launched with over-broad access",
    severity=Severity.MEDIUM,
    remediation="Grant only the directories and permissions the server needs.",
    techniques=("T1068",),
)

_NODE_RUNNERS = frozenset({"npx", "bunx", "pnpx"})
_NODE_EXEC = frozenset({"npm", "pnpm", "yarn", "bun"})
_PY_RUNNERS = frozenset({"uvx"})
_CONTAINER = frozenset({"docker", "podman", "nerdctl"})
_DOCKER_VALUE_FLAGS = frozenset(
    "-e -v -p -w -u -l -m -h --name --env --volume --publish --workdir --user --label --memory --network "
    "--net --mount --entrypoint --platform --env-file --cpus --add-host --hostname --device --cap-add "
    "--cap-drop --security-opt --pull --restart --log-driver --ulimit --tmpfs --dns --gpus --ipc --pid "
    "--runtime --shm-size --stop-signal --userns --uts --volumes-from --label-file --cidfile "
    "--group-add".split()
)
_EXACT_VERSION = re.compile(r"^v?\d+(?:\.\d+)*(?:[-+][0-9A-Za-z.\-]+)?$")
_SECRET_NAME = re.compile(
    r"(?:^|[_\-.])(?:api[_\-]?key|apikey|key|token|secret|password|passwd|pwd|pass|auth|authorization|"
    r"credentials?|private[_\-]?key|access[_\-]?key|client[_\-]?secret|cookie|session|bearer|sig)(?:$|[_\-.])",
    re.I,
)
_KNOWN_SECRET = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_\-]{20,}|"
    r"sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{20,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|xox[abposr]-[A-Za-z0-9\-]{10,}|"
    r"xapp-[A-Za-z0-9\-]{10,}|(?:AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_\-]{35}|hf_[A-Za-z0-9]{30,}|"
    r"npm_[A-Za-z0-9]{36}|pypi-[A-Za-z0-9_\-]{50,}|shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}|SG\.[\w\-]{20,}\.[\w\-]{20,}|"
    r"dop_v1_[a-f0-9]{64}|lin_api_[A-Za-z0-9]{30,}|ntn_[A-Za-z0-9]{30,}|"
    r"eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,})"
)
_REFERENCE = re.compile(r"^\$\{?[A-Za-z_][\w:.\-]*\}?$|^\{\{.*\}\}$|^<.*>$|^%[A-Za-z_]\w*%$")
_PLACEHOLDER = re.compile(
    r"^(?:x+|\*+|\.+|-+|your[\w\-]*|changeme|change[_\-]me|example[\w\-]*|dummy|test|none|null|true|false|"
    r"placeholder|redacted|secret|token|password|api[_\-]?key|xxx.*|.*here|todo|tbd)$",
    re.I,
)
_URL = re.compile(r"^(?:https?|wss?)://", re.I)
_LOOPBACK_NAMES = frozenset({"localhost", "host.docker.internal", "ip6-localhost"})
_ROOTS = frozenset({"/", "//", "~", "~/", "$HOME", "${HOME}", "$HOME/", "${HOME}/", "%USERPROFILE%", "*",
                    "/*", "C:\\", "C:/", "C:", "/home", "/Users", "\\"})
_BROAD_FLAGS = frozenset({"--allow-all", "--no-sandbox", "--disable-sandbox", "--privileged",
                          "--allow-all-paths", "--allow-all-hosts", "--unrestricted", "--yolo"})
_HIGH_FLAGS = frozenset({"--privileged"})


def mask(value: str) -> str:
    """Show at most the first four characters of a secret (none of a short one)."""
    return (value[:4] if len(value) >= 12 else "") + "****"


def looks_secret(name: str, value: str) -> bool:
    """``value`` (stored under ``name``) is a literal credential, not a reference or a placeholder."""
    value = value.strip()
    if not value or _REFERENCE.match(value) or _PLACEHOLDER.match(value):
        return False
    if _KNOWN_SECRET.search(value):
        return True
    if not _SECRET_NAME.search(name):
        return False
    if value.lower().startswith(("bearer ", "basic ", "token ")):
        value = value.split(None, 1)[1] if " " in value else ""
        return bool(value) and not _REFERENCE.match(value) and not _PLACEHOLDER.match(value)
    if len(value) < 8 or " " in value or value.startswith(("/", "./", "~", "http://", "https://")):
        return False
    if value.isdigit() or len(set(value)) < 4:
        return False
    return any(c.isdigit() for c in value) or any(c.isupper() for c in value) or len(value) >= 16


class _Argv(list[str]):
    """The effective command line; ``where(i)`` names ``argv[i]`` in the config (``args[3]``/``command``)."""

    def __init__(self, items: Iterable[str], in_args: bool, shift: int) -> None:
        super().__init__(items)
        self.in_args = in_args
        self.shift = shift

    def where(self, i: int) -> str:
        return f"args[{i - 1 + self.shift}]" if self.in_args else "command"


def _argv(spec: LaunchSpec) -> _Argv:
    if not spec.command:
        return _Argv([], bool(spec.args), 0)
    argv = [spec.command, *spec.args]
    if not spec.args and spec.command and " " in spec.command.strip():
        try:
            argv = shlex.split(spec.command)
        except ValueError:
            argv = spec.command.split()
    if _base(argv[0]) == "cmd" and len(argv) > 2 and argv[1].lower() == "/c":
        return _Argv(argv[2:], bool(spec.args), 2)
    return _Argv(argv, bool(spec.args), 0)


def _base(command: str) -> str:
    name = re.split(r"[\\/]", command)[-1].lower()
    return name.removesuffix(".exe").removesuffix(".cmd")


def _first_operand(args: Sequence[str], value_flags: Iterable[str] = ()) -> tuple[int, str] | None:
    takes_value = frozenset(value_flags)
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            skip = arg in takes_value
            continue
        return i, arg
    return None


def _node_unpinned(spec: str) -> str | None:
    if spec.startswith((".", "/", "file:", "~")) or re.match(r"^[A-Za-z]:[\\/]", spec):
        return None
    at = spec.find("@", 1)
    if at < 0:
        return "no version"
    version = spec[at + 1:]
    return None if _EXACT_VERSION.match(version) else f"version {version!r} is not exact"


def _py_unpinned(spec: str) -> str | None:
    if spec.startswith((".", "/", "~", "git+", "file:")):
        return None if "@" in spec.split("/")[-1] else "no commit" if spec.startswith("git+") else None
    for sep in ("==", "@"):
        if sep in spec:
            version = spec.split(sep, 1)[1]
            return None if _EXACT_VERSION.match(version) else f"version {version!r} is not exact"
    return "no version"


def _image_unpinned(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "no tag or digest"
    return "tag 'latest'" if last.rsplit(":", 1)[1] == "latest" else None


def _unpinned(argv: Sequence[str]) -> tuple[int, str, str] | None:
    """(argument index, package, why) for the first unpinned package launch."""
    if not argv:
        return None
    cmd, rest = _base(argv[0]), list(argv[1:])
    offset = 1
    if cmd in _NODE_EXEC and rest[:1] and rest[0] in ("exec", "dlx", "x"):
        cmd, rest, offset = "npx", rest[1:], 2
    if cmd == "uv" and rest[:2] == ["tool", "run"]:
        cmd, rest, offset = "uvx", rest[2:], 3
    if cmd == "pipx" and rest[:1] == ["run"]:
        cmd, rest, offset = "uvx", rest[1:], 2
    if cmd in _NODE_RUNNERS:
        for i, arg in enumerate(rest[:-1]):
            if arg in ("-p", "--package"):
                why = _node_unpinned(rest[i + 1])
                return (offset + i + 1, rest[i + 1], why) if why else None
        found = _first_operand(rest, ("--registry", "--cache", "-c", "--call"))
        if found and (why := _node_unpinned(found[1])):
            return offset + found[0], found[1], why
    elif cmd in _PY_RUNNERS:
        for i, arg in enumerate(rest[:-1]):
            if arg == "--from":
                why = _py_unpinned(rest[i + 1])
                return (offset + i + 1, rest[i + 1], why) if why else None
        found = _first_operand(rest, ("--with", "--python", "-p", "--index-url", "--index", "--spec"))
        if found and (why := _py_unpinned(found[1])):
            return offset + found[0], found[1], why
    elif cmd in _CONTAINER and rest[:1] == ["run"]:
        found = _first_operand(rest[1:], _DOCKER_VALUE_FLAGS)
        if found and (why := _image_unpinned(found[1])):
            return offset + 1 + found[0], found[1], why
    return None


def _remote(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return False
    try:
        address = ipaddress.ip_address(host)
        return not (address.is_loopback or address.is_unspecified)
    except ValueError:
        return bool(host)


def _url_secrets(url: str) -> Iterator[str]:
    parts = urlsplit(url)
    if parts.password:
        yield f"password in {parts.scheme}://{parts.username}:{mask(parts.password)}@{parts.hostname}"
    for key, value in parse_qsl(parts.query, keep_blank_values=False):
        if looks_secret(key, value):
            yield f"query {key}={mask(value)}"


class LaunchConfigCheck:
    infos: ClassVar[tuple[CheckInfo, ...]] = (UNPINNED, PLAINTEXT, INLINE_SECRET, OVERBROAD)

    def run(self, ctx: ScanContext) -> Iterable[Finding]:
        for server in ctx.servers:
            if server.launch is not None:
                yield from self._launch(server.name, server.launch)

    def _launch(self, name: str, spec: LaunchSpec) -> Iterator[Finding]:
        argv = _argv(spec)
        unpinned = _unpinned(argv)
        if unpinned:
            index, package, why = unpinned
            yield UNPINNED.finding(
                server=name, target="launch", location=argv.where(index),
                message=f"{_base(argv[0])} runs {package!r} with {why}: every start may fetch new code",
                evidence=Evidence(package),
            )
        yield from self._urls(name, spec, argv)
        yield from self._secrets(name, spec, argv)
        yield from self._broad(name, spec, argv)

    @staticmethod
    def _urls(name: str, spec: LaunchSpec, argv: _Argv) -> Iterator[Finding]:
        urls = [("url", spec.url)] if spec.url else []
        urls += [(argv.where(i), a) for i, a in enumerate(argv) if i and _URL.match(a)]
        for location, url in urls:
            if url.lower().startswith(("http://", "ws://")) and _remote(url):
                exposed = bool(spec.headers) or bool(urlsplit(url).password)
                yield PLAINTEXT.finding(
                    server=name, target="launch", location=location,
                    message=f"{urlsplit(url).hostname} is reached without TLS"
                    + (" and credentials are sent in the clear" if exposed else ""),
                    evidence=Evidence(f"{urlsplit(url).scheme}://{urlsplit(url).hostname}"),
                    severity=Severity.HIGH if exposed else None,
                )

    @staticmethod
    def _secrets(name: str, spec: LaunchSpec, argv: _Argv) -> Iterator[Finding]:
        hits: list[tuple[str, str]] = []
        for key, value in sorted(spec.env.items()):
            if looks_secret(key, value):
                hits.append((f"env.{key}", f"{key}={mask(value)}"))
        for key, value in sorted(spec.headers.items()):
            if looks_secret(key, value):
                hits.append((f"headers.{key}", f"{key}: {mask(value)}"))
        if spec.url:
            hits.extend(("url", shown) for shown in _url_secrets(spec.url))
        for i, arg in enumerate(argv[1:], 1):
            where = argv.where(i)
            flag, eq, value = arg.partition("=")
            previous = argv[i - 1] if i > 1 else ""
            if _URL.match(arg):
                hits.extend((where, shown) for shown in _url_secrets(arg))
            elif eq and looks_secret(flag.lstrip("-"), value):
                hits.append((where, f"{flag}={mask(value)}"))
            elif previous.startswith("-") and "=" not in previous and looks_secret(previous.lstrip("-"), arg):
                hits.append((where, f"{previous} {mask(arg)}"))
            elif not eq and _KNOWN_SECRET.search(arg):
                hits.append((where, mask(arg)))
        for location, shown in hits:
            yield INLINE_SECRET.finding(
                server=name, target="launch", location=location,
                message=f"a credential is written inline ({shown}); reference it as ${{VAR}} instead",
                evidence=Evidence(shown),
            )

    @staticmethod
    def _broad(name: str, spec: LaunchSpec, argv: _Argv) -> Iterator[Finding]:
        for i in range(1, len(argv)):
            found = _broad_reason(argv, i)
            if found:
                why, severity = found
                yield OVERBROAD.finding(
                    server=name, target="launch", location=argv.where(i),
                    message=why, evidence=Evidence(argv[i]), severity=severity,
                )


def _broad_reason(argv: Sequence[str], i: int) -> tuple[str, Severity | None] | None:
    """Why ``argv[i]`` grants too much, and the severity if not the rule's default."""
    arg, program = argv[i], _base(argv[0])
    flag = arg.split("=", 1)[0]
    container = program in _CONTAINER
    if arg in _ROOTS:
        return f"grants access to {arg!r}", None
    if flag in _BROAD_FLAGS or flag.startswith("--dangerously"):
        return f"{flag} removes a protection", Severity.HIGH if flag in _HIGH_FLAGS else None
    if program == "deno" and arg == "-A":
        return "-A grants every permission", None
    if container and re.match(r"^/:", arg.removeprefix("--volume=").removeprefix("-v=")):
        return "mounts the host root filesystem", Severity.HIGH
    host_ns = arg in ("--network=host", "--net=host", "--pid=host") or (
        flag in ("--network", "--net", "--pid") and list(argv[i + 1:i + 2]) == ["host"]
    )
    if container and host_ns:
        return "shares the host namespace", None
    return None


CHECK = LaunchConfigCheck()
