"""The command log: one JSON line per pipeline command an emulated host receives.

It lets tests and benchmarks see what a client really sent (which cmdlets, which parameters, how many
round trips) without looking inside the client. A line looks like

    {"time": 1732700000.1, "host": "HV-DEMO-01", "command": "Get-VM", "parameters": {"Name": "vm1"},
     "arguments": [], "script": false}

`parameters` keeps the client's order; a switch is `true`; positional arguments go to `arguments`.
A script has `"command": null` and `"script"` set to the name the host recognised, or `"unrecognised"`.
"""

from __future__ import annotations

import base64
import enum
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import IO, Any

from hvgui.emulator.runtime import PipelineCommand

ENV_VAR = "HVGUI_EMULATOR_COMMAND_LOG"
UNRECOGNISED_SCRIPT = "unrecognised"


def json_friendly(value: Any) -> Any:
    """A JSON-serialisable rendering of a deserialized PowerShell value (text, numbers, lists, dicts)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, enum.Enum):
        return str(value.name)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(json_friendly(k)): json_friendly(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_friendly(v) for v in value]
    return str(value)


def describe_command(
    command: PipelineCommand, host: str, identify_script: Callable[[str], str | None], now: float
) -> dict[str, Any]:
    """The log entry for one command of a pipeline."""
    parameters: dict[str, Any] = {}
    arguments: list[Any] = []
    for name, value in command.parameters:
        if name is None:
            arguments.append(json_friendly(value))
        else:
            parameters[name] = json_friendly(value)
    entry: dict[str, Any] = {"time": now, "host": host}
    if command.is_script:
        entry["command"] = None
        entry["script"] = identify_script(command.name) or UNRECOGNISED_SCRIPT
    else:
        entry["command"] = command.name
        entry["script"] = False
    entry["parameters"] = parameters
    entry["arguments"] = arguments
    return entry


class CommandLog:
    """Writes entries to one or more files from any thread.

    Files are unbuffered and each pipeline's lines go out in one write, so lines from several emulators
    appending to the same file (HVGUI_EMULATOR_COMMAND_LOG) never interleave mid-line.
    """

    def __init__(self, streams: Iterable[IO[bytes]]) -> None:
        self._streams = list(streams)
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str | None = None, *, environ: dict[str, str] | None = None) -> CommandLog | None:
        """`path` is truncated; the file named by HVGUI_EMULATOR_COMMAND_LOG is appended to. None if neither."""
        environ = dict(os.environ) if environ is None else environ
        streams: list[IO[bytes]] = []
        opened: set[str] = set()
        if path:
            streams.append(open(path, "wb", buffering=0))  # noqa: SIM115 - closed by close()
            opened.add(os.path.abspath(path))
        shared = environ.get(ENV_VAR)
        if shared and os.path.abspath(shared) not in opened:
            streams.append(open(shared, "ab", buffering=0))  # noqa: SIM115
        return cls(streams) if streams else None

    def record_pipeline(
        self, host: str, commands: list[PipelineCommand], identify_script: Callable[[str], str | None]
    ) -> None:
        """One line per command of a pipeline, all with the same time."""
        now = time.time()
        lines = "".join(
            json.dumps(describe_command(c, host, identify_script, now), ensure_ascii=False) + "\n" for c in commands
        ).encode("utf-8")
        with self._lock:
            for stream in self._streams:
                stream.write(lines)

    def close(self) -> None:
        with self._lock:
            for stream in self._streams:
                stream.close()
            self._streams.clear()
