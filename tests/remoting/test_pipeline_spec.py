"""PipelineSpec: immutable, strict about names, and applied through pypsrp's parameter API only."""

from __future__ import annotations

import uuid

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvgui.domain.power import PowerAction
from hvgui.remoting.hostapi import checkpoint_spec, power_spec, set_integration_service_spec
from hvgui.remoting.module import MODULE_MARKER, host_module_text
from hvgui.remoting.pipeline import PipelineSpec

AWKWARD_NAME = "a'b\"c $(Remove-Item C:\\) `n\nzürich 名前"


def _unopened_powershell() -> PowerShell:
    """A real pypsrp PowerShell on a pool that is never opened: building commands needs no host."""
    pool = RunspacePool(WSMan("127.0.0.1", port=1, ssl=False, auth="basic", encryption="never", username="u"))
    pool.protocol_version = "2.3"  # what open() negotiates with any PowerShell 3.0 or newer host
    return PowerShell(pool)


def test_builders_return_new_specs_and_leave_the_original_alone() -> None:
    base = PipelineSpec.cmdlet("Get-VM")
    named = base.param("Name", "dc01")
    assert base.commands[0].parameters == ()
    assert str(named) == "Get-VM -Name 'dc01'"
    assert named != base
    assert hash(named) == hash(PipelineSpec.cmdlet("Get-VM").param("Name", "dc01"))


def test_apply_adds_cmdlets_parameters_switches_and_arguments_in_order() -> None:
    spec = (
        PipelineSpec.cmdlet("Get-VM")
        .param("Name", AWKWARD_NAME)
        .pipe("Stop-VM")
        .switch("Force")
        .param("Confirm", False)
        .pipe("Get-VMIntegrationService")
        .arg(["a", "b"])
    )
    ps = spec.apply(_unopened_powershell())
    assert [c.cmd for c in ps.commands] == ["Get-VM", "Stop-VM", "Get-VMIntegrationService"]
    assert not any(c.is_script for c in ps.commands)
    first, second, third = ([(a.name, a.value) for a in c.args] for c in ps.commands)
    assert first == [("Name", AWKWARD_NAME)]  # verbatim: data, not script text
    assert second == [("Force", None), ("Confirm", False)]
    assert third == [(None, ["a", "b"])]


def test_the_host_module_loader_is_the_only_script() -> None:
    ps = PipelineSpec.host_module_loader().apply(_unopened_powershell())
    (command,) = ps.commands
    assert command.is_script
    assert command.use_local_scope is False  # dot-sourced: the functions persist in the pool
    assert command.cmd == host_module_text()
    assert command.cmd.splitlines()[0] == MODULE_MARKER
    with pytest.raises(ValueError, match="no parameters"):
        PipelineSpec.host_module_loader().param("Name", "x")


@pytest.mark.parametrize("name", ["Get-VM; Remove-Item x", "& Get-VM", "C:\\x.ps1", "Get-VM -Name", "", "GetVM"])
def test_command_names_must_be_verb_noun(name: str) -> None:
    with pytest.raises(ValueError, match="not a cmdlet name"):
        PipelineSpec.cmdlet(name)


@pytest.mark.parametrize("name", ["-Name", "Na me", "Name:$true", ""])
def test_parameter_names_must_be_plain(name: str) -> None:
    with pytest.raises(ValueError, match="not a parameter name"):
        PipelineSpec.cmdlet("Get-VM").param(name, "x")


def test_values_must_be_plain_data() -> None:
    spec = PipelineSpec.cmdlet("Get-VM")
    with pytest.raises(TypeError):
        spec.param("Name", {"a": 1})
    with pytest.raises(TypeError):
        spec.param("Name", object())
    with pytest.raises(ValueError, match="Int32"):
        spec.param("Count", 2**40)
    vm_id = uuid.uuid4()
    assert spec.param("Id", vm_id).commands[0].parameters[0].value == vm_id


def test_parameters_need_a_command_and_a_pipeline_needs_commands() -> None:
    with pytest.raises(ValueError, match="add a command"):
        PipelineSpec().param("Name", "x")
    with pytest.raises(ValueError, match="empty pipeline"):
        PipelineSpec().apply(_unopened_powershell())


def test_lists_are_frozen_inside_the_spec_and_thawed_for_pypsrp() -> None:
    names = ["a", "b"]
    spec = PipelineSpec.cmdlet("Get-VM").param("Name", names)
    names.append("c")
    assert spec.commands[0].parameters[0].value == ("a", "b")
    ps = spec.apply(_unopened_powershell())
    assert ps.commands[0].args[0].value == ["a", "b"]


# --- the pipelines of the changes: toggles, power actions, checkpoints ----------------------------------

VM_ID = "3f2a8b1c-0d4e-4f5a-9b6c-7d8e9f0a1b2c"
GET_VM = f"Get-VM -Id UUID('{VM_ID}')"


@pytest.mark.parametrize(
    ("action", "tail"),
    [
        (PowerAction.Start, "Start-VM -Confirm False"),
        (PowerAction.ShutDown, "Stop-VM -Confirm False"),
        (PowerAction.TurnOff, "Stop-VM -TurnOff -Confirm False"),
        (PowerAction.Save, "Save-VM -Confirm False"),
        (PowerAction.Restart, "Restart-VM -Force -Confirm False"),
    ],
)
def test_power_pipelines_select_the_vm_by_id(action: PowerAction, tail: str) -> None:
    assert str(power_spec(VM_ID.upper(), action)) == f"{GET_VM} | {tail}"


def test_checkpoint_and_toggle_pipelines() -> None:
    assert str(checkpoint_spec(VM_ID)) == f"{GET_VM} | Checkpoint-VM -Passthru -Confirm False"
    named = checkpoint_spec(VM_ID, AWKWARD_NAME)
    assert named.commands[1].parameters[0].value == AWKWARD_NAME  # a parameter value, never script text
    toggle = set_integration_service_spec(VM_ID, "2497f4de-e9fa-4204-80e4-4b75c46419c0", False)
    assert str(toggle) == (
        f"Set-HvGuiIntegrationService -VMId UUID('{VM_ID}') -ComponentId '2497F4DE-E9FA-4204-80E4-4B75C46419C0' "
        "-Enabled False"
    )


@pytest.mark.parametrize("bad", ["dc01", "", "*", "3f2a8b1c'; Stop-Computer"])
def test_pipelines_refuse_what_is_not_a_guid(bad: str) -> None:
    with pytest.raises(ValueError, match="not a VM id"):
        power_spec(bad, PowerAction.Start)
    with pytest.raises(ValueError, match="not an integration component GUID"):
        set_integration_service_spec(VM_ID, bad, True)
