"""hvgui's host-module functions of issue 3: Set-HvGuiIntegrationService and the guest's OS in
Get-HvGuiInventory."""

from __future__ import annotations

import json
import uuid

import pytest
from model_harness import Harness, cmd, one_host
from psrpcore.types import ErrorCategory

from hvgui.emulator.hyperv import components as ic
from hvgui.emulator.hyperv.reference import HeartbeatStatus
from hvgui.emulator.hyperv.vm import HANDSHAKE_SECONDS
from hvgui.emulator.runtime import TerminatingError

SET = "Set-HvGuiIntegrationService"


@pytest.fixture
def h() -> Harness:
    harness = Harness("demo")
    harness.load_module()
    return harness


def toggle(h: Harness, vm: str, guid: str, enabled: object):
    return h.run(cmd(SET, VMId=h.vm(vm).id, ComponentId=guid, Enabled=enabled))


def test_unknown_until_the_module_is_loaded() -> None:
    h = Harness("demo")
    err = h.fails(cmd(SET, VMId=h.vm("dc01").id, ComponentId=ic.VSS.ic_guid, Enabled=False))
    assert err.fully_qualified_error_id == "CommandNotFoundException"
    assert err.message.startswith(f"The term '{SET}' is not recognized as the name of a cmdlet")
    h.load_module("# hvgui host module\nfunction Get-HvGuiInventory {}\n")  # a module without the function
    assert h.fails(cmd(SET, h.vm("dc01").id, "x", True)).fully_qualified_error_id == "CommandNotFoundException"


@pytest.mark.parametrize("service", ic.INTEGRATION_COMPONENTS, ids=lambda s: s.key)
def test_every_service_toggles_by_guid(h: Harness, service: ic.ServiceInfo) -> None:
    vm = h.vm("dc01")
    guid = service.ic_guid
    before = {g: s.enabled for g, s in vm.components.items()}
    was = before[guid]
    sink = toggle(h, "dc01", guid, not was)
    assert (sink.output, sink.errors, sink.warnings) == ([], [], [])
    assert vm.components[guid].enabled is (not was)
    toggle(h, "dc01", guid.lower(), was)  # -like is case-insensitive
    assert {g: s.enabled for g, s in vm.components.items()} == before  # only that one changed, and back


def test_the_effect_is_the_services_effect(h: Harness) -> None:
    toggle(h, "sql01", ic.HEARTBEAT.ic_guid, False)
    assert h.vm("sql01").heartbeat(h.now()) is HeartbeatStatus.Disabled
    toggle(h, "sql01", ic.HEARTBEAT.ic_guid, 1)  # a Boolean parameter takes numbers too
    h.clock.advance(HANDSHAKE_SECONDS)
    assert h.vm("sql01").heartbeat(h.now()) is HeartbeatStatus.OkApplicationsHealthy


def test_a_german_host_is_toggled_by_the_same_guid() -> None:
    h = Harness("de-DE")
    h.load_module()
    assert toggle(h, "dc01", ic.TIME_SYNC.ic_guid, False).errors == []
    assert not h.vm("dc01").components[ic.TIME_SYNC.ic_guid].enabled


def test_a_component_id_that_matches_nothing(h: Harness) -> None:
    for bad in (str(uuid.uuid4()).upper(), "Heartbeat"):
        [err] = toggle(h, "dc01", bad, False).errors
        assert err.message == "No integration component with the given name could be found."
        # The function's Disable-VMIntegrationService -Name reports it, in the module's own words.
        assert (
            err.fully_qualified_error_id
            == "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.DisableVMIntegrationService"
        )
        assert err.category == ErrorCategory.InvalidArgument
    assert all(s.enabled for g, s in h.vm("dc01").components.items() if g != ic.GUEST_SERVICE_INTERFACE.ic_guid)
    assert toggle(h, "dc01", "nope", False).errors  # the error is non-terminating ...
    with pytest.raises(TerminatingError):  # ... unless -ErrorAction Stop
        h.run(cmd(SET, VMId=h.vm("dc01").id, ComponentId="nope", Enabled=False, ErrorAction="Stop"))


def test_a_missing_vm_fails_with_get_vms_error(h: Harness) -> None:
    missing = uuid.UUID(int=42)
    err = h.fails(cmd(SET, VMId=missing, ComponentId=ic.KVP.ic_guid, Enabled=False))
    assert err.fully_qualified_error_id == "ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.GetVM"
    assert err.message == f'Hyper-V was unable to find a virtual machine with id "{missing}".'


def test_parameters_bind_like_an_advanced_functions(h: Harness) -> None:
    vm_id = h.vm("dc01").id
    # Positional in declaration order, a Guid from text, names by unambiguous prefix.
    assert h.run(cmd(SET, str(vm_id), ic.VSS.ic_guid, False)).errors == []
    assert not h.vm("dc01").components[ic.VSS.ic_guid].enabled
    assert h.run(cmd(SET, VM=str(vm_id), Comp=ic.VSS.ic_guid, En=True)).errors == []
    cases = {
        "NamedParameterNotFound": cmd(SET, VMId=vm_id, ComponentId=ic.VSS.ic_guid, Enabled=True, Name="VSS"),
        "MissingMandatoryParameter": cmd(SET, VMId=vm_id, ComponentId=ic.VSS.ic_guid),
        "CannotConvertArgumentNoMessage": cmd(SET, VMId="dc01", ComponentId=ic.VSS.ic_guid, Enabled=True),
        "ParameterArgumentTransformationError": cmd(SET, VMId=vm_id, ComponentId=ic.VSS.ic_guid, Enabled="no"),
        "ParameterArgumentValidationErrorEmptyStringNotAllowed": cmd(SET, VMId=vm_id, ComponentId="", Enabled=True),
        "ParameterArgumentValidationErrorNullNotAllowed": cmd(SET, VMId=vm_id, ComponentId=None, Enabled=True),
        "PositionalParameterNotFound": cmd(SET, vm_id, ic.VSS.ic_guid, True, "extra"),
        "NamedParameterNotFound ": cmd(SET, VMId=vm_id, ComponentId=ic.VSS.ic_guid, Enabled=True, WhatIf=True),
    }
    for error_id, command in cases.items():
        err = h.fails(command)
        assert err.fully_qualified_error_id == f"{error_id.strip()},{SET}", error_id
    assert h.fails(cases["MissingMandatoryParameter"]).message.endswith("missing mandatory parameters: Enabled.")
    assert h.fails(cases["ParameterArgumentValidationErrorEmptyStringNotAllowed"]).message == (
        "Cannot bind argument to parameter 'ComponentId' because it is an empty string."
    )


# ---------------------------------------------------------------- os, osv, ptype


def inventory(h: Harness) -> dict[str, dict]:
    [text] = h.run(cmd("Get-HvGuiInventory")).output
    return {vm["name"]: vm for vm in json.loads(text)["vms"]}


def test_inventory_reports_the_guests_own_os(h: Harness) -> None:
    rows = inventory(h)
    assert (rows["dc01"]["os"], rows["dc01"]["osv"], rows["dc01"]["ptype"]) == (
        "Windows Server 2022 Datacenter",
        "10.0.20348",
        2,
    )
    assert (rows["dc02"]["os"], rows["dc02"]["ptype"]) == ("Windows Server 2019 Standard", 2)
    assert rows["sql01"]["ptype"] == 3
    assert (rows["web01"]["os"], rows["web01"]["osv"], rows["web01"]["ptype"]) == ("Ubuntu", "5.15.0", None)
    for name in ("web02", "legacy-app", "qa-'quoted' $(whoami) `tick"):  # no hv_kvp_daemon, Off, Saved
        assert (rows[name]["os"], rows[name]["osv"], rows[name]["ptype"]) == (None, None, None), name


def test_inventory_os_follows_the_kvp_service(h: Harness) -> None:
    kvp = ic.KVP.ic_guid
    toggle(h, "dc01", kvp, False)
    assert inventory(h)["dc01"]["os"] is None
    toggle(h, "dc01", kvp, True)
    h.clock.advance(HANDSHAKE_SECONDS)
    assert inventory(h)["dc01"]["ptype"] == 2
    h.vm("web02").set_guest_service_running(kvp, True, h.now())
    h.clock.advance(HANDSHAKE_SECONDS)
    assert inventory(h)["web02"]["os"] == "Ubuntu"


def test_a_workstation_and_the_german_domain_controller() -> None:
    h = Harness(one_host({"name": "pc", "os": "windows-11", "state": "Running", "uptime": 600}))
    h.load_module()
    assert (inventory(h)["pc"]["os"], inventory(h)["pc"]["ptype"]) == ("Windows 10 Enterprise", 1)
    german = Harness("de-DE")
    german.load_module()
    assert inventory(german)["dc01"]["ptype"] == 2
