"""The packages `installer/build.py` makes, installed and run as an admin would run them.

The build happens once per version of the sources (`dist` fixture); each test then installs or unpacks what
it needs into its own scratch directory and runs `hvgui --demo --screenshot` offscreen from there.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(1200)]

#: What a package must carry besides Python modules: found at run time, so no import would notice it missing.
RESOURCES = (
    "hvgui/resources/hvgui.svg",
    "hvgui/resources/icons/connect.svg",
    "hvgui/remoting/ps/HvGui.ps1",
    "hvgui/emulator/hyperv/reference_data.json",
    "hvgui/emulator/hyperv/cmdlet_syntax.json",
    "hvgui/emulator/scenarios/demo.json",
)
APP_ID = "io.github.hvgui"


def run_app(command: list[str | Path], env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def assert_demo_screenshot(launcher: Path, tmp_path: Path, env: dict[str, str]) -> None:
    """`launcher --version` names the version, and `launcher --demo --screenshot` saves a real window with VMs."""
    version = run_app([launcher, "--version"], env)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip().startswith("hvgui "), version.stdout
    shot = tmp_path / "demo.png"
    result = run_app([launcher, "--demo", "--screenshot", shot], env)
    assert result.returncode == 0, f"{launcher} --demo failed:\n{result.stderr}"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = QImage(str(shot))
    assert not image.isNull()
    assert 1200 <= image.width() <= 1600
    assert 700 <= image.height() <= 1000
    colours = {image.pixel(x, y) for x in range(0, image.width(), 23) for y in range(0, image.height(), 17)}
    assert len(colours) > 20, "the screenshot looks blank"


def test_the_wheel_and_the_sdist_carry_the_resources(dist: Path) -> None:
    (wheel,) = dist.glob("hvgui-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(RESOURCES) <= names
    assert any(n.endswith("entry_points.txt") for n in names)
    (sdist,) = dist.glob("hvgui-*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"pyproject.toml", "resources/hvgui.svg", "installer/build.py"} <= members
    assert {r for r in RESOURCES if not r.startswith("hvgui/resources/")} <= members


def test_the_wheel_installed_in_a_fresh_venv_runs_the_demo(dist: Path, tmp_path: Path, app_env) -> None:
    (wheel,) = dist.glob("hvgui-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    bin_dir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    install = subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    assert_demo_screenshot(bin_dir / "hvgui", tmp_path, app_env)


def test_the_frozen_build_runs_the_demo_and_its_emulator(dist: Path, tmp_path: Path, app_env) -> None:
    folder = dist / "hvgui"
    launcher = folder / ("hvgui.exe" if sys.platform == "win32" else "hvgui")
    bundle = folder / "_internal"
    for resource in RESOURCES:
        assert (bundle / resource).is_file(), f"{resource} is missing from the frozen build"
    # The demo's emulator is this executable (there is no Python to run `-m hvgui.emulator` with).
    emulator = run_app([launcher, "--run-emulator", "--help"], app_env, timeout=60)
    assert emulator.returncode == 0, emulator.stderr
    assert "--scenario" in emulator.stdout
    assert_demo_screenshot(launcher, tmp_path, app_env)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the .deb is made on Linux")
def test_the_deb_holds_the_program_menu_entry_icon_and_metainfo(dist: Path, build_script) -> None:
    (deb,) = dist.glob("hvgui_*.deb")
    fields = subprocess.run(["dpkg-deb", "--field", deb], capture_output=True, text=True, check=True).stdout
    assert "Package: hvgui\n" in fields
    assert "Version: " + build_script.version() in fields
    listing = subprocess.run(["dpkg-deb", "--contents", deb], capture_output=True, text=True, check=True).stdout
    paths = {line.split()[5].lstrip(".") for line in listing.splitlines() if len(line.split()) >= 6}
    assert {
        "/opt/hvgui/hvgui",
        "/usr/bin/hvgui",
        f"/usr/share/applications/{APP_ID}.desktop",
        f"/usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg",
        f"/usr/share/metainfo/{APP_ID}.metainfo.xml",
    } <= paths
    assert "/usr/bin/hvgui -> ../../opt/hvgui/hvgui" in listing
    assert deb.stat().st_size < 90e6, f"the .deb outgrew 90 MB: {deb.stat().st_size / 1e6:.1f} MB"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the .deb is made on Linux")
def test_the_deb_metadata_passes_the_validators(dist: Path, tmp_path: Path) -> None:
    (deb,) = dist.glob("hvgui_*.deb")
    tools = [t for t in ("desktop-file-validate", "appstreamcli") if shutil.which(t)]
    if not tools:
        pytest.skip("desktop-file-validate and appstreamcli are not installed (desktop-file-utils, appstream)")
    subprocess.run(["dpkg-deb", "-x", deb, tmp_path], check=True)
    share = tmp_path / "usr" / "share"
    desktop = (share / "applications" / f"{APP_ID}.desktop").read_text(encoding="utf-8")
    assert "\nExec=hvgui\n" in desktop and f"\nIcon={APP_ID}\n" in desktop
    if "desktop-file-validate" in tools:
        subprocess.run(["desktop-file-validate", share / "applications" / f"{APP_ID}.desktop"], check=True)
    if "appstreamcli" in tools:
        metainfo = share / "metainfo" / f"{APP_ID}.metainfo.xml"
        assert "@VERSION@" not in metainfo.read_text(encoding="utf-8")
        subprocess.run(["appstreamcli", "validate", "--no-net", metainfo], check=True)


def install_deb(deb: Path, root: Path) -> str:
    """`dpkg -i` into an empty root (its own dpkg database; the libraries it depends on are this system's);
    where dpkg may not install (not root), `dpkg -x` unpacks the same files. Returns how it was done."""
    admin = root / "var" / "lib" / "dpkg"
    for sub in ("info", "updates"):
        (admin / sub).mkdir(parents=True)
    (admin / "status").touch()
    installed = subprocess.run(
        ["dpkg", f"--root={root}", "--force-depends", "-i", deb], capture_output=True, text=True, check=False
    )
    if installed.returncode == 0:
        status = (admin / "status").read_text(encoding="utf-8")
        assert "Package: hvgui\nStatus: install ok installed" in status
        return "dpkg -i"
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    return "dpkg-deb -x"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the .deb is made on Linux")
def test_the_packaged_launcher_runs_the_demo(dist: Path, tmp_path: Path, app_env) -> None:
    (deb,) = dist.glob("hvgui_*.deb")
    root = tmp_path / "root"
    install_deb(deb, root)
    launcher = root / "usr" / "bin" / "hvgui"
    assert launcher.is_symlink() and launcher.resolve() == (root / "opt" / "hvgui" / "hvgui").resolve()
    assert_demo_screenshot(launcher, tmp_path, app_env)
