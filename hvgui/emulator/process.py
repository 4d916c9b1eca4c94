"""Running the emulator as a child process, for realistic timing and to keep it off the caller's GIL."""

from __future__ import annotations

import collections
import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

from hvgui.emulator.endpoints import CONTROL_PREFIX, READY_LINE, Endpoint, parse_listening_line

STDERR_KEEP_LINES = 200

#: The hidden first argument that makes a frozen `hvgui` executable run the emulator (`hvgui.__main__`).
FROZEN_EMULATOR_FLAG = "--run-emulator"


def emulator_command() -> list[str]:
    """How to start the emulator's CLI in a child process.

    From a Python environment that is `python -m hvgui.emulator`. A frozen build (PyInstaller) has no
    Python to run `-m` with: `sys.executable` is hvgui itself, so the child is the same executable with a
    hidden first argument that hands the rest of the command line to the emulator.
    """
    if getattr(sys, "frozen", False):
        return [sys.executable, FROZEN_EMULATOR_FLAG]
    return [sys.executable, "-m", "hvgui.emulator"]


class EmulatorStartError(RuntimeError):
    """The child did not become ready; the message includes what it wrote to stderr."""


class EmulatorProcess:
    """The emulator's CLI (`python -m hvgui.emulator`) as a child process. A context manager; `stop()` ends it."""

    def __init__(
        self,
        process: subprocess.Popen[str],
        endpoints: list[Endpoint],
        stderr_tail: collections.deque[str],
        stdout_lines: queue.Queue[str | None] | None = None,
    ):
        self.process = process
        self.endpoints = endpoints
        self._stderr_tail = stderr_tail
        self._stdout_lines = stdout_lines
        self._control_lock = threading.Lock()

    @classmethod
    def start(
        cls,
        scenario: str = "demo",
        *,
        tls: bool = True,
        seed: int | None = None,
        cost_profile: str | None = None,
        time_scale: float | None = None,
        extra_args: Sequence[str] = (),
        timeout: float = 30.0,
        control: bool = False,
    ) -> EmulatorProcess:
        """Start the child and wait (up to `timeout` seconds) for its ready line.

        `cost_profile` (`instant`, `realistic` or a JSON file) and `time_scale` become `--cost-profile` and
        `--time-scale`; None leaves the scenario's own (else instant, 1). With `control`, the child reads control
        commands (`control()`) on its stdin.
        """
        command = [*emulator_command(), "--listen", "127.0.0.1:0", "--scenario", scenario]
        if tls:
            command.append("--tls")
        if seed is not None:
            command += ["--seed", str(seed)]
        if cost_profile is not None:
            command += ["--cost-profile", str(cost_profile)]
        if time_scale is not None:
            command += ["--time-scale", repr(float(time_scale))]
        if control:
            command.append("--control")
        command += list(extra_args)
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if control else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        stdout_lines: queue.Queue[str | None] = queue.Queue()
        stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_KEEP_LINES)
        _drain(process.stdout, stdout_lines.put, "emulator-stdout", on_end=lambda: stdout_lines.put(None))
        stderr_reader = _drain(process.stderr, stderr_tail.append, "emulator-stderr")

        endpoints: list[Endpoint] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = stdout_lines.get(timeout=max(0.0, deadline - time.monotonic()))
                timed_out = False
            except queue.Empty:
                line, timed_out = None, True
            if line is None:  # no ready line in time, or the child closed its stdout (it ended)
                reason = f"was not ready within {timeout:g} s" if timed_out else "exited before it was ready"
                _end(process)
                stderr_reader.join(timeout=5)  # the child is gone: its stderr ends soon
                raise EmulatorStartError(
                    f"the emulator ({' '.join(command)}) {reason} (exit status {process.returncode}); "
                    f"its stderr:\n{''.join(stderr_tail).rstrip() or '(empty)'}"
                )
            if line.rstrip("\r\n") == READY_LINE:
                return cls(process, endpoints, stderr_tail, stdout_lines if control else None)
            endpoint = parse_listening_line(line)
            if endpoint is not None:
                endpoints.append(endpoint)

    def control(self, command: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
        """Send one control command (see `hvgui.emulator.hyperv.heartbeats.control`) and return the child's
        answer; the child must have been started with `control=True`."""
        if self._stdout_lines is None or self.process.stdin is None:
            raise RuntimeError("the emulator was started without control=True")
        with self._control_lock:
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()
            deadline = time.monotonic() + timeout
            while True:
                line = self._stdout_lines.get(timeout=max(0.0, deadline - time.monotonic()))
                if line is None:
                    raise EmulatorStartError(f"the emulator ended; its stderr:\n{self.stderr_text}")
                if line.startswith(CONTROL_PREFIX):
                    return json.loads(line[len(CONTROL_PREFIX) :])

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def stderr_text(self) -> str:
        """The last lines the child wrote to stderr."""
        return "".join(self._stderr_tail)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait, and kill if it does not end in time. Returns the exit status."""
        return _end(self.process, timeout)

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _drain(
    stream: IO[str] | None, on_line: Callable[[str], None], name: str, on_end: Callable[[], None] | None = None
) -> threading.Thread:
    """Read a pipe to its end on a daemon thread (a full pipe would block the child)."""

    def pump() -> None:
        for line in stream or ():
            on_line(line)
        if on_end is not None:
            on_end()

    thread = threading.Thread(target=pump, name=name, daemon=True)
    thread.start()
    return thread


def _end(process: subprocess.Popen[str], timeout: float = 10.0) -> int:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return int(process.returncode)
