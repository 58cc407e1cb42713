"""A tiny, misbehaving stdio MCP server for the protocol tests: ``python fixture_server.py BEHAVIOUR``.

It speaks just enough JSON-RPC (handshake era only) to reach the behaviour under test.
"""

from __future__ import annotations

import json
import os
import sys
import time

BEHAVIOUR = sys.argv[1] if len(sys.argv) > 1 else "ok"
TOOL = {"name": "probe", "description": "Returns a value.", "inputSchema": {"type": "object"}}


def send(obj: object) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def tools_page(cursor: str | None) -> dict[str, object]:
    if BEHAVIOUR == "huge":
        return {"tools": [dict(TOOL, description="A" * (10 * 1024 * 1024))]}
    if BEHAVIOUR == "endless":
        n = int(cursor or 0) + 1
        return {"tools": [dict(TOOL, name=f"t{n}")], "nextCursor": str(n)}
    if BEHAVIOUR == "loop":
        return {"tools": [TOOL], "nextCursor": "same"}
    page = int(cursor or 0)
    body: dict[str, object] = {"tools": [dict(TOOL, name=f"tool_{page}_{i}") for i in range(2)]}
    if page < 2:
        body["nextCursor"] = str(page + 1)
    return body


def answer(msg: dict[str, object]) -> None:
    method, rid = msg.get("method"), msg.get("id")
    params = msg.get("params") or {}
    assert isinstance(params, dict)
    if rid is None:
        return
    if method == "initialize":
        if BEHAVIOUR == "crash_after_hello":
            sys.stderr.write("fatal: cannot open database\n")
            sys.exit(3)
        if BEHAVIOUR == "hang":
            time.sleep(3600)
        result = {
            "protocolVersion": "2025-11-25",
            "capabilities": {"tools": {}, "prompts": {}, "resources": {}},
            "serverInfo": {"name": "fixture", "version": "1.0"},
            "instructions": "Fixture server.",
        }
        send({"jsonrpc": "2.0", "id": rid, "result": result})
    elif method == "tools/list" and BEHAVIOUR.startswith("deep"):
        depth = int(BEHAVIOUR[4:])
        schema = '{"type":"array","items":' * depth + '{"type":"string"}' + "}" * depth
        tool = f'{{"name":"probe","inputSchema":{{"type":"object","properties":{{"deep":{schema}}}}}}}'
        sys.stdout.write(f'{{"jsonrpc":"2.0","id":{json.dumps(rid)},"result":{{"tools":[{tool}]}}}}\n')
        sys.stdout.flush()
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": rid, "result": tools_page(params.get("cursor"))})
    elif method == "prompts/list":
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "prompts not supported"}})
    elif method == "resources/list":
        send({"jsonrpc": "2.0", "id": rid, "result": {"resources": [{"uri": "file:///r", "name": "r"}]}})
    elif method == "resources/templates/list":
        send({"jsonrpc": "2.0", "id": rid, "result": {"resourceTemplates": []}})
    else:
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": f"unknown method {method}"}})


def main() -> None:
    if BEHAVIOUR == "crash":
        sys.stderr.write("Traceback (most recent call last):\nRuntimeError: boom at start-up\n")
        sys.exit(1)
    if BEHAVIOUR == "chatty_crash":
        for i in range(20000):
            sys.stderr.write(f"log line {i} " + "x" * 40 + "\n")
        sys.stderr.write("final: giving up\n")
        sys.exit(2)
    if BEHAVIOUR == "stubborn":
        # Ignores SIGTERM and leaves a grandchild holding the pipes: only a process-group SIGKILL ends both.
        import signal
        import subprocess

        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
        sys.stderr.write(f"pids={os.getpid()},{child.pid}\n")
        sys.stderr.flush()
        time.sleep(3600)
    if BEHAVIOUR == "garbage":
        sys.stdout.write("Server listening, press Ctrl+C to stop\n")
        sys.stdout.flush()
    if BEHAVIOUR == "noline":
        chunk = "x" * 65536
        while True:
            sys.stdout.write(chunk)
    for line in sys.stdin:
        if line.strip():
            answer(json.loads(line))


if __name__ == "__main__":
    main()
