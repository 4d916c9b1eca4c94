"""`python installer/build.py`: every package of hvgui for the platform it runs on, written to `dist/`.

- a wheel and an sdist (`python -m build`), with the icons, the host module and the emulator's data inside;
- a PyInstaller one-folder build (`dist/hvgui/`, on macOS also `dist/hvgui.app`), from `installer/hvgui.spec`;
- on Linux a `.deb` made from that folder (`/opt/hvgui`, `/usr/bin/hvgui`, a `.desktop` entry, the SVG icon in
  the hicolor theme, AppStream metainfo), checked with `desktop-file-validate` and `appstreamcli validate`
  when they are installed;
- on Windows the Inno Setup installer (`installer/windows/hvgui.iss`) when `iscc` is on PATH;
- on macOS a `.dmg` holding `hvgui.app` (hdiutil).

Each step runs the tools with this Python (`build` and `pyinstaller` come with the project's test extra).
The tests and `bench/startup.py` call `cached_build()`, which builds once per version of the sources.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTALLER = ROOT / "installer"
APP_ID = "io.github.hvgui"
#: Debian packages the frozen Qt needs from the system (it bundles its own Qt and Python).
DEB_DEPENDS = (
    "libc6, libegl1, libgl1, libfontconfig1, libxkbcommon0, libxkbcommon-x11-0, libdbus-1-3, "
    "libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxcb-shape0, libxcb-render-util0, libxcb-image0"
)
#: What `sources_hash()` covers: everything that ends up in a package.
SOURCE_GLOBS = ("hvgui/**/*.py", "hvgui/**/*.json", "hvgui/**/*.ps1", "resources/*.svg", "resources/icons/*")
SOURCE_FILES = ("pyproject.toml", "README.md", "installer/build.py", "installer/hvgui.spec")
SOURCE_FILES += ("installer/linux/hvgui.desktop", "installer/linux/hvgui.metainfo.xml", "installer/windows/hvgui.iss")


def log(message: str) -> None:
    print(f"build: {message}", flush=True)


def version() -> str:
    text = (ROOT / "hvgui" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'__version__ = "([^"]+)"', text)
    assert match, "hvgui/__init__.py has no __version__"
    return match.group(1)


def run(*command: str | Path, cwd: Path = ROOT) -> None:
    log(" ".join(str(c) for c in command))
    subprocess.run([str(c) for c in command], cwd=cwd, check=True)


def build_python_packages(dist: Path) -> list[Path]:
    """The sdist, then the wheel built from it (so the sdist is known to be complete)."""
    run(sys.executable, "-m", "build", "--outdir", dist, ROOT)
    return sorted(dist.glob("hvgui-*.tar.gz")) + sorted(dist.glob("hvgui-*.whl"))


def render_app_icon(work: Path) -> Path | None:
    """The executable's icon for Windows (.ico) or macOS (.icns), rendered from `resources/hvgui.svg` with Qt's
    image plugins, so the SVG stays the only source of the icon. None on Linux (the .deb installs the SVG)."""
    suffix = {"win32": "ico", "darwin": "icns"}.get(sys.platform)
    if suffix is None:
        return None
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QImageReader, QImageWriter

    reader = QImageReader(str(ROOT / "resources" / "hvgui.svg"))
    reader.setScaledSize(QSize(256, 256))
    image = reader.read()
    target = work / f"hvgui.{suffix}"
    work.mkdir(parents=True, exist_ok=True)
    writer = QImageWriter(str(target), suffix.encode())
    if image.isNull() or not writer.write(image):
        raise RuntimeError(f"could not render {target.name}: {reader.errorString()} {writer.errorString()}")
    return target


def build_frozen(dist: Path, work: Path) -> Path:
    """PyInstaller's one-folder build: `dist/hvgui/` (and `dist/hvgui.app` on macOS)."""
    started = time.monotonic()
    icon = render_app_icon(work)
    if icon is not None:
        os.environ["HVGUI_APP_ICON"] = str(icon)  # read by installer/hvgui.spec
    run(
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
        "--distpath", dist, "--workpath", work / "pyinstaller", INSTALLER / "hvgui.spec",
    )  # fmt: skip
    log(f"PyInstaller took {time.monotonic() - started:.1f} s")
    return dist / "hvgui"


def _deb_architecture() -> str:
    try:
        return subprocess.run(
            ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def _folder_kib(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) // 1024


def build_deb(frozen: Path, dist: Path, work: Path) -> Path:
    """A `.deb` of the frozen folder: the program in /opt/hvgui, a relative /usr/bin/hvgui link (so the
    launcher also works from a package unpacked under another root), menu entry, icon and metainfo."""
    ver, arch = version(), _deb_architecture()
    root = work / "deb" / "root"
    shutil.rmtree(root.parent, ignore_errors=True)
    shutil.copytree(frozen, root / "opt" / "hvgui", symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / "hvgui").symlink_to("../../opt/hvgui/hvgui")
    share = root / "usr" / "share"
    _copy(INSTALLER / "linux" / "hvgui.desktop", share / "applications" / f"{APP_ID}.desktop")
    _copy(ROOT / "resources" / "hvgui.svg", share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg")
    metainfo = (INSTALLER / "linux" / "hvgui.metainfo.xml").read_text(encoding="utf-8")
    metainfo = metainfo.replace("@VERSION@", ver).replace("@DATE@", time.strftime("%Y-%m-%d"))
    (share / "metainfo").mkdir(parents=True)
    (share / "metainfo" / f"{APP_ID}.metainfo.xml").write_text(metainfo, encoding="utf-8")
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN" / "control").write_text(
        f"Package: hvgui\nVersion: {ver}\nArchitecture: {arch}\nSection: admin\nPriority: optional\n"
        f"Maintainer: hvgui maintainers <maintainers@hvgui.invalid>\nInstalled-Size: {_folder_kib(root)}\n"
        f"Depends: {DEB_DEPENDS}\n"
        "Description: desktop console for Hyper-V integration services\n"
        " The VMs of one or many Hyper-V hosts, live, with their integration services, heartbeats,\n"
        " key-value pairs and guest file copy, over PowerShell Remoting (WinRM).\n",
        encoding="utf-8",
    )
    for path in [root, *root.rglob("*")]:  # dpkg-deb wants 0755 directories whatever the umask was
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    validate_linux_metadata(root)
    deb = dist / f"hvgui_{ver}_{arch}.deb"
    # zstd (dpkg >= 1.21.18: Debian 12, Ubuntu 21.10) packs the 180 MB folder in seconds; xz takes minutes.
    run("dpkg-deb", "--root-owner-group", "-Zzstd", "-z9", "--build", root, deb)
    log(f"{deb.name}: {deb.stat().st_size / 1e6:.1f} MB")
    return deb


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(0o644)


def validate_linux_metadata(root: Path) -> None:
    """desktop-file-validate and `appstreamcli validate` on the staged files, where Debian provides them
    (packages desktop-file-utils and appstream); a missing tool is said, not silently passed."""
    share = root / "usr" / "share"
    checks = [
        ("desktop-file-validate", [share / "applications" / f"{APP_ID}.desktop"], "desktop-file-utils"),
        (
            "appstreamcli",
            ["validate", "--no-net", "--explain", share / "metainfo" / f"{APP_ID}.metainfo.xml"],
            "appstream",
        ),
    ]
    for tool, args, package in checks:
        if shutil.which(tool) is None:
            log(f"SKIPPED {tool}: not installed (apt-get install {package})")
            continue
        run(tool, *args)


def build_windows_installer(dist: Path) -> Path | None:
    iscc = shutil.which("iscc")
    for folder in (os.environ.get("PROGRAMFILES(X86)"), os.environ.get("PROGRAMFILES")):
        candidate = Path(folder or "/nonexistent") / "Inno Setup 6" / "ISCC.exe"
        if iscc is None and candidate.is_file():
            iscc = str(candidate)
    if iscc is None:
        log("SKIPPED the Windows installer: Inno Setup's iscc is not on PATH")
        return None
    run(iscc, f"/DAppVersion={version()}", f"/DDistDir={dist}", f"/O{dist}", INSTALLER / "windows" / "hvgui.iss")
    return dist / f"hvgui-{version()}-setup.exe"


def build_dmg(dist: Path) -> Path:
    dmg = dist / f"hvgui-{version()}.dmg"
    run("hdiutil", "create", "-volname", "hvgui", "-srcfolder", dist / "hvgui.app", "-ov", "-format", "UDZO", dmg)
    return dmg


def build_all(dist: Path, work: Path, *, python_packages: bool = True, frozen: bool = True) -> list[Path]:
    dist.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    if python_packages:
        made += build_python_packages(dist)
    if frozen:
        folder = build_frozen(dist, work)
        made.append(folder)
        if sys.platform.startswith("linux"):
            made.append(build_deb(folder, dist, work))
        elif sys.platform == "win32":
            made += [p for p in [build_windows_installer(dist)] if p]
        elif sys.platform == "darwin":
            made.append(build_dmg(dist))
    return made


def sources_hash() -> str:
    """A digest of every file that goes into a package, and of the Python that builds it."""
    digest = hashlib.sha256(f"{sys.version} {sys.executable}".encode())
    files = {ROOT / name for name in SOURCE_FILES} | {p for g in SOURCE_GLOBS for p in ROOT.glob(g)}
    for path in sorted(p for p in files if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def cached_build(cache: Path | None = None) -> Path:
    """`dist/` of a full build of the current sources, built once and reused until a source changes.

    Builds go to `<cache>/<hash>/dist` (default cache: `build/packages` in the checkout, or
    `$HVGUI_PACKAGE_CACHE`); a build is moved into place only when complete, and older ones are removed.
    """
    cache = Path(cache or os.environ.get("HVGUI_PACKAGE_CACHE") or ROOT / "build" / "packages")
    key = sources_hash()
    done = cache / key
    if (done / "dist").is_dir():
        return done / "dist"
    cache.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=cache))
    build_all(scratch / "dist", scratch / "work")
    shutil.rmtree(scratch / "work", ignore_errors=True)
    try:
        scratch.rename(done)
    except OSError:  # another run finished the same build first
        shutil.rmtree(scratch, ignore_errors=True)
    for old in cache.iterdir():
        if old.name != key and not old.name.startswith(f"{key}."):
            shutil.rmtree(old, ignore_errors=True)
    return done / "dist"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the packages go (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="scratch space (default: build/)")
    parser.add_argument("--no-python-packages", action="store_true", help="skip the wheel and the sdist")
    parser.add_argument("--no-frozen", action="store_true", help="skip PyInstaller and the platform packages")
    parser.add_argument(
        "--cached",
        action="store_true",
        help="build into the cache the tests use (or reuse it when the sources are unchanged), then copy to --dist",
    )
    args = parser.parse_args()
    if args.cached:
        built = cached_build()
        args.dist.mkdir(parents=True, exist_ok=True)
        for path in sorted(built.iterdir()):
            target = args.dist / path.name
            if path.is_dir():
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(path, target, symlinks=True)
            else:
                shutil.copy2(path, target)
            log(f"made {target}")
        return 0
    made = build_all(args.dist, args.work, python_packages=not args.no_python_packages, frozen=not args.no_frozen)
    for path in made:
        log(f"made {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
