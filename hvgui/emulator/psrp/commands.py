"""Turning a decoded CreatePipeline into the runtime's `PipelineCommand` list."""

from __future__ import annotations

from typing import Any

from hvgui.emulator.runtime import PipelineCommand


def pipeline_commands(metadata: Any) -> list[PipelineCommand]:
    """The commands of a psrpcore `PowerShell` pipeline, in order.

    A parameter sent without a value (pypsrp `add_parameter("Force")`) arrives as Nil; PowerShell binds
    that to a switch as present, so it becomes True. Statements (`add_statement`) are flattened in order.
    """
    commands = []
    for command in getattr(metadata, "commands", None) or []:
        parameters = tuple(
            (str(name) if name is not None else None, True if (name is not None and value is None) else value)
            for name, value in command.parameters
        )
        commands.append(
            PipelineCommand(name=str(command.command_text), is_script=bool(command.is_script), parameters=parameters)
        )
    return commands
