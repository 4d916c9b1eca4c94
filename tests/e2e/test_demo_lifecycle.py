"""`hvgui --demo` owns its emulator: it starts it as a child and stops it when the window closes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def emulator_children(parent: int) -> list[int]:
    """Processes whose parent is `parent` and whose command line runs `hvgui.emulator`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ppid = next((line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), "")
        if ppid == str(parent) and "hvgui.emulator" in cmdline:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in state


def test_closing_the_demo_window_stops_its_emulator() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    app = subprocess.Popen(
        [sys.executable, "-m", "hvgui", "--demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        children: list[int] = []
        while not children and time.monotonic() < deadline and app.poll() is None:
            children = emulator_children(app.pid)
            time.sleep(0.1)
        assert children, "the demo did not start an emulator child"
        time.sleep(1.0)  # let the window connect to the hosts
        app.send_signal(signal.SIGTERM)  # like closing the window: hvgui closes it and shuts down
        _, stderr = app.communicate(timeout=60)
        assert app.returncode == 0, stderr
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in children), "the emulator outlived the window"
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
