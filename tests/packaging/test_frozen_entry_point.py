"""The hidden entry point that lets a frozen hvgui start the demo's emulator from its own executable."""

from __future__ import annotations

import sys

import pytest

import hvgui.__main__ as cli
from hvgui.emulator import process


def test_from_python_the_emulator_runs_as_a_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert process.emulator_command() == [sys.executable, "-m", "hvgui.emulator"]


def test_a_frozen_build_runs_the_emulator_from_its_own_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/hvgui/hvgui")
    assert process.emulator_command() == ["/opt/hvgui/hvgui", cli.RUN_EMULATOR_FLAG]
    assert process.FROZEN_EMULATOR_FLAG == cli.RUN_EMULATOR_FLAG


def test_the_hidden_flag_hands_the_rest_of_the_command_line_to_the_emulator(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([cli.RUN_EMULATOR_FLAG, "--help"])
    assert exited.value.code == 0
    assert "--scenario" in capsys.readouterr().out


def test_the_flag_is_not_an_option_of_hvgui_itself() -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--demo", cli.RUN_EMULATOR_FLAG])
    assert exited.value.code == 2
