"""Start-up: from launching `hvgui --demo` to the first painted window with VMs, frozen against the venv.

Both runs start the demo exactly as an admin does (its emulator in a child process: the frozen executable's
hidden `--run-emulator` entry, or `python -m hvgui.emulator`; the demo's `realistic` host costs) with
`--screenshot`, which saves the window offscreen once every host's VMs are in it and painted. The time is
from the launch until that PNG is complete on disk (it includes the 0.3 s the screenshot waits for the
layouts to settle), the median of `--runs` launches each.

- `frozen_first_vms_s`: the PyInstaller one-folder build of `installer/build.py` (built, or reused from the
  cache of the packaging tests when the sources are unchanged);
- `venv_first_vms_s`: `python -m hvgui` with this Python;
- `deb_mb`: size of the `.deb` (Linux; null elsewhere); `frozen_dir_mb`: the frozen folder on disk.

Goal: frozen_first_vms_s <= 3.0, deb_mb <= 90.
Usage: python bench/startup.py [--runs 3] [--frozen DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PNG_END = b"IEND\xaeB`\x82"


def cached_dist() -> Path:
    """`dist/` of `installer/build.py`'s cached build (a script, loaded by path)."""
    spec = importlib.util.spec_from_file_location("hvgui_build_script", ROOT / "installer" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cached_build()


def time_to_first_vms(command: list[str], scratch: Path, timeout: float = 120) -> float:
    """Seconds from launching `command --demo --screenshot` until the screenshot is completely written."""
    shot = scratch / f"shot-{time.monotonic_ns()}.png"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "PYTHONPATH")}
    env["XDG_DATA_HOME"] = env["XDG_CONFIG_HOME"] = str(scratch)
    if command[0] == sys.executable:
        env["PYTHONPATH"] = str(ROOT)
    started = time.monotonic()
    process = subprocess.Popen(
        [*command, "--demo", "--screenshot", str(shot)],
        cwd=scratch,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while time.monotonic() - started < timeout:
            if shot.is_file() and shot.read_bytes().endswith(PNG_END):
                return time.monotonic() - started
            if process.poll() is not None and not shot.is_file():
                raise RuntimeError(f"{command} ended without a screenshot: {process.stderr.read().decode()}")
            time.sleep(0.01)
        raise RuntimeError(f"{command}: no screenshot within {timeout} s")
    finally:
        process.wait(timeout=60)
        process.stderr.close()


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--frozen", type=Path, help="a frozen build's dist/ (default: build or reuse the cache)")
    args = parser.parse_args()
    dist = (args.frozen or cached_dist()).resolve()
    frozen = dist / "hvgui" / ("hvgui.exe" if sys.platform == "win32" else "hvgui")
    debs = sorted(dist.glob("hvgui_*.deb"))
    with tempfile.TemporaryDirectory(prefix="hvgui-startup-") as scratch:
        frozen_runs, venv_runs = [], []
        for _ in range(args.runs):  # alternate, so both see the same background load
            frozen_runs.append(time_to_first_vms([str(frozen)], Path(scratch)))
            venv_runs.append(time_to_first_vms([sys.executable, "-m", "hvgui"], Path(scratch)))
    result = {
        "frozen_first_vms_s": round(statistics.median(frozen_runs), 2),
        "venv_first_vms_s": round(statistics.median(venv_runs), 2),
        "deb_mb": round(debs[-1].stat().st_size / 1e6, 1) if debs else None,
        "frozen_dir_mb": round(folder_mb(dist / "hvgui"), 1),
        "runs": args.runs,
        "frozen_runs_s": [round(t, 2) for t in frozen_runs],
        "venv_runs_s": [round(t, 2) for t in venv_runs],
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
