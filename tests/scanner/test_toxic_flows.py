"""Toxic flows across servers (G601–G603)."""

from __future__ import annotations

from typing import Any

from garrison.model import Definition, Evidence, Finding, ServerSnapshot, Severity
from garrison.scanner.checks.interface import ScanContext
from garrison.scanner.checks.toxic_flows import CHECK, TRIFECTA, UNTRUSTED_TO_CODE


def tool(name: str, description: str = "", params: tuple[str, ...] = ()) -> Definition:
    schema: dict[str, Any] = {"type": "object", "properties": {p: {"type": "string"} for p in params}}
    return Definition("tool", {"name": name, "description": description, "inputSchema": schema})


WEB = ServerSnapshot("web", tools=(tool("fetch_page", "Fetch a web page and return its text.", ("url",)),))
FILES = ServerSnapshot("files", tools=(tool("read_file", "Read a file from disk.", ("path",)),))
MAIL = ServerSnapshot("mail", tools=(tool("send_email", "Send an email.", ("to", "subject", "body")),))
CALC = ServerSnapshot("calc", tools=(tool("add", "Add two numbers.", ("a", "b")),))


def run(*servers: ServerSnapshot) -> list[Finding]:
    return sorted(CHECK.run(ScanContext(servers)), key=Finding.sort_key)


def test_lethal_trifecta_across_servers_names_every_leg() -> None:
    assert run(WEB, FILES, MAIL, CALC) == [
        TRIFECTA.finding(
            server="*",
            target="flow:lethal-trifecta",
            location="flow",
            message="untrusted content from web/fetch_page can steer the model to read private data with "
            "files/read_file and send it out with mail/send_email, web/fetch_page",
            evidence=Evidence(
                "sources: web/fetch_page (description: web page) | private: files/read_file (description: "
                "Read a file) | sinks: mail/send_email (description: Send an email); web/fetch_page "
                "(parameter:url: request to a caller-chosen URL)"
            ),
            severity=Severity.HIGH,
            related=("web/tool:fetch_page", "files/tool:read_file", "mail/tool:send_email"),
        )
    ]


def test_trifecta_through_a_fixed_destination_is_medium_and_names_the_sink_server() -> None:
    web = ServerSnapshot("web", tools=(tool("search_web", "Search the web for pages.", ("query",)),))
    wiki = ServerSnapshot(
        "wiki", tools=(tool("publish_page", "Publish the page to the team wiki.", ("title", "text")),)
    )
    findings = run(web, FILES, wiki)
    assert [(f.rule, f.server, f.severity) for f in findings] == [("G601", "wiki", Severity.MEDIUM)]


def test_missing_leg_means_no_trifecta() -> None:
    assert run(FILES, MAIL, CALC) == []
    notes = ServerSnapshot("notes", tools=(tool("save_note", "Save a note.", ("text",)),))
    assert [f.rule for f in run(WEB, notes)] == []


def test_untrusted_to_code_is_one_finding_per_scan() -> None:
    shell = ServerSnapshot(
        "shell",
        tools=(
            tool("run_command", "Run a shell command.", ("command",)),
            tool("exec_python", "Execute Python code.", ("code",)),
        ),
    )
    findings = run(WEB, shell, CALC)
    code = [f for f in findings if f.rule == UNTRUSTED_TO_CODE.id]
    assert len(code) == 1
    assert code[0].server == "shell"
    assert code[0].target == "flow:untrusted-to-code"
    assert code[0].related == ("web/tool:fetch_page", "shell/tool:run_command", "shell/tool:exec_python")


def test_untrusted_to_destructive() -> None:
    admin = ServerSnapshot("admin", tools=(tool("drop_table", "Drop a database table.", ("table",)),))
    assert [(f.rule, f.severity, f.target) for f in run(WEB, admin)] == [
        ("G603", Severity.MEDIUM, "flow:untrusted-to-destructive")
    ]


def test_findings_never_target_a_tool() -> None:
    for f in run(WEB, FILES, MAIL):
        assert f.target.startswith("flow:")


def test_many_tools_are_summarised_but_all_related() -> None:
    many = ServerSnapshot(
        "drive", tools=tuple(tool(f"read_doc_{i}", "Read a document.", ("path",)) for i in range(8))
    )
    [finding] = run(WEB, many, MAIL)
    assert "and 3 more" in finding.message
    assert sum(r.startswith("drive/") for r in finding.related) == 8
