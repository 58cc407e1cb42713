"""Snapshots over stdio: the whole surface, pagination, limits, and every way a server can fail."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from garrison.errors import ConnectError, ProtocolViolation, ServerLaunchError, ServerTimeoutError
from garrison.model import LaunchSpec
from garrison.protocol import Limits, launch_environment, snapshot_all, snapshot_server

pytestmark = pytest.mark.anyio
Spec = Callable[[str], LaunchSpec]


async def test_snapshot_follows_pages_and_records_optional_list_failures(fixture_spec: Spec) -> None:
    results = await snapshot_all([fixture_spec("ok")], timeout=20)
    (result,) = results
    assert result.status == "ok"
    snap = result.snapshot
    assert snap is not None
    assert [t.key for t in snap.tools] == [f"tool_{p}_{i}" for p in range(3) for i in range(2)]
    assert snap.tools[0].raw == {"name": "tool_0_0", "description": "Returns a value.",
                                 "inputSchema": {"type": "object"}}
    assert [r.key for r in snap.resources] == ["file:///r"]
    assert snap.prompts == ()
    assert snap.instructions == "Fixture server."
    assert snap.server_info == {"name": "fixture", "version": "1.0"}
    assert snap.protocol_version == "2025-11-25"
    assert snap.capabilities is not None
    assert "tools" in snap.capabilities
    assert snap.launch == fixture_spec("ok")
    assert result.error is not None
    assert "prompts/list failed" in result.error


async def test_missing_command_is_a_launch_error() -> None:
    spec = LaunchSpec(name="ghost", command="/nonexistent/garrison-no-such-server")
    with pytest.raises(ServerLaunchError, match=r"server 'ghost': cannot start .*No such file"):
        await snapshot_server(spec, timeout=10)


async def test_crash_names_server_and_shows_stderr(fixture_spec: Spec) -> None:
    with pytest.raises(ServerLaunchError) as info:
        await snapshot_server(fixture_spec("crash"), timeout=20)
    text = str(info.value)
    assert text.startswith("server 'fx-crash': server exited (status 1)")
    assert "RuntimeError: boom at start-up" in text


async def test_crash_mid_handshake(fixture_spec: Spec) -> None:
    with pytest.raises(ServerLaunchError, match=r"(?s)status 3\).*fatal: cannot open database"):
        await snapshot_server(fixture_spec("crash_after_hello"), timeout=20)


async def test_stderr_is_bounded_to_its_tail(fixture_spec: Spec) -> None:
    limits = Limits(max_stderr_bytes=4096)
    with pytest.raises(ServerLaunchError) as info:
        await snapshot_server(fixture_spec("chatty_crash"), timeout=20, limits=limits)
    text = str(info.value)
    assert "final: giving up" in text
    assert "log line 0 " not in text
    assert len(text) < 6000


async def test_garbage_on_stdout_is_a_protocol_violation(fixture_spec: Spec) -> None:
    with pytest.raises(ProtocolViolation, match=r"fx-garbage.*not JSON-RPC.*Server listening"):
        await snapshot_server(fixture_spec("garbage"), timeout=20)


async def test_hang_times_out_and_reports_timeout_status(fixture_spec: Spec) -> None:
    with pytest.raises(ServerTimeoutError, match=r"server 'fx-hang': no answer within 1s"):
        await snapshot_server(fixture_spec("hang"), timeout=1)
    (result,) = await snapshot_all([fixture_spec("hang")], timeout=1)
    assert result.status == "timeout"
    assert result.snapshot is None


async def test_ten_megabyte_description_hits_the_message_limit(fixture_spec: Spec) -> None:
    with pytest.raises(ProtocolViolation, match=r"fx-huge.*exceeds the 4194304-byte limit"):
        await snapshot_server(fixture_spec("huge"), timeout=20)


async def test_a_line_without_end_is_cut_off(fixture_spec: Spec) -> None:
    limits = Limits(max_message_bytes=1024 * 1024)
    with pytest.raises(ProtocolViolation, match="exceeds the 1048576-byte limit"):
        await snapshot_server(fixture_spec("noline"), timeout=20, limits=limits)


async def test_nesting_beyond_max_depth_is_rejected(fixture_spec: Spec) -> None:
    with pytest.raises(ProtocolViolation, match=r"tool 'probe' is nested deeper than 20 levels"):
        await snapshot_server(fixture_spec("deep30"), timeout=20, limits=Limits(max_depth=20))
    snap = await snapshot_server(fixture_spec("deep30"), timeout=20)
    assert snap.tools[0].key == "probe"


async def test_nesting_beyond_the_parser_is_rejected(fixture_spec: Spec) -> None:
    with pytest.raises(ProtocolViolation, match="not JSON-RPC"):
        await snapshot_server(fixture_spec("deep5000"), timeout=20)


async def test_endless_pagination_stops_at_the_page_cap(fixture_spec: Spec) -> None:
    with pytest.raises(ProtocolViolation, match=r"more than 5 pages \(max_pages\)"):
        await snapshot_server(fixture_spec("endless"), timeout=20, limits=Limits(max_pages=5))
    with pytest.raises(ProtocolViolation, match="repeats cursor 'same'"):
        await snapshot_server(fixture_spec("loop"), timeout=20)


async def test_item_cap(fixture_spec: Spec) -> None:
    with pytest.raises(ProtocolViolation, match=r"more than 3 tool definitions"):
        await snapshot_server(fixture_spec("ok"), timeout=20, limits=Limits(max_items=3))


async def test_all_servers_run_and_failures_stay_per_server(fixture_spec: Spec) -> None:
    disabled = LaunchSpec(name="off", command="/nonexistent", disabled=True)
    specs = [fixture_spec("ok"), fixture_spec("crash"), disabled, fixture_spec("hang"),
             fixture_spec("garbage")]
    results = await snapshot_all(specs, timeout=3, concurrency=4)
    assert [(r.name, r.status) for r in results] == [
        ("fx-ok", "ok"), ("fx-crash", "error"), ("off", "skipped"), ("fx-hang", "timeout"),
        ("fx-garbage", "error"),
    ]
    assert all(r.launch is s for r, s in zip(results, specs, strict=True))
    assert all(r.elapsed is not None for r in results if r.status != "skipped")


async def test_error_names_the_config_file() -> None:
    spec = LaunchSpec(name="x", command="/nonexistent/garrison-x", config_path="/home/u/.cursor/mcp.json")
    with pytest.raises(ConnectError, match=r"^/home/u/.cursor/mcp.json: server 'x': "):
        await snapshot_server(spec, timeout=10)


async def test_child_sees_only_config_env_and_the_safe_set(tmp_path: object) -> None:
    code = "import json,os,sys; sys.stderr.write(json.dumps(dict(os.environ))); sys.exit(1)"
    spec = LaunchSpec(name="env", command=sys.executable, args=("-c", code), env={"API_TOKEN": "t0k"})
    environ = {"PATH": "/usr/bin:/bin", "HOME": "/home/u", "AWS_SECRET_ACCESS_KEY": "leak",
               "TERM": "() { :; }"}
    with pytest.raises(ServerLaunchError) as info:
        await snapshot_server(spec, timeout=10, environ=environ)
    text = str(info.value)
    assert '"API_TOKEN": "t0k"' in text
    assert '"HOME": "/home/u"' in text
    assert "AWS_SECRET_ACCESS_KEY" not in text
    assert "TERM" not in text


def test_launch_environment_is_config_over_safe_set() -> None:
    environ = {"PATH": "/bin", "USER": "u", "SSH_AUTH_SOCK": "/tmp/agent", "SHELL": "() { evil; }"}
    assert launch_environment({"PATH": "/opt/bin", "KEY": "v"}, environ) == {
        "PATH": "/opt/bin", "USER": "u", "KEY": "v",
    }


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to inspect processes")
async def test_timeout_kills_the_whole_process_group(fixture_spec: Spec) -> None:
    with pytest.raises(ServerTimeoutError) as info:
        await snapshot_server(fixture_spec("stubborn"), timeout=1)
    found = re.search(r"pids=(\d+),(\d+)", str(info.value))
    assert found is not None
    assert not _alive(int(found.group(1)))
    assert not _alive(int(found.group(2)))
