"""The interceptor chain and the shipped interceptors, driven in memory (values in, values out)."""

from __future__ import annotations

from typing import Any

import pytest

from garrison.gateway.denylist import DenyList
from garrison.gateway.interceptors import (
    PASS,
    BaseInterceptor,
    Decision,
    Exchange,
    InterceptorChain,
    SessionState,
)
from garrison.gateway.messages import INTERNAL_ERROR, REQUEST_DENIED, Message
from garrison.gateway.records import CallRecorder, argument_shape, record_of
from garrison.gateway.sanitise import ToolListSanitiser, strip_invisible
from garrison.model import Event

SESSION = SessionState(server="files")


def request(method: str, params: dict[str, Any] | None = None, msg_id: int = 1, at: float = 100.0) -> Message:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not None:
        body["params"] = params
    return Message(body, raw=b"original", at=at)


def response(result: dict[str, Any], msg_id: int = 1, at: float = 100.25) -> Message:
    return Message({"jsonrpc": "2.0", "id": msg_id, "result": result}, raw=b"original", at=at)


def call(name: str, **arguments: Any) -> Message:
    return request("tools/call", {"name": name, "arguments": arguments})


class Tagger(BaseInterceptor):
    def __init__(self, tag: str) -> None:
        self.name = tag
        self.seen: list[Any] = []

    def on_client_request(self, msg: Message, session: SessionState) -> Decision:
        self.seen.append(msg.params.get("tags"))
        params = {**msg.params, "tags": [*msg.params.get("tags", []), self.name]}
        return Decision.rewrite({**msg.body, "params": params}, f"tagged {self.name}")


class Broken(BaseInterceptor):
    name = "broken"

    def on_client_request(self, msg: Message, session: SessionState) -> Decision:
        raise RuntimeError("boom")

    def on_server_response(self, request: Message, response: Message, session: SessionState) -> Decision:
        raise RuntimeError("bang")

    def on_server_notification(self, msg: Message, session: SessionState) -> Decision:
        raise RuntimeError("pop")


def test_pass_forwards_the_original_message_untouched() -> None:
    msg = call("echo", text="hi")
    verdict = InterceptorChain([BaseInterceptor()]).client_request(msg, SESSION)
    assert verdict.forward is msg
    assert verdict.reply is None
    assert verdict.decisions == ()


def test_rewrites_chain_in_order() -> None:
    first, second = Tagger("a"), Tagger("b")
    verdict = InterceptorChain([first, second]).client_request(request("x", {}), SESSION)
    assert second.seen == [["a"]]
    assert verdict.forward is not None
    assert verdict.forward.params["tags"] == ["a", "b"]
    assert verdict.forward.raw is None
    assert [d.by for d in verdict.decisions] == ["a", "b"]


def test_reply_stops_the_chain_and_answers_with_the_request_id() -> None:
    after = Tagger("after")
    chain = InterceptorChain([DenyList({"rm": "destructive"}), after])
    verdict = chain.client_request(call("rm", path="/"), SESSION)
    assert verdict.forward is None
    assert after.seen == []
    assert verdict.reply == {
        "jsonrpc": "2.0", "id": 1,
        "error": {"code": REQUEST_DENIED,
                  "message": "tool 'rm' on server 'files' is denied by the gateway: destructive",
                  "data": {"tool": "rm", "server": "files", "reason": "destructive"}},
    }


def test_a_failing_interceptor_fails_closed() -> None:
    chain = InterceptorChain([Broken()])
    refused = chain.client_request(call("echo"), SESSION)
    assert refused.forward is None
    assert refused.reply is not None
    assert refused.reply["error"]["code"] == INTERNAL_ERROR
    assert "'broken' failed: RuntimeError: boom" in refused.reply["error"]["message"]
    replaced = chain.server_response(call("echo"), response({"content": []}), SESSION)
    assert replaced.forward is not None
    assert replaced.forward.body["error"]["code"] == INTERNAL_ERROR
    dropped = chain.server_notification(Message({"jsonrpc": "2.0", "method": "n"}), SESSION)
    assert dropped.forward is None
    assert dropped.reply is None


def test_drop_of_a_request_becomes_a_refusal() -> None:
    class Dropper(BaseInterceptor):
        name = "dropper"

        def on_server_request(self, msg: Message, session: SessionState) -> Decision:
            return Decision.drop("no sampling here")

    verdict = InterceptorChain([Dropper()]).server_request(request("sampling/createMessage", {}, 9), SESSION)
    assert verdict.reply is not None
    assert verdict.reply["id"] == 9
    assert verdict.reply["error"] == {"code": REQUEST_DENIED,
                                      "message": "refused by dropper: no sampling here"}


def test_reply_result_on_a_server_response_replaces_it() -> None:
    class Fixed(BaseInterceptor):
        name = "fixed"

        def on_server_response(self, request: Message, response: Message, session: SessionState) -> Decision:
            return Decision.reply_result({"content": []}, "emptied")

    verdict = InterceptorChain([Fixed()]).server_response(call("a"), response({"content": [1]}), SESSION)
    assert verdict.forward is not None
    assert verdict.forward.body == {"jsonrpc": "2.0", "id": 1, "result": {"content": []}}


@pytest.mark.parametrize(
    ("text", "clean", "removed"),
    [
        ("plain text\twith tab\nand newline", "plain text\twith tab\nand newline", 0),
        ("zero\u200bwidth\u200d join\ufeff", "zerowidth join", 3),
        ("bidi \u202eevil\u202c \u2066iso\u2069", "bidi evil iso", 4),
        ("tags\U000e0049\U000e0047\U000e004e", "tags", 3),
        ("\x1b[31mred\x1b[0m and \x1b]0;title\x07osc", "red and osc", 19),
        ("bell\x07 and nul\x00", "bell and nul", 2),
        ("emoji ok 🙂 and accents é", "emoji ok 🙂 and accents é", 0),
    ],
)
def test_strip_invisible(text: str, clean: str, removed: int) -> None:
    assert strip_invisible(text) == (clean, removed)


def test_sanitiser_cleans_descriptions_and_titles_but_never_names_or_schema_values() -> None:
    tool = {
        "name": "we\u200bird",
        "description": "Reads files.\u200b\U000e0041",
        "inputSchema": {"type": "object", "properties": {
            "path": {"type": "string", "title": "P\u202eath", "description": "x\x1b[2Jy",
                     "enum": ["a\u200b"]}}},
    }
    verdict = InterceptorChain([ToolListSanitiser()]).server_response(
        request("tools/list"), response({"tools": [tool], "nextCursor": "c"}), SESSION)
    assert verdict.forward is not None
    result = verdict.forward.body["result"]
    assert result["nextCursor"] == "c"
    cleaned = result["tools"][0]
    assert cleaned["name"] == "we\u200bird"
    assert cleaned["description"] == "Reads files."
    prop = cleaned["inputSchema"]["properties"]["path"]
    assert (prop["title"], prop["description"], prop["enum"]) == ("Path", "xy", ["a\u200b"])
    assert tool["description"] == "Reads files.\u200b\U000e0041"  # the input is never mutated
    assert verdict.decisions[0].reason == "removed 7 hidden characters from tools/list result"


@pytest.mark.parametrize(
    ("method", "key"),
    [("prompts/list", "prompts"), ("resources/list", "resources"),
     ("resources/templates/list", "resourceTemplates")],
)
def test_sanitiser_covers_every_list(method: str, key: str) -> None:
    verdict = InterceptorChain([ToolListSanitiser()]).server_response(
        request(method), response({key: [{"name": "n", "description": "d\u2063"}]}), SESSION)
    assert verdict.forward is not None
    assert verdict.forward.body["result"][key][0]["description"] == "d"


def test_sanitiser_leaves_clean_lists_and_tool_results_alone() -> None:
    chain = InterceptorChain([ToolListSanitiser()])
    clean = response({"tools": [{"name": "a", "description": "fine"}]})
    assert chain.server_response(request("tools/list"), clean, SESSION).forward is clean
    result = response({"content": [{"type": "text", "text": "x\u200b"}], "description": "y\u200b"})
    assert chain.server_response(call("a"), result, SESSION).forward is result


def test_sanitiser_cleans_server_instructions() -> None:
    verdict = InterceptorChain([ToolListSanitiser()]).server_response(
        request("initialize", {}), response({"instructions": "Be\u200b nice", "protocolVersion": "x"}),
        SESSION)
    assert verdict.forward is not None
    assert verdict.forward.body["result"]["instructions"] == "Be nice"


def test_deny_list_hides_tools_and_passes_other_lists() -> None:
    deny = DenyList({"rm": "destructive"})
    tools = response({"tools": [{"name": "ls"}, {"name": "rm"}]})
    decision = deny.on_server_response(request("tools/list"), tools, SESSION)
    assert decision.action == "rewrite"
    assert decision.body is not None
    assert decision.body["result"]["tools"] == [{"name": "ls"}]
    assert decision.reason == "hid denied tools: rm"
    assert deny.on_server_response(request("prompts/list"), response({"prompts": [{"name": "rm"}]}),
                                   SESSION) == PASS
    assert deny.on_client_request(call("ls"), SESSION) == PASS


def test_argument_shape_redacts_values_and_is_bounded() -> None:
    shape = argument_shape({"path": "/etc/passwd", "n": 3, "f": 1.5, "ok": True, "none": None,
                            "items": ["a", "b", 1], "opts": {"deep": {"x": "secret"}}})
    assert shape == {"f": "float", "items": ["str", "int"], "n": "int", "none": "null", "ok": "bool",
                     "opts": {"deep": {"x": "str"}}, "path": "str"}
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(20):
        node["k"] = {}
        node = node["k"]
    assert "..." in repr(argument_shape(deep))
    assert "secret" not in repr(shape)


def test_call_recorder_emits_one_event_per_exchange() -> None:
    events: list[Event] = []
    recorder = CallRecorder(events.append)
    chain = InterceptorChain([DenyList({"rm": "no"}), recorder])
    req = call("echo", text="hello")
    resp = response({"content": [{"type": "text", "text": "hello"}], "isError": False})
    chain.complete(Exchange(req, resp, "forwarded"), SESSION)
    assert len(events) == 1
    event = events[0]
    assert (event.logsource.product, event.logsource.category) == ("mcp", "tool_call")
    assert event.source == "garrison.wrap"
    assert event.time == 100.0
    assert dict(event.fields) == {
        "server": "files", "client": None, "method": "tools/call", "tool": "echo",
        "arguments_shape": {"text": "str"},
        "decision": "pass", "reason": None, "latency_ms": 250.0, "result_bytes": len(b"original"),
        "is_error": False,
    }
    assert dict(event.links) == {"server": "files", "call_id": "1"}


def test_call_record_of_a_timeout_and_a_refusal() -> None:
    req = call("slow")
    late = Message({"jsonrpc": "2.0", "id": 1, "error": {}}, at=101.0)
    timed_out = record_of(Exchange(req, late, "timeout"),
                          SESSION)
    assert (timed_out.decision, timed_out.is_error, timed_out.latency_ms) == ("timeout", True, 1000.0)
    verdict = InterceptorChain([DenyList({"slow": "no"})]).client_request(req, SESSION)
    refused = record_of(Exchange(req, None, "replied", verdict.decisions), SESSION)
    assert (refused.decision, refused.reason) == ("reply:deny-list", "tool 'slow' denied: no")
    assert refused.latency_ms is None


def test_a_failing_observer_does_not_stop_the_others() -> None:
    class Exploding(BaseInterceptor):
        name = "exploding"

        def on_complete(self, exchange: Exchange, session: SessionState) -> None:
            raise RuntimeError("observer")

    events: list[Event] = []
    InterceptorChain([Exploding(), CallRecorder(events.append)]).complete(
        Exchange(call("a"), None, "upstream_closed"), SESSION)
    assert len(events) == 1
    assert events[0].fields["decision"] == "upstream_closed"
