"""The alerts, storyline and respond commands, and detect's --playbook hook, driven through the CLI."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from garrison.cli.main import main
from garrison.detect.engine import event_to_json
from garrison.respond.blocklist import load_blocklist
from garrison.store import open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "detect"))
from test_storyline_fixtures import chain

PLAYBOOK = """\
version: 1
playbooks:
  - name: contain
    when: {technique: T1552, min_priority: high}
    actions: [block_tool, quarantine_server]
"""


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(event_to_json(e)) + "\n" for e in chain()), encoding="utf-8")
    return path


def _alerts(capsys, *args: str) -> list[dict]:
    assert main(["alerts", "--format", "json", *args]) == 1
    return json.loads(capsys.readouterr().out)["alerts"]


def test_alerts_are_ranked_with_summaries(events_file, capsys):
    alerts = _alerts(capsys, "--events", str(events_file))
    scores = [a["priority"]["score"] for a in alerts]
    assert scores == sorted(scores, reverse=True)
    assert {a["title"] for a in alerts} >= {"SSH Private Key Opened by a Non-SSH Program",
                                           "Cron Job Installed From a Command"}
    assert all(a["summary"].startswith(a["title"]) for a in alerts)
    assert all(a["storyline"]["call"] == "call:notes:2" for a in alerts)


def test_alerts_from_detect_json_keep_their_ids(events_file, tmp_path, capsys):
    assert main(["detect", "--events", str(events_file)]) == 1
    detect_out = tmp_path / "alerts.json"
    detect_out.write_text(capsys.readouterr().out, encoding="utf-8")
    direct = {a["id"] for a in _alerts(capsys, "--events", str(events_file))}
    via_file = _alerts(capsys, "--alerts", str(detect_out), "--events", str(events_file))
    assert {a["id"] for a in via_file} == direct
    assert all(a["storyline"]["call"] == "call:notes:2" for a in via_file)


def test_alerts_text_and_no_store(tmp_path, capsys, events_file):
    assert main(["alerts", "--events", str(events_file)]) == 1
    out = capsys.readouterr().out
    assert "critical" in out
    assert "What to do:" in out
    assert main(["alerts", "--db", str(tmp_path / "none.db")]) == 2
    assert "no store yet" in capsys.readouterr().err


def test_alerts_from_the_store(tmp_path, capsys):
    db = tmp_path / "garrison.db"
    store = open_store(str(db))
    store.append_events(chain())
    store.close()
    alerts = _alerts(capsys, "--db", str(db), "--since", "0")
    assert any(a["storyline"]["call"] == "call:notes:2" for a in alerts)


def test_storyline_by_id_prefix(events_file, capsys):
    alerts = _alerts(capsys, "--events", str(events_file))
    key = next(a for a in alerts if a["rule"] == "c29ede9b-dc86-4f01-b3dd-b20faafaf4ce")
    assert main(["storyline", key["id"][:8], "--events", str(events_file)]) == 0
    out = capsys.readouterr().out
    assert "ran tool_call export_notes()" in out
    assert "! opened file /home/dev/.ssh/id_rsa" in out
    assert main(["storyline", key["id"], "--events", str(events_file), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["alert"]["id"] == key["id"]
    assert main(["storyline", "ffffffffffff", "--events", str(events_file)]) == 2


def test_respond_by_hand_dry_run_then_execute(tmp_path, capsys):
    blocklist = tmp_path / "b.yaml"
    args = ["respond", "block", "--server", "notes", "--tool", "export_notes", "--blocklist", str(blocklist),
            "--db", str(tmp_path / "none.db")]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "dry-run" in captured.out
    assert "add --execute" in captured.err
    assert not blocklist.exists()
    assert main([*args, "--execute"]) == 0
    assert load_blocklist(blocklist).blocked_tools("notes") == {"export_notes": "blocked by hand"}
    assert main(["respond", "block", "--server", "notes"]) == 2
    assert "--tool is required" in capsys.readouterr().err
    assert main(["respond"]) == 2


def test_respond_playbook_records_results_in_the_store(events_file, tmp_path, capsys):
    book = tmp_path / "p.yaml"
    book.write_text(PLAYBOOK, encoding="utf-8")
    db = tmp_path / "garrison.db"
    open_store(str(db)).close()
    blocklist = tmp_path / "b.yaml"
    assert main(["respond", "--playbook", str(book), "--events", str(events_file), "--execute",
                 "--blocklist", str(blocklist), "--db", str(db), "--format", "json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert [(r["action"], r["target"], r["executed"]) for r in results] == [
        ("block_tool", "notes/export_notes", True), ("quarantine_server", "notes", True)]
    assert load_blocklist(blocklist).quarantined("notes") is not None
    store = open_store(str(db))
    from garrison.store.events import EventQuery

    recorded = list(store.query_events(EventQuery(service="response")))
    store.close()
    assert [e.fields["Action"] for e in recorded] == ["block_tool", "quarantine_server"]


def test_bad_playbook_names_the_line(events_file, tmp_path, capsys):
    book = tmp_path / "p.yaml"
    book.write_text(PLAYBOOK.replace("block_tool", "burn_it_down"), encoding="utf-8")
    assert main(["respond", "--playbook", str(book), "--events", str(events_file)]) == 2
    assert f"{book}:5" in capsys.readouterr().err


def test_detect_runs_a_playbook(events_file, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    book = tmp_path / "p.yaml"
    book.write_text(PLAYBOOK, encoding="utf-8")
    assert main(["detect", "--events", str(events_file), "--playbook", str(book)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [r["action"] for r in out["responses"]] == ["block_tool", "quarantine_server"]
    assert all(not r["executed"] for r in out["responses"])
    assert not (tmp_path / "garrison.blocklist.yaml").exists()
    assert out["alerts"][0]["storyline"]["nodes"]


def test_notify_posts_each_alert(events_file, tmp_path, capsys):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/garrison"
        assert main(["respond", "notify", "--url", url, "--events", str(events_file),
                     "--db", str(tmp_path / "none.db")]) == 0
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    lines = capsys.readouterr().out.splitlines()
    assert len(received) == len(lines) >= 2
    assert all(line.startswith("done") for line in lines)
    assert {r["alert"]["priority"]["level"] for r in received} == {"critical"}
    assert main(["respond", "notify", "--url", "file:///etc/passwd", "--events", str(events_file)]) == 2
