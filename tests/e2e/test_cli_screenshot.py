"""`hvgui --screenshot` end to end: the demo, a real `--host` with a password on stdin, and bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from hvgui.emulator.process import EmulatorProcess

ROOT = Path(__file__).resolve().parents[2]


def hvgui(*args: str, stdin: str | None = None, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}  # --screenshot must choose it itself
    return subprocess.run(
        [sys.executable, "-m", "hvgui", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_real_screenshot(path: Path) -> QImage:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = QImage(str(path))
    assert not image.isNull()
    assert 1200 <= image.width() <= 1600
    assert 700 <= image.height() <= 1000
    colours = {image.pixel(x, y) for x in range(0, image.width(), 23) for y in range(0, image.height(), 17)}
    assert len(colours) > 20, "the screenshot looks blank"
    return image


@pytest.fixture(scope="module")
def emulator_process() -> Iterator[EmulatorProcess]:
    """Hosts as a real one is by default: WinRM over HTTP, Negotiate (NTLM) with every message sealed."""
    with EmulatorProcess.start("demo", tls=False) as process:
        yield process


@pytest.fixture(scope="module")
def tls_emulator_process() -> Iterator[EmulatorProcess]:
    with EmulatorProcess.start("demo", tls=True) as process:
        yield process


def test_demo_screenshot(qapp, tmp_path: Path) -> None:
    shot = tmp_path / "demo.png"
    result = hvgui("--demo", "--screenshot", str(shot))
    assert result.returncode == 0, result.stderr
    assert_real_screenshot(shot)


def test_demo_screenshot_of_a_vms_integration_services(qapp, tmp_path: Path) -> None:
    shot = tmp_path / "services.png"
    result = hvgui("--demo", "--screenshot", str(shot), "--screenshot-tab", "services", "--screenshot-vm", "web02")
    assert result.returncode == 0, result.stderr
    assert_real_screenshot(shot)


def test_a_screenshot_of_a_vm_that_does_not_exist_fails_with_the_reason(tmp_path: Path) -> None:
    result = hvgui("--demo", "--screenshot", str(tmp_path / "never.png"), "--screenshot-vm", "no-such-vm")
    assert result.returncode == 1
    assert "no VM is named 'no-such-vm'" in result.stderr
    assert not (tmp_path / "never.png").exists()


def test_screenshot_of_real_hosts_with_the_password_on_stdin(qapp, tmp_path: Path, emulator_process) -> None:
    endpoints = emulator_process.endpoints
    assert len({e.password for e in endpoints}) == 1, "one --password-stdin serves every host"
    args = []
    for endpoint in endpoints:
        assert endpoint.auth == ("negotiate",) and not endpoint.use_https
        args += ["--host", f"http://{endpoint.username}@{endpoint.address}:{endpoint.port}"]
    shot = tmp_path / "hosts.png"
    result = hvgui(
        *args,
        "--auth",
        "negotiate",
        "--password-stdin",
        "--screenshot",
        str(shot),
        stdin=endpoints[0].password + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert_real_screenshot(shot)


def test_a_wrong_password_fails_the_screenshot_with_the_reason(tmp_path: Path, emulator_process) -> None:
    endpoint = emulator_process.endpoints[0]
    shot = tmp_path / "never.png"
    result = hvgui(
        "--host",
        f"http://{endpoint.username}@{endpoint.address}:{endpoint.port}",
        "--auth",
        "negotiate",
        "--password-stdin",
        "--screenshot",
        str(shot),
        "--screenshot-timeout",
        "3",  # ample: the refusal arrives within a second of connecting
        stdin="not-the-password\n",
    )
    assert result.returncode == 3
    assert "did not arrive" in result.stderr
    assert "user name or password" in result.stderr
    assert "not-the-password" not in result.stderr
    assert not shot.exists()


def test_a_certificate_that_is_not_trusted_fails_with_the_reason(tmp_path: Path, tls_emulator_process) -> None:
    endpoint = tls_emulator_process.endpoints[0]
    result = hvgui(
        "--host",
        f"https://{endpoint.username}@{endpoint.address}:{endpoint.port}",
        "--auth",
        "negotiate",
        "--password-stdin",  # no --ca-file: the emulator's CA is not in the system store
        "--screenshot",
        str(tmp_path / "never.png"),
        "--screenshot-timeout",
        "3",  # ample: the refusal arrives within a second of connecting
        stdin=endpoint.password + "\n",
    )
    assert result.returncode == 3
    assert "certificate" in result.stderr.lower()


def test_bad_command_line_exits_2(tmp_path: Path) -> None:
    result = hvgui("--host", "https://admin:pw@hv01")
    assert result.returncode == 2
    assert "password" in result.stderr
