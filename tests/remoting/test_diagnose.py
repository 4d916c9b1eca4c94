"""`hvgui --diagnose`: a read-only, redacted report of what a host answers and what it costs.

One emulated host (the demo scenario's first) is diagnosed once per module, after a checkpoint with a
telling name was taken on its first VM; the tests then read that report. The client is the real pypsrp
over loopback. The emulator's command log proves what was sent; the scenario's model says which names and
values must not appear in the report.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from remoting_support import closed_port, read_command_log, run

from hvgui import __version__
from hvgui.__main__ import main, parse_args
from hvgui.domain.connection import AuthMethod, ConnectionSettings
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.emulator.hyperv.costs import load_profile, profile_from_json
from hvgui.remoting import HostApi, HostConnection, PipelineSpec
from hvgui.remoting.diagnose import (
    READ_ONLY_COMMANDS,
    NotReadOnly,
    Probe,
    check_read_only,
    cim_probes,
    first_probes,
    inventory_calls,
    per_vm_probes,
    run_cli,
)
from hvgui.remoting.diagnose_costs import CostInputs, Sample, fit_line, fit_profile
from hvgui.remoting.diagnose_shapes import Redactor, ShapeCatalog
from hvgui.remoting.module import host_module_text

REPO = Path(__file__).resolve().parents[2]
CHECKPOINT_NAME = "payroll before KB5034441 patch"
VM_TYPE = "Microsoft.HyperV.PowerShell.VirtualMachine"


class Diagnosed:
    """One emulated host, the report written about it, and what the run printed."""

    def __init__(self, emulator: RunningEmulator, report_path: Path, log_path: Path, printed: str, status: int) -> None:
        self.emulator = emulator
        self.report_path = report_path
        self.log_path = log_path
        self.printed = printed
        self.status = status
        self.text = report_path.read_text(encoding="utf-8")
        self.report: dict[str, Any] = json.loads(self.text)

    def command(self, probe: str) -> dict[str, Any]:
        return next(c for c in self.report["commands"] if c["probe"] == probe)


@pytest.fixture(scope="module")
def diagnosed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Diagnosed]:
    folder = tmp_path_factory.mktemp("diagnose")
    log_path = folder / "commands.jsonl"
    with start_emulator("demo", command_log=str(log_path)) as emulator:
        endpoint = emulator.endpoints[0]

        async def take_checkpoint() -> None:
            connection = HostConnection(endpoint.connection_settings(), endpoint.password)
            try:
                api = HostApi(connection)
                first = (await api.get_vms())[0]
                await api.checkpoint(first.vm_id, CHECKPOINT_NAME)
            finally:
                await connection.close()

        run(take_checkpoint)
        setup_lines = len(read_command_log(log_path))
        out = io.StringIO()
        report_path = folder / "report.json"
        status = run_cli(endpoint.connection_settings(), endpoint.password, report_path, repetitions=2, out=out)
        # Only the diagnose run's commands stay in the log the tests read.
        diagnose_log = folder / "diagnose.jsonl"
        lines = log_path.read_text(encoding="utf-8").splitlines(keepends=True)[setup_lines:]
        diagnose_log.write_text("".join(lines), encoding="utf-8")
        yield Diagnosed(emulator, report_path, diagnose_log, out.getvalue(), status)


def scenario_secrets(emulator: RunningEmulator) -> set[str]:
    """Every name and value of the diagnosed host that could identify it: host, VMs, guests, KVP, credentials."""
    endpoint = emulator.endpoints[0]
    host = _model(emulator)
    found = {host.name, host.fqdn, host.domain, endpoint.username, endpoint.password, endpoint.address}
    for vm in host.vms:
        found |= {vm.name, str(vm.id), str(vm.id).upper(), vm.guest.hostname, vm.guest.os.os_name, vm.hardware.notes}
        found |= {*vm.guest.ipv4, *vm.guest.ipv6, *vm.kvp.intrinsic().values(), *vm.kvp.auto_external.values()}
        found |= {s.name for s in vm.snapshots}
    return {s for s in found if _distinctive(s)}


def _model(emulator: RunningEmulator) -> Any:
    """The host model behind the first endpoint."""
    return emulator.scenario.host(emulator.endpoints[0].host_name).model


def _distinctive(text: str) -> bool:
    """Long enough to mean something, and not a bare number or version (which timings could contain)."""
    return len(text) >= 4 and (any(c.isalpha() for c in text) or text.count(".") >= 2 or ":" in text)


def _occurs(secret: str, text: str) -> bool:
    forms = {secret, json.dumps(secret, ensure_ascii=False)[1:-1], json.dumps(secret)[1:-1]}
    return any(re.search(rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])", text) for form in forms)


# --- the report against the emulator -------------------------------------------------------------------------


def test_report_carries_no_name_or_value_of_the_scenario(diagnosed: Diagnosed) -> None:
    assert diagnosed.status == 0
    secrets = scenario_secrets(diagnosed.emulator)
    names = {vm.name for vm in _model(diagnosed.emulator).vms}
    assert CHECKPOINT_NAME in secrets and "Windows Server 2022 Datacenter" in secrets and names <= secrets
    assert any(s.count(".") == 3 and s[0].isdigit() for s in secrets)  # the guests' IPv4 addresses are checked
    leaked = sorted(s for s in secrets if _occurs(s, diagnosed.text))
    assert leaked == []
    # The summary names the endpoint the admin typed ("diagnosing 127.0.0.1:port"), and nothing else.
    shown = secrets - {diagnosed.emulator.endpoints[0].address}
    assert sorted(s for s in shown if _occurs(s, diagnosed.printed)) == []


def test_report_records_the_shapes_of_hyperv_objects(diagnosed: Diagnosed) -> None:
    types, enums = diagnosed.report["types"], diagnosed.report["enums"]
    vm = types[VM_TYPE]
    assert vm["type_names"][:2] == [VM_TYPE, "Microsoft.HyperV.PowerShell.VirtualMachineBase"]
    assert vm["instances"] >= 8
    assert vm["properties"]["Name"] == ["string"]
    assert vm["properties"]["Id"] == ["guid"]
    assert vm["properties"]["State"] == [{"enum": "Microsoft.HyperV.PowerShell.VMState"}]
    assert set(map(json.dumps, vm["properties"]["Heartbeat"])) == {
        '"null"',  # the VMs that are off
        json.dumps({"enum": "Microsoft.HyperV.PowerShell.VMHeartbeatStatus"}),
    }
    assert {"Running": 2, "Off": 3, "Saved": 6}.items() <= enums["Microsoft.HyperV.PowerShell.VMState"].items()
    assert "Microsoft.HyperV.PowerShell.VMIntegrationComponent" in types
    assert "Microsoft.HyperV.PowerShell.VMSnapshot" in types
    assert types["Microsoft.HyperV.PowerShell.VMHost"]["properties"]["LogicalProcessorCount"] == ["int"]
    assert diagnosed.command("Get-VM")["output"] == [{"object": VM_TYPE}]
    assert diagnosed.command("Get-VM")["objects"] == diagnosed.report["counts"]["vms"] == 8
    assert diagnosed.command("Get-VMSnapshot 1")["objects"] == 1
    assert diagnosed.command("Get-VMIntegrationService")["objects"] == 48


def test_the_inventory_is_reduced_to_its_keys_and_value_kinds(diagnosed: Diagnosed) -> None:
    [document] = diagnosed.report["inventory_shape"]
    fields = document["record"]
    assert fields["v"] == ["int"] and fields["host"] == ["string"]
    [rows] = fields["vms"]
    row = rows["list"][0]["record"]
    assert {"id", "name", "state", "hb", "ic", "os", "osv", "ptype"} <= row.keys()
    assert row["name"] == ["string"] and row["os"] == ["null", "string"]
    assert row["ic"][0]["list"][0]["record"]["on"] == ["bool"]
    assert diagnosed.command("Get-HvGuiInventory")["objects"] == 8


def test_every_command_is_timed_and_a_failing_one_is_recorded_by_its_error_id(diagnosed: Diagnosed) -> None:
    commands = diagnosed.report["commands"]
    assert {c["probe"] for c in commands} >= {p.key for p in first_probes()} | {p.key for p in cim_probes()}
    for command in commands:
        if command["ok"]:
            assert len(command["runs_s"]) == 2 and command["median_s"] > 0 and isinstance(command["objects"], int)
        else:
            failure = command["failure"]
            assert failure["error_id"] and failure["category"] and failure["after_s"] > 0
            assert "message" not in failure
            assert f"failed  {failure['error_id']}" in diagnosed.printed
    assert diagnosed.report["session"]["first_call_s"] > 0


def test_the_run_sent_only_read_only_commands(diagnosed: Diagnosed) -> None:
    entries = read_command_log(diagnosed.log_path)
    sent = {e["command"] for e in entries if not e["script"]}
    scripts = {e["script"] for e in entries if e["script"]}
    assert sent <= READ_ONLY_COMMANDS
    assert {"Get-VM", "Get-VMHost", "Get-HvGuiInventory", "Get-VMSnapshot", "Get-CimInstance"} <= sent
    assert len(scripts) == 1 and "unrecognised" not in scripts  # hvgui's host module, nothing else


def test_the_emulator_loads_the_report_as_a_cost_profile(diagnosed: Diagnosed) -> None:
    profile = load_profile(str(diagnosed.report_path))
    written = diagnosed.report["cost_profile"]
    assert profile.name == "diagnose"
    assert profile.cmdlet("Get-VM").base == written["cmdlets"]["Get-VM"]["base"]
    assert profile.cmdlet("Get-VM").per_object == written["cmdlets"]["Get-VM"]["per_object"]
    assert {"get-vm", "get-vmhost", "get-vmintegrationservice", "get-vmsnapshot", "get-hvguiinventory"} <= set(
        profile.cmdlets
    )
    assert profile.to_json() == {**written, "cmdlets": {k.casefold(): v for k, v in written["cmdlets"].items()}}


def test_the_admin_is_told_where_the_report_is_and_that_nothing_was_sent(diagnosed: Diagnosed) -> None:
    assert f"Report: {diagnosed.report_path}" in diagnosed.printed
    assert f"{len(diagnosed.report['types'])} object types" in diagnosed.printed
    assert "nothing was sent anywhere" in diagnosed.printed
    assert "Get-VM | Get-VMIntegrationService" in diagnosed.printed
    assert diagnosed.report["privacy"].startswith("Written by hvgui --diagnose on this computer")


# --- the read-only guarantee ---------------------------------------------------------------------------------


def test_every_probe_is_on_the_read_only_allow_list() -> None:
    probes = [*first_probes(), *per_vm_probes([uuid.uuid4(), uuid.uuid4()]), *cim_probes()]
    for probe in probes:
        assert all(c.name in READ_ONLY_COMMANDS for c in probe.spec.commands)
    assert all(name.startswith("Get-") for name in READ_ONLY_COMMANDS)


@pytest.mark.parametrize(
    "spec",
    [
        PipelineSpec.cmdlet("Stop-VM"),
        PipelineSpec.cmdlet("Get-VM").pipe("Remove-VMSnapshot"),
        PipelineSpec.cmdlet("Invoke-CimMethod"),
        PipelineSpec.host_module_loader(),
    ],
    ids=["mutating cmdlet", "mutating stage of a pipeline", "CIM method", "script"],
)
def test_anything_else_is_refused_before_it_can_be_sent(spec: PipelineSpec) -> None:
    with pytest.raises(NotReadOnly):
        check_read_only(spec)
    with pytest.raises(NotReadOnly):
        Probe("x", spec, "x")


# --- redaction and the cost fit ------------------------------------------------------------------------------


def test_names_are_hashed_with_a_salt_of_each_report() -> None:
    one, other = Redactor(), Redactor()
    one.learn(["web01", None, ""])
    assert one.name("MemoryAssigned") == "MemoryAssigned"
    assert one.name("web01") == one.hash("web01") != other.hash("web01")
    assert re.fullmatch(r"h:[0-9a-f]{16}", one.name("qa-'quoted' $(whoami)"))
    assert one.enum_text("Running") == "Running" and one.enum_text("Running; rm") != "Running; rm"


def test_data_keys_become_a_map_and_learnt_names_are_hashed_as_keys() -> None:
    redactor = Redactor()
    catalog = ShapeCatalog(redactor)
    hashtables = catalog.outputs([{"web01": 1, "sql01": "x"}, {"Count": 2}])  # pypsrp's Hashtables
    document = catalog.json_text('{"vms": {"web01": {"on": true}, "Count": {"on": false}}, "n": 2}')
    redactor.learn(["web01"])  # names learnt later still count: redaction happens when the report is written
    assert hashtables.to_json(redactor) == [{"map": ["int", "string"]}]
    [record] = document.to_json(redactor)
    assert record["record"]["n"] == ["int"]
    assert record["record"]["vms"] == [
        {"record": {"Count": [{"record": {"on": ["bool"]}}], redactor.hash("web01"): [{"record": {"on": ["bool"]}}]}}
    ]


def test_the_calls_of_the_inventory_function_are_read_from_the_module_text() -> None:
    module = """
function Get-HvGuiInventory {
    <# One Get-VMIntegrationService per VM would be slow. #>
    # Get-VMSnapshot is not called
    $vms = @(Get-VM -ErrorAction Stop)
    $a = Get-CimInstance -Namespace $ns -ClassName 'Msvm_SummaryInformation' -Property 'Name'
    $b = @(Get-CimInstance -Namespace $ns -ClassName Msvm_HeartbeatComponent -Filter "x = 'Microsoft:Hyper-V:y'")
}

function Set-HvGuiIntegrationService {
    Get-VMIntegrationService -VM $vm
}
"""
    calls = inventory_calls(module)
    assert calls.cmdlets == {"Get-VM", "Get-CimInstance"}
    assert calls.cim_classes == ("Msvm_SummaryInformation", "Msvm_HeartbeatComponent")
    bundled = inventory_calls(host_module_text())
    assert bundled.cmdlets & {"Get-VM", "Get-CimInstance"}  # whichever the module's version uses


def test_a_line_is_fitted_through_the_samples() -> None:
    assert fit_line([Sample(0.2, 1), Sample(1.1, 10)]) == (0.1, 0.1)
    assert fit_line([Sample(0.3, 5)]) == (0.3, 0.0)
    assert fit_line([Sample(0.5, 1), Sample(0.4, 10)])[1] == 0.0  # noise, not a negative cost per object
    assert fit_line([]) == (0.0, 0.0)


def test_the_profile_charges_the_inventory_only_its_own_work() -> None:
    inputs = CostInputs(
        vm_count=10,
        get_vm_one=Sample(0.15, 1),
        get_vm_all=Sample(0.6, 10),
        integration_one=Sample(0.25, 6),  # Get-VM -Id | Get-VMIntegrationService: 0.1 s of its own
        integration_all=Sample(1.24, 60),  # 0.64 s of its own
        vm_host=Sample(0.05, 1),
        inventory=Sample(2.0, 10),
        inventory_cmdlets=frozenset({"Get-VM", "Get-VMIntegrationService", "Get-CimInstance"}),
        inventory_cim_instances=(10,),
        cim=(Sample(0.04, 11), Sample(0.06, 31)),
    )
    profile, notes = fit_profile(inputs)
    cmdlets: Any = profile["cmdlets"]
    assert cmdlets["Get-VM"] == pytest.approx({"base": 0.1, "per_object": 0.05})
    assert cmdlets["Get-VMIntegrationService"] == pytest.approx({"base": 0.04, "per_object": 0.01})
    assert (profile["cim_call"], profile["cim_per_instance"]) == pytest.approx((0.029, 0.001))
    assert profile["default"] == pytest.approx({"base": 0.04, "per_object": 0.0})  # the fastest command
    # 2.0 s minus Get-VM (0.6), Get-VMIntegrationService (0.64) and the KVP query (0.039): 0.721 s of its own,
    # of which the default command cost is its base and the rest is spread over the 10 VMs.
    assert cmdlets["Get-HvGuiInventory"] == pytest.approx({"base": 0.04, "per_object": 0.0681})
    assert "Get-VMSnapshot" not in cmdlets and "failed" in notes["Get-VMSnapshot"]
    assert profile_from_json({"cost_profile": profile}).cmdlet("GET-VM").per_object == 0.05


# --- the command line ----------------------------------------------------------------------------------------


def _uri(emulator: RunningEmulator) -> str:
    endpoint = emulator.endpoints[0]
    return f"http://{endpoint.username}@{endpoint.address}:{endpoint.port}"


def test_the_command_line_runs_without_qt_and_writes_the_report(tmp_path: Path) -> None:
    report = tmp_path / "out" / "report.json"
    with start_emulator("demo") as emulator:
        completed = subprocess.run(
            [
                *(sys.executable, "-X", "importtime", "-m", "hvgui", "--diagnose", _uri(emulator), "--auth", "basic"),
                *("--password-stdin", "--diagnose-output", str(report)),
            ],
            input=emulator.endpoints[0].password + "\n",
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert f"Report: {report}" in completed.stdout
    assert "nothing was sent anywhere" in completed.stdout
    written = json.loads(report.read_text(encoding="utf-8"))
    assert written["counts"]["vms"] == 8 and written["hvgui_version"] == __version__
    imported = [line.rsplit("|", 1)[-1].strip() for line in completed.stderr.splitlines() if "import time:" in line]
    assert "hvgui.remoting.diagnose" in imported
    assert not [name for name in imported if name.startswith(("PySide6", "qasync"))]


def test_a_wrong_password_fails_with_hvguis_message_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    monkeypatch.setattr(sys, "stdin", io.StringIO("not the password\n"))
    with start_emulator("demo") as emulator:
        status = main(
            ["--diagnose", _uri(emulator), "--auth", "basic", "--password-stdin", "--diagnose-output", str(report)]
        )
    assert status == 1
    assert "refused the user name or password" in capsys.readouterr().err
    assert not report.exists()


def test_the_diagnosed_host_is_given_like_a_host() -> None:
    options = parse_args(["--diagnose", "https://admin@hv01", "--auth", "ntlm", "--ca-file", "/tmp/ca.pem"])
    assert options.diagnose == ConnectionSettings(
        host="hv01", port=5986, use_https=True, auth=AuthMethod.Ntlm, username="admin", ca_file="/tmp/ca.pem"
    )
    assert options.hosts == () and options.diagnose_output is None
    assert parse_args(["--diagnose", "hv01", "--password-stdin"]).password_stdin


def test_a_host_that_does_not_listen_fails_with_status_1(tmp_path: Path) -> None:
    port = closed_port()
    settings = ConnectionSettings("127.0.0.1", port, use_https=False, auth=AuthMethod.Basic, username="admin")
    err = io.StringIO()
    status = run_cli(settings, "pw", tmp_path / "report.json", out=io.StringIO(), err=err)
    assert status == 1
    assert err.getvalue().startswith(f"hvgui: cannot diagnose 127.0.0.1:{port}: Nothing is listening on ")
    assert not (tmp_path / "report.json").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--diagnose", "ftp://hv01"],
        ["--diagnose", "hv01", "--demo"],
        ["--diagnose", "hv01", "--host", "hv02"],
        ["--diagnose-output", "x.json"],
    ],
    ids=["bad URI", "with --demo", "with --host", "output without --diagnose"],
)
def test_bad_usage_exits_with_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "--diagnose" in capsys.readouterr().err


def test_without_a_terminal_the_password_must_come_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("secret\n"))
    assert main(["--diagnose", "https://admin@hv01"]) == 2
    assert "--password-stdin" in capsys.readouterr().err
