"""The command log: one JSON line per pipeline command the emulated host receives."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvgui.emulator import start_hosts
from hvgui.emulator.command_log import ENV_VAR, CommandLog, json_friendly
from hvgui.emulator.runtime import PipelineCommand

WSManFactory = Callable[..., WSMan]


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_each_pipeline_command_is_logged_with_its_parameters(
    tmp_path: Path, wsman_factory: WSManFactory, monkeypatch: pytest.MonkeyPatch, wire_kit
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    log_file = tmp_path / "commands.jsonl"
    log_file.write_text("stale line from an earlier run\n", encoding="utf-8")
    runtime = wire_kit.runtime(name="HV-LOG-01")
    with (
        start_hosts(
            [runtime], username=wire_kit.user, password=wire_kit.password, command_log=str(log_file)
        ) as emulator,
        RunspacePool(wsman_factory(emulator.endpoints[0])) as pool,
    ):
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Parameters").add_parameter("Name", ["vm1", "vm2"]).add_parameter("Force")
        ps.add_parameter("Count", 3).add_argument("positional")
        ps.invoke()
        known = PowerShell(pool)
        known.add_script(f"{wire_kit.known_script_marker}\nfunction Get-Thing {{}}").add_argument("a")
        known.invoke()
        unknown = PowerShell(pool)
        unknown.add_script("Get-Process | Stop-Process")
        unknown.invoke()
        piped = PowerShell(pool)
        piped.add_cmdlet("Write-Output").add_argument(1).add_cmdlet("Write-Warning")
        piped.invoke()

    lines = _lines(log_file)  # the stale line is gone: --command-log truncates
    assert [line["command"] for line in lines] == ["Get-Parameters", None, None, "Write-Output", "Write-Warning"]
    first = lines[0]
    assert first["host"] == "HV-LOG-01"
    assert isinstance(first["time"], float)
    assert first["parameters"] == {"Name": ["vm1", "vm2"], "Force": True, "Count": 3}
    assert first["arguments"] == ["positional"]
    assert first["script"] is False
    assert (lines[1]["script"], lines[1]["arguments"]) == ("wire-script", ["a"])
    assert lines[2]["script"] == "unrecognised"
    assert lines[3]["time"] == lines[4]["time"]  # one pipeline, logged at once


def test_environment_variable_appends_for_every_emulator(
    tmp_path: Path, wsman_factory: WSManFactory, monkeypatch: pytest.MonkeyPatch, wire_kit
) -> None:
    shared = tmp_path / "shared.jsonl"
    shared.write_text(json.dumps({"earlier": True}) + "\n", encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(shared))
    for name in ("HV-A", "HV-B"):
        runtime = wire_kit.runtime(name=name)
        emulator = start_hosts([runtime], username=wire_kit.user, password=wire_kit.password)
        with emulator, RunspacePool(wsman_factory(emulator.endpoints[0])) as pool:
            ps = PowerShell(pool)
            ps.add_cmdlet("Write-Output").add_argument(name)
            ps.invoke()
    lines = _lines(shared)
    assert lines[0] == {"earlier": True}
    assert [(line["host"], line["arguments"]) for line in lines[1:]] == [("HV-A", ["HV-A"]), ("HV-B", ["HV-B"])]


def test_log_file_and_environment_file_both_receive_lines(tmp_path: Path) -> None:
    own, shared = tmp_path / "own.jsonl", tmp_path / "shared.jsonl"
    log = CommandLog.open(str(own), environ={ENV_VAR: str(shared)})
    assert log is not None
    log.record_pipeline("HV-X", [PipelineCommand("Get-VM", parameters=(("Name", "vm1"),))], lambda text: None)
    log.close()
    assert _lines(own) == _lines(shared)
    assert _lines(own)[0]["parameters"] == {"Name": "vm1"}
    assert CommandLog.open(None, environ={}) is None


def test_values_become_json_friendly() -> None:
    class Opaque:
        def __str__(self) -> str:
            return "opaque value"

    assert json_friendly({"a": (1, 2.5, b"\x00\x01", None), 3: Opaque()}) == {
        "a": [1, 2.5, "AAE=", None],
        "3": "opaque value",
    }
