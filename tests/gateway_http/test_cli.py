"""``garrison gateway`` on the command line: configuration errors exit 2 naming file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from garrison.cli.main import main


def test_missing_config_is_a_usage_error(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GARRISON_GATEWAY_CONFIG", raising=False)
    assert main(["gateway"]) == 2
    assert "garrison gateway --config FILE" in capsys.readouterr().err


def test_config_error_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "gw.yaml"
    config.write_text("clients:\n  - identity: a\n    token: hunter2hunter2hunter2\nupstreams:\n"
                      "  - name: x\n    command: x\n")
    assert main(["gateway", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{config}:3: token must be a reference" in err
    assert "hunter2" not in err  # the offending value is not echoed back


def test_help_lists_every_flag_with_its_environment_twin(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["gateway", "--help"])
    out = capsys.readouterr().out
    assert "GARRISON_GATEWAY_CONFIG" in out
    assert "GARRISON_GATEWAY_EVENTS" in out
