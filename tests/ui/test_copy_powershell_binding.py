"""Copy as PowerShell for a selection on two hosts, checked against the emulator's parameter binding.

The text comes from the window's own components: the VM menu's power commands, the Activity panel, the bulk
preview and the window's bulk dialog, and the copy buttons of the services and checkpoints tabs (the fleet
grid copies nothing: a VM double-clicked there is selected in the main window, whose commands these are).
Each line is parsed as PowerShell would read it and every Hyper-V cmdlet in it is bound with the emulator's
real binder against the documented parameter sets: a wrong parameter name or a parameter set
that cannot be resolved fails the test. `Where-Object` is no Hyper-V cmdlet; its script block must hold
constant text only. Then the text is run, line by line, on the emulated host its `-ComputerName` names:
both hosts hold a VM called 'web01', and only the one hvgui selected may change.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest
from powershell_text import (
    Command,
    UnreadableText,
    arguments,
    bind,
    bind_alone,
    constant_filter,
    parse_line,
)
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMainWindow

from hvgui.domain.bulk import ALL_ON, planned_change
from hvgui.domain.integration import GUEST_SERVICE_INTERFACE, TIME_SYNC
from hvgui.domain.operations import (
    CheckpointCreateOperation,
    CheckpointTypeOperation,
    OperationRecord,
    PowerOperation,
    ServiceToggleOperation,
)
from hvgui.domain.power import PowerAction
from hvgui.domain.vm import CheckpointType, Vm, VmState
from hvgui.emulator.hyperv.binding import BindingError, _property_of
from hvgui.emulator.hyperv.reference import VmState as HostVmState
from hvgui.emulator.hyperv.syntax import documented_commands
from hvgui.emulator.hyperv.wildcards import matches
from hvgui.emulator.runtime import CmdletError, PipelineCommand
from hvgui.emulator.scenarios import build_scenario
from hvgui.remoting import SessionManager
from hvgui.ui.activity import ActivityDock
from hvgui.ui.bulk.preview import PreviewPanel
from hvgui.ui.controllers import HostsController
from hvgui.ui.host_names import vm_target
from hvgui.ui.main_window import MainWindow
from hvgui.ui.preferences import Preferences

#: The two hosts as an admin's workstation reaches them, and the keys hvgui files their VMs under.
HOSTS = {"HV-A": "hv-a.lab.test", "HV-B": "hv-b.lab.test"}
KEYS = {name: f"https://{address}:5986" for name, address in HOSTS.items()}


def scenario(state: str = "Running"):
    """Two hosts, each with a 'web01' and a 'db01' (Windows guests, every service as the guest has it)."""
    vm = {"os": "windows-server-2022", "state": state, "uptime": 7200}
    document = {
        "name": "two-hosts",
        "seed": 3,
        "hosts": [
            {"name": name, "domain": "lab.test", "vms": [{**vm, "name": "web01"}, {**vm, "name": "db01"}]}
            for name in HOSTS
        ],
    }
    return build_scenario(document, clock=lambda: 50_000.0)


def emulated(hosts, host: str, vm_name: str):
    model = next(h.model for h in hosts if h.model.name == host)
    return next(vm for vm in model.vms if vm.name == vm_name)


def selection(hosts, vm_factory, state: VmState) -> list[Vm]:
    """What the admin selected in the table: 'web01' of HV-A and 'db01' of HV-B, as the window holds them."""
    return [
        vm_factory(name, host=KEYS[host], vm_id=str(emulated(hosts, host, name).id), state=state)
        for host, name in (("HV-A", "web01"), ("HV-B", "db01"))
    ]


# ---- checking the text ------------------------------------------------------------------------------------


def check_binding(script: str) -> list[list[Command]]:
    """Parse every command line and bind every Hyper-V cmdlet in it; returns the parsed lines."""
    lines = []
    for line in script.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        commands = parse_line(line)
        for index, command in enumerate(commands):
            if command.name == "Where-Object":
                assert index > 0, "Where-Object needs input"
                constant_filter(command)
            elif index == 0:
                bind_alone(command)
            else:
                bind(command, expects_input=True)
        lines.append(commands)
    return lines


def computer_name(commands: list[Command]) -> str:
    first = commands[0]
    assert first.name == "Get-VM", "every line starts from one VM of one host"
    values = dict(arguments(documented_commands()["get-vm"], first))
    assert set(values) == {"ComputerName", "Id"}, "the host by -ComputerName and the VM by -Id, nothing else"
    return str(values["ComputerName"])


def groups(script: str) -> dict[str, list[str]]:
    """The script's per-host groups: `# host` heading, then its commands."""
    out: dict[str, list[str]] = {}
    for block in script.split("\n\n"):
        heading, *lines = block.splitlines()
        assert heading.startswith("# "), f"a group without a heading: {block!r}"
        out[heading[2:]] = lines
    return out


def run_script(script: str, hosts) -> list[CmdletError]:
    """Run each line on the emulated host its -ComputerName names (Where-Object evaluated here)."""
    by_address = {HOSTS[h.model.name]: h for h in hosts}
    errors: list[CmdletError] = []
    for commands in check_binding(script):
        host = by_address[computer_name(commands)]
        runspace = host.open_runspace()
        stream: list[Any] | None = None
        for command in commands:
            if command.name == "Where-Object":
                prop, pattern = constant_filter(command)
                stream = [r for r in stream or [] if matches(pattern, str(_property_of(r, prop)[1]))]
                assert len(stream) == 1, f"the filter must pick exactly one object: {command}"
                continue
            spec = documented_commands()[command.name.casefold()]
            sink = _Sink()
            pipeline = PipelineCommand(name=command.name, parameters=tuple(arguments(spec, command)))
            host.run(runspace, [pipeline], list(stream or []), sink)
            errors.extend(sink.errors)
            stream = sink.output
    return errors


class _Sink:
    """Collects what a pipeline writes (the emulator's `PipelineSink`)."""

    def __init__(self) -> None:
        self.output: list[Any] = []
        self.errors: list[CmdletError] = []
        self.warnings: list[str] = []
        self.stop_requested = threading.Event()

    def write_output(self, value: Any) -> None:
        self.output.append(value)

    def write_error(self, error: CmdletError) -> None:
        self.errors.append(error)

    def write_warning(self, message: str) -> None:
        self.warnings.append(message)


# ---- the window's components ------------------------------------------------------------------------------


@pytest.fixture
def window(qtbot, tmp_path) -> MainWindow:
    settings = QSettings(str(tmp_path / "hvgui.ini"), QSettings.Format.IniFormat)
    w = MainWindow(HostsController(SessionManager()), preferences=Preferences(settings))
    qtbot.addWidget(w)
    return w


_START_STATE = {PowerAction.Start: ("Off", VmState.Off), PowerAction.Resume: ("Paused", VmState.Paused)}


@pytest.mark.parametrize("action", list(PowerAction))
def test_power_commands_for_two_hosts_bind_and_hit_only_the_selected_vms(window, vm_factory, action) -> None:
    scenario_state, table_state = _START_STATE.get(action, ("Running", VmState.Running))
    hosts = scenario(scenario_state).hosts
    chosen = selection(hosts, vm_factory, table_state)
    script = window.power.copy_powershell(action, chosen)
    assert script is not None

    by_host = groups(script)
    assert list(by_host) == ["hv-a.lab.test", "hv-b.lab.test"]  # each host names itself, in selection order
    for address, lines in by_host.items():
        assert len(lines) == 1 and computer_name(parse_line(lines[0])) == address
    web01_a, db01_b = (emulated(hosts, "HV-A", "web01"), emulated(hosts, "HV-B", "db01"))
    assert f"-Id '{web01_a.id}'" in by_host["hv-a.lab.test"][0]
    assert f"-Id '{db01_b.id}'" in by_host["hv-b.lab.test"][0]
    assert "web01" not in script and "db01" not in script  # never by name: both hosts have both names

    now = 50_000.0
    before = {(h, n): emulated(hosts, h, n).state(now) for h in HOSTS for n in ("web01", "db01")}
    assert run_script(script, hosts) == []
    if action is PowerAction.Restart:  # a reset keeps the VM running: its uptime starts again
        changed = {key for key in before if emulated(hosts, *key).uptime(now) < 7200}
    else:
        changed = {key for key in before if emulated(hosts, *key).state(now) is not before[key]}
    assert changed == {("HV-A", "web01"), ("HV-B", "db01")}


def test_activity_and_bulk_scripts_for_two_hosts_bind_and_do_what_hvgui_did(qtbot, vm_factory) -> None:
    hosts = scenario().hosts
    web01_a, db01_b = selection(hosts, vm_factory, VmState.Running)
    records = [
        OperationRecord(ServiceToggleOperation(vm_target(web01_a), ic_guid=TIME_SYNC.ic_guid, enable=False)),
        OperationRecord(CheckpointTypeOperation(vm_target(db01_b), checkpoint_type=CheckpointType.Standard)),
        OperationRecord(CheckpointCreateOperation(vm_target(web01_a), name="before 'patch' [1]")),
        OperationRecord(PowerOperation(vm_target(db01_b), PowerAction.Save)),
    ]
    window = QMainWindow()
    qtbot.addWidget(window)
    dock = ActivityDock(window)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    for record in records:
        dock.show_record(record)
    dock.select_operations([r.op_id for r in records])
    script = dock.copy_powershell()
    assert script is not None
    assert {address: len(lines) for address, lines in groups(script).items()} == {
        "hv-a.lab.test": 2,
        "hv-b.lab.test": 2,
    }
    assert run_script(script, hosts) == []
    a_web, a_db = emulated(hosts, "HV-A", "web01"), emulated(hosts, "HV-A", "db01")
    b_web, b_db = emulated(hosts, "HV-B", "web01"), emulated(hosts, "HV-B", "db01")
    assert not a_web.components[TIME_SYNC.ic_guid].enabled
    assert all(vm.components[TIME_SYNC.ic_guid].enabled for vm in (a_db, b_web, b_db))
    assert [s.name for s in a_web.snapshots] == ["before 'patch' [1]"]
    assert not (a_db.snapshots or b_web.snapshots or b_db.snapshots)
    assert b_db.hardware.checkpoint_type.name == "Standard"
    assert {vm.hardware.checkpoint_type.name for vm in (a_web, a_db, b_web)} == {"Production"}
    assert b_db.state(50_000.0) in (HostVmState.Saving, HostVmState.Saved)
    assert b_web.state(50_000.0) is HostVmState.Running

    # The bulk preview: one plan across both hosts, the same checks.
    plan = [planned_change(vm, GUEST_SERVICE_INTERFACE.ic_guid, True) for vm in (web01_a, db01_b)]
    preview = PreviewPanel(computer_name=lambda key: key.split("//")[1].split(":")[0])
    qtbot.addWidget(preview)
    preview.show_plan(plan)
    bulk = preview.powershell_text()
    assert list(groups(bulk)) == ["hv-a.lab.test", "hv-b.lab.test"]
    assert run_script(bulk, hosts) == []
    gsi = GUEST_SERVICE_INTERFACE.ic_guid
    assert a_web.components[gsi].enabled and b_db.components[gsi].enabled
    assert not (a_db.components[gsi].enabled or b_web.components[gsi].enabled)


def test_the_vm_panels_copy_buttons_bind_and_do_what_they_say(window, vm_factory) -> None:
    """The services and checkpoints tabs copy one command for the VM shown: on its host, by its Id."""
    hosts = scenario().hosts
    # The window shows both as Standard (the emulated hosts still say Production): copying the setting shown
    # must make it so on each host.
    chosen = selection(hosts, vm_factory, VmState.Running)
    web01_a, db01_b = (dataclasses.replace(vm, checkpoint_type=CheckpointType.Standard) for vm in chosen)
    services, checkpoints = window.vm_panel.services, window.vm_panel.checkpoints
    copied: list[str] = []
    for vm, checkpoint in ((web01_a, "before 'patch' [1]"), (db01_b, "")):
        services.show_vm(vm)
        checkpoints.show_vm(vm)
        copied.append(services.copy_powershell(str(TIME_SYNC.ic_guid)) or "")
        checkpoints.name_edit.setText(checkpoint)
        copied.append(checkpoints.copy_create_command() or "")
        assert checkpoints.type_combo.currentData() is CheckpointType.Standard
        copied.append(checkpoints.copy_type_command() or "")
        copied.append(checkpoints.copy_list_command() or "")
    assert all(text.count("\n") == 0 and text.startswith("Get-VM -ComputerName ") for text in copied)
    assert [computer_name(parse_line(text)) for text in copied] == ["hv-a.lab.test"] * 4 + ["hv-b.lab.test"] * 4
    assert "web01" not in "".join(copied) and "db01" not in "".join(copied)
    assert run_script("\n".join(copied), hosts) == []
    a_web, a_db = emulated(hosts, "HV-A", "web01"), emulated(hosts, "HV-A", "db01")
    b_web, b_db = emulated(hosts, "HV-B", "web01"), emulated(hosts, "HV-B", "db01")
    ts = TIME_SYNC.ic_guid
    assert not a_web.components[ts].enabled and not b_db.components[ts].enabled  # both showed it enabled
    assert a_db.components[ts].enabled and b_web.components[ts].enabled
    assert [s.name for s in a_web.snapshots] == ["before 'patch' [1]"] and len(b_db.snapshots) == 1
    assert not (a_db.snapshots or b_web.snapshots)
    assert {vm.hardware.checkpoint_type.name for vm in (a_web, b_db)} == {"Standard"}
    assert {vm.hardware.checkpoint_type.name for vm in (a_db, b_web)} == {"Production"}


def test_the_bulk_dialog_from_the_window_copies_per_host(window, vm_factory) -> None:
    """The window's own bulk dialog (VM > Integration services, Ctrl+Shift+I) names each host."""
    hosts = scenario().hosts
    chosen = selection(hosts, vm_factory, VmState.Running)
    dialog = window.fleet_actions.open_bulk_dialog(chosen)
    assert dialog is not None
    dialog.use_baseline(ALL_ON)
    script = dialog.preview.powershell_text()
    assert {address: len(lines) for address, lines in groups(script).items()} == {
        "hv-a.lab.test": 1,
        "hv-b.lab.test": 1,
    }
    assert run_script(script, hosts) == []
    gsi = GUEST_SERVICE_INTERFACE.ic_guid
    assert emulated(hosts, "HV-A", "web01").components[gsi].enabled
    assert emulated(hosts, "HV-B", "db01").components[gsi].enabled
    assert not emulated(hosts, "HV-A", "db01").components[gsi].enabled
    assert not emulated(hosts, "HV-B", "web01").components[gsi].enabled
    dialog.close()


def test_two_hosts_on_one_address_get_a_group_each(qtbot, vm_factory) -> None:
    """As in the demo: both hosts answer on 127.0.0.1, each on its own port. Each keeps its own group, whose
    heading names the port; run per group on the host that port reaches, each command hits only its VM."""
    hosts = scenario().hosts
    keys = {"HV-A": "http://127.0.0.1:50001", "HV-B": "http://127.0.0.1:50002"}
    vms = [
        vm_factory(name, host=keys[host], vm_id=str(emulated(hosts, host, name).id))
        for host, name in (("HV-A", "web01"), ("HV-B", "web01"), ("HV-A", "db01"))
    ]
    records = [OperationRecord(PowerOperation(vm_target(vm), PowerAction.TurnOff)) for vm in vms]
    window = QMainWindow()
    qtbot.addWidget(window)
    dock = ActivityDock(window)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    for record in records:
        dock.show_record(record)
    dock.select_operations([r.op_id for r in records])
    script = dock.copy_powershell()
    assert script is not None
    by_heading = groups(script)
    assert {heading: len(lines) for heading, lines in by_heading.items()} == {
        "127.0.0.1 (port 50001)": 2,
        "127.0.0.1 (port 50002)": 1,
    }
    for heading, lines in by_heading.items():
        host = next(h for h in hosts if keys[h.model.name].endswith(heading.split("port ")[1].rstrip(")")))
        for line in lines:
            assert computer_name(parse_line(line)) == "127.0.0.1"
        errors = run_script("\n".join(lines).replace("'127.0.0.1'", f"'{HOSTS[host.model.name]}'"), hosts)
        assert errors == []
    off = {(h, n) for h in HOSTS for n in ("web01", "db01") if emulated(hosts, h, n).state(50_000.0) is HostVmState.Off}
    assert off == {("HV-A", "web01"), ("HV-B", "web01"), ("HV-A", "db01")}


# ---- the check itself can fail ------------------------------------------------------------------------------

VM = "Get-VM -ComputerName 'hv-a.lab.test' -Id '6a1b9a8e-0c1f-4f43-9d2b-1f0c5d3e2a10'"


@pytest.mark.parametrize(
    "line",
    [
        f"{VM} | Stop-VM -Shutdown",  # no such parameter
        f"{VM} | Stop-VM -TurnOff -VM 'x'",  # text where the parameter takes VM objects
        "Get-VM -ComputerName 'hv-a' -Id '6a1b9a8e-0c1f-4f43-9d2b-1f0c5d3e2a10' -Name 'web01'",  # Id and Name sets
        f"{VM} | Checkpoint-VM -SnapshotNam 'x' -S 'y'",  # an ambiguous prefix
        f"{VM} | Set-VM -CheckpointType Sometimes",  # not a value of the enum
    ],
)
def test_a_wrong_parameter_or_parameter_set_fails_the_check(line: str) -> None:
    with pytest.raises(BindingError):
        check_binding(line)


@pytest.mark.parametrize(
    "line",
    [
        f'{VM} | Get-VMIntegrationService | Where-Object {{ $_.Id -like "*$guid" }} | Enable-VMIntegrationService',
        f"{VM} | Get-VMIntegrationService | Where-Object {{ $_.Id -like $(Get-It) }} | Enable-VMIntegrationService",
        f"{VM} | Get-VMIntegrationService | Where-Object {{ Remove-Item C:\\ }} | Enable-VMIntegrationService",
        "Get-VM -ComputerName \"$env:COMPUTERNAME\" -Id '6a1b9a8e-0c1f-4f43-9d2b-1f0c5d3e2a10' | Start-VM",
        f"{VM} | Invoke-Expression",
    ],
)
def test_text_that_expands_or_runs_something_fails_the_check(line: str) -> None:
    with pytest.raises(UnreadableText):
        check_binding(line)


def test_a_pipeline_object_no_parameter_set_takes_fails_the_run() -> None:
    """`-Name` selects the Name set, which takes no VM from the pipeline: each piped VM is refused."""
    hosts = scenario().hosts
    web01 = emulated(hosts, "HV-A", "web01")
    script = f"Get-VM -ComputerName 'hv-a.lab.test' -Id '{web01.id}' | Stop-VM -TurnOff -Name 'db01'"
    (error,) = run_script(script, hosts)
    assert "cannot be bound" in error.message
    assert (
        web01.state(50_000.0) is HostVmState.Running
        and emulated(hosts, "HV-A", "db01").state(50_000.0) is HostVmState.Running
    )


def test_a_line_without_the_vm_id_is_refused() -> None:
    """Selecting by name is what let a name on two hosts hit the wrong VM: the check insists on the Id."""
    hosts = scenario().hosts
    script = "# hv-a.lab.test\nGet-VM -ComputerName 'hv-a.lab.test' -Name 'web01' | Stop-VM -TurnOff"
    with pytest.raises(AssertionError, match="-ComputerName and the VM by -Id"):
        run_script(script, hosts)
