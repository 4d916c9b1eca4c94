"""`python -m hvgui.emulator` as a child process, and `EmulatorProcess` that drives it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pypsrp.exceptions import AuthenticationError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvgui.emulator.cli import main
from hvgui.emulator.command_log import ENV_VAR
from hvgui.emulator.endpoints import READY_LINE, parse_listening_line
from hvgui.emulator.process import EmulatorProcess, EmulatorStartError


def _get_vm_names(wsman: WSMan) -> list[str]:
    with wsman, RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-VM")
        return [str(vm.adapted_properties["Name"]) for vm in ps.invoke()]


def test_emulator_process_serves_the_demo_over_tls_and_stops_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_log, shared_log = tmp_path / "own.jsonl", tmp_path / "shared.jsonl"
    monkeypatch.setenv(ENV_VAR, str(shared_log))  # children inherit it
    with EmulatorProcess.start("demo", tls=True, seed=1, extra_args=("--command-log", str(own_log))) as child:
        assert len(child.endpoints) >= 2
        ports = {endpoint.port for endpoint in child.endpoints}
        assert len(ports) == len(child.endpoints)  # one port per host
        endpoint = child.endpoints[0]
        assert endpoint.use_https and endpoint.ca_file and Path(endpoint.ca_file).is_file()
        assert endpoint.username.startswith("hvadmin") and len(endpoint.password) >= 12
        assert endpoint.auth == ("negotiate",)  # a real host's default: Negotiate, Basic off
        wsman = WSMan(
            endpoint.address,
            port=endpoint.port,
            username=endpoint.username,
            password=endpoint.password,
            ssl=True,
            auth="negotiate",  # NTLM over TLS, bound to the certificate (channel binding)
            cert_validation=endpoint.ca_file,
        )
        assert _get_vm_names(wsman)
        ca_file = endpoint.ca_file
        status = child.stop()
    assert status == 0  # SIGTERM is a clean shutdown
    assert not Path(ca_file).exists()  # the generated CA went with the process
    own = [json.loads(line) for line in own_log.read_text().splitlines()]
    shared = [json.loads(line) for line in shared_log.read_text().splitlines()]
    assert [line["command"] for line in own] == ["Get-VM"]
    assert own == shared
    assert own[0]["host"] == endpoint.host_name


def test_cli_prints_endpoints_and_exits_zero_on_sigint() -> None:
    command = [sys.executable, "-m", "hvgui.emulator", "--scenario", "demo", "--user", "alice", "--password", "p w"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        lines = []
        for line in child.stdout:
            lines.append(line.rstrip("\n"))
            if line.rstrip("\n") == READY_LINE:
                break
        endpoints = [parse_listening_line(line) for line in lines[:-1]]
        assert endpoints and all(endpoints)
        first = endpoints[0]
        assert first is not None
        assert first.url == f"http://127.0.0.1:{first.port}/wsman"
        assert (first.username, first.password, first.ca_file) == ("alice", "p w", None)
        assert first.auth == ("negotiate",)
        # Negotiate over plain HTTP: NTLM, with every message sealed (MS-WSMV message encryption).
        wsman = WSMan(first.address, port=first.port, username="alice", password="p w", ssl=False, auth="negotiate")
        assert _get_vm_names(wsman)
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=10) == 0


def test_cli_auth_basic_keeps_plain_basic_and_refuses_negotiate() -> None:
    command = [sys.executable, "-m", "hvgui.emulator", "--scenario", "demo", "--auth", "basic"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        first = parse_listening_line(child.stdout.readline())
        assert first is not None and first.auth == ("basic",)
        options = {"port": first.port, "username": first.username, "password": first.password, "ssl": False}
        assert _get_vm_names(WSMan(first.address, auth="basic", encryption="never", **options))
        with pytest.raises(AuthenticationError, match="Basic"):  # the 401 offers only Basic
            _get_vm_names(WSMan(first.address, auth="negotiate", **options))
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=10) == 0


def test_cli_rejects_an_unknown_auth_method(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--auth", "negotiate,digest"])
    assert exited.value.code == 2
    assert "unknown authentication method 'digest'" in capsys.readouterr().err


def test_cli_refuses_a_non_loopback_address_without_allow_remote() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hvgui.emulator", "--listen", "0.0.0.0:0", "--scenario", "demo"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0" in result.stderr
    assert "--allow-remote" in result.stderr
    assert READY_LINE not in result.stdout


def test_help_documents_every_option_and_the_one_port_per_host_choice(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for option in (
        "--listen",
        "--scenario",
        "--tls",
        "--cert",
        "--key",
        "--user",
        "--password",
        "--seed",
        "--command-log",
        "--allow-remote",
        "--auth",
        ENV_VAR,
    ):
        assert option in text
    assert "one port per host" in text.replace("\n", " ").lower()


def test_cli_rejects_a_certificate_without_its_key(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--cert", "server.pem"])
    assert exited.value.code == 2
    assert "--cert and --key go together" in capsys.readouterr().err


def test_emulator_process_reports_the_childs_stderr_when_it_cannot_start() -> None:
    with pytest.raises(EmulatorStartError) as raised:
        EmulatorProcess.start("no-such-scenario-anywhere", tls=False, timeout=30)
    message = str(raised.value)
    assert "exited before it was ready" in message
    assert "cannot load scenario 'no-such-scenario-anywhere'" in message
