"""hvgui's host module (`Get-HvGuiInventory`) and the other scripts the emulator recognises."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re

import pytest
from model_harness import MODULE_TEXT, WALL_AT_ZERO, FakeClock, Harness, RecordingSink, cmd, script
from psrpcore.types import ErrorCategory
from pypsrp._utils import get_pwsh_script

from hvgui.emulator.hyperv import components as ic
from hvgui.emulator.hyperv.reference import VmState
from hvgui.emulator.hyperv.scripts import HVGUI_MODULE, PYPSRP_COPY, PYPSRP_FETCH, declared_functions
from hvgui.emulator.runtime import TerminatingError

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
VM_KEYS = {"id", "name", "state", "hb", "status", "boot", "cpu", "mem", "gen", "ver", "cp", "cl", "ic"}
VM_KEYS |= {"os", "osv", "ptype"}
VM_KEYS |= {"dem", "notes", "snaps", "isv"}
IC_KEYS = {"id", "name", "on", "p", "s", "pt", "st"}


@pytest.fixture
def h() -> Harness:
    return Harness("demo")


def inventory(h: Harness) -> dict:
    sink = h.run(cmd("Get-HvGuiInventory"))
    assert sink.errors == [] and len(sink.output) == 1
    [text] = sink.output
    assert isinstance(text, str)
    return json.loads(text)


def test_inventory_is_unknown_until_the_module_is_loaded(h: Harness) -> None:
    err = h.fails(cmd("Get-HvGuiInventory"))
    assert err.fully_qualified_error_id == "CommandNotFoundException"
    assert err.category == ErrorCategory.ObjectNotFound
    assert err.message.startswith("The term 'Get-HvGuiInventory' is not recognized")
    assert h.host.identify_script(MODULE_TEXT) == HVGUI_MODULE
    h.load_module()
    assert inventory(h)["host"] == "HV-DEMO-01"
    # Each runspace pool loads the module for itself.
    with pytest.raises(TerminatingError, match="is not recognized"):
        h.host.run(h.host.open_runspace(), [cmd("Get-HvGuiInventory")], [], RecordingSink())


def test_only_functions_the_module_declares_become_known(h: Harness) -> None:
    h.load_module("# hvgui host module\nfunction Get-HvGuiSomethingElse { }\n")
    assert h.fails(cmd("Get-HvGuiInventory")).fully_qualified_error_id == "CommandNotFoundException"
    assert declared_functions("# hvgui host module\n  function global:Get-HvGuiInventory {}\nfunction Foo-Bar {}") == [
        "Get-HvGuiInventory"
    ]


def test_inventory_matches_the_contract(h: Harness) -> None:
    h.load_module()
    doc = inventory(h)
    assert set(doc) == {"v", "host", "vms"} and doc["v"] == 3
    # Rows come in the host's enumeration order (Get-VM sorts by name; the CIM queries do not).
    assert sorted(vm["name"] for vm in doc["vms"]) == sorted(o.Name for o in h.run(cmd("Get-VM")).output)
    for vm in doc["vms"]:
        assert set(vm) == VM_KEYS
        assert GUID.match(vm["id"])
        assert all(isinstance(vm[k], int) and not isinstance(vm[k], bool) for k in ("state", "cpu", "mem", "gen", "cp"))
        assert vm["boot"] is None or (isinstance(vm["boot"], int) and not isinstance(vm["boot"], bool))
        assert vm["hb"] is None or isinstance(vm["hb"], int)
        assert isinstance(vm["status"], str) and isinstance(vm["ver"], str) and isinstance(vm["cl"], bool)
        assert all(vm[k] is None or isinstance(vm[k], str) for k in ("os", "osv"))
        assert vm["ptype"] is None or vm["ptype"] in (1, 2, 3)
        assert [c["id"] for c in vm["ic"]] == [s.ic_guid for s in ic.INTEGRATION_COMPONENTS]
        for c in vm["ic"]:
            assert set(c) == IC_KEYS
            assert c["id"] == c["id"].upper() and isinstance(c["on"], bool)
            assert all(c[k] is None or isinstance(c[k], int) for k in ("p", "s"))
            assert isinstance(c["pt"], str) and isinstance(c["st"], str)


def test_inventory_values_agree_with_get_vm(h: Harness) -> None:
    h.load_module()
    doc = {vm["name"]: vm for vm in inventory(h)["vms"]}
    [dc01] = h.run(cmd("Get-VM", "dc01")).output
    row = doc["dc01"]
    assert row["id"] == str(dc01.Id) and row["state"] == 2 and row["hb"] == 6
    # The boot time: the host's clock when the summaries were read, less the uptime (whole seconds).
    booted = math.floor(WALL_AT_ZERO + h.clock.now - dc01.Uptime.total_seconds())
    assert booted - 1 <= row["boot"] <= booted and row["mem"] == int(dc01.MemoryAssigned)
    assert (row["gen"], row["ver"], row["cp"], row["cl"], row["status"]) == (2, "10.0", 3, False, "Operating normally")
    heartbeat = row["ic"][1]
    assert heartbeat == {
        "id": ic.HEARTBEAT.ic_guid,
        "name": "Heartbeat",
        "on": True,
        "p": 2,
        "s": 2,
        "pt": "OK",
        "st": "OK",
    }
    off = doc["legacy-app"]
    assert (off["state"], off["hb"], off["boot"], off["mem"], off["cpu"]) == (3, None, None, 0, 0)
    assert all(c["p"] is None and c["s"] is None and c["pt"] == "" and c["st"] == "" for c in off["ic"])
    web02 = doc["web02"]
    assert web02["hb"] == 5 and web02["ic"][2]["p"] == 12 and web02["ic"][2]["pt"] == "No Contact"


def test_inventory_text_is_compact_and_escapes_like_windows_powershell(h: Harness) -> None:
    h.load_module()
    [text] = h.run(cmd("Get-HvGuiInventory")).output
    structure = re.sub(r'"notes":"(?:[^"\\]|\\.)*"', "", text)  # an admin's notes are prose
    assert ": " not in structure and ", " not in structure.replace("qa-'quoted' $(whoami) `tick", "")
    assert "qa-\\u0027quoted\\u0027 $(whoami) `tick" in text
    assert "qa-'quoted' $(whoami) `tick" in [vm["name"] for vm in json.loads(text)["vms"]]


def test_inventory_of_a_german_host_and_a_non_ascii_name() -> None:
    h = Harness("de-DE")
    h.load_module()
    doc = inventory(h)
    names = [vm["name"] for vm in doc["vms"]]
    assert "Büro-PC-01" in names
    assert [c["name"] for c in doc["vms"][0]["ic"]][1] == "Takt"
    assert doc["vms"][0]["status"] == "Normaler Betrieb"


def test_inventory_follows_state_changes() -> None:
    clock = FakeClock()
    h = Harness("demo", clock=clock)
    h.load_module()
    h.run(cmd("Start-VM", "legacy-app"))
    assert {vm["name"]: vm["state"] for vm in inventory(h)["vms"]}["legacy-app"] == VmState.Starting
    clock.advance(5)
    row = {vm["name"]: vm for vm in inventory(h)["vms"]}["legacy-app"]
    assert (row["state"], row["hb"], row["boot"]) == (VmState.Running, 2, math.floor(WALL_AT_ZERO + clock.now - 5))
    clock.advance(60)  # the boot time stays put while the VM runs: no news on every refresh
    assert {vm["name"]: vm for vm in inventory(h)["vms"]}["legacy-app"]["boot"] == row["boot"]


def test_functions_bind_parameters_strictly(h: Harness) -> None:
    h.load_module()
    err = h.fails(cmd("Get-HvGuiInventory", Name="x"))
    assert err.fully_qualified_error_id == "NamedParameterNotFound,Get-HvGuiInventory"
    err = h.fails(cmd("Get-HvGuiInventory", "x"))
    assert err.fully_qualified_error_id == "PositionalParameterNotFound,Get-HvGuiInventory"


def test_large_inventory_of_a_thousand_vms() -> None:
    h = Harness("large:1000")
    h.load_module()
    assert len(inventory(h)["vms"]) == 1000


def test_an_unknown_script_is_refused(h: Harness) -> None:
    err = h.fails(script("Get-Process | Stop-Process"))
    assert err.fully_qualified_error_id == "ScriptsNotAllowed"
    assert err.category == ErrorCategory.ParserError
    assert h.host.identify_script("Get-Process") is None


def test_pypsrp_copy_and_fetch_use_the_host_file_system(h: Harness) -> None:
    copy_ps1, fetch_ps1 = get_pwsh_script("copy.ps1"), get_pwsh_script("fetch.ps1")
    assert (h.host.identify_script(copy_ps1), h.host.identify_script(fetch_ps1)) == (PYPSRP_COPY, PYPSRP_FETCH)
    data = bytes(range(256)) * 100
    chunks = [base64.b64encode(data[:10000]).decode(), base64.b64encode(data[10000:]).decode()]
    digest = base64.b64encode(hashlib.sha1(data).hexdigest().encode()).decode()
    sink = h.run(script(copy_ps1, "upload\\payload.bin", False), pipeline_input=[*chunks, digest])
    assert sink.output == ["C:\\Users\\Administrator\\Documents\\upload\\payload.bin"]
    assert h.model.files.read("c:\\users\\administrator\\documents\\UPLOAD\\payload.bin") == data
    fetched = h.run(script(fetch_ps1, "C:\\Users\\Administrator\\Documents\\upload\\payload.bin", False)).output
    assert base64.b64decode(fetched[0]) == data and fetched[1] == hashlib.sha1(data).hexdigest()
    bad = h.fails(script(copy_ps1, "C:\\x.bin", False), pipeline_input=[chunks[0], digest])
    assert bad.message.startswith("Transport failure, hash mismatch")
    missing = h.fails(script(fetch_ps1, "C:\\nothing.txt", False))
    assert missing.message == "The path at 'C:\\nothing.txt' does not exist"
    expanded = h.run(script(copy_ps1, "%TEMP%\\a.txt", True), pipeline_input=[chunks[0], _digest(data[:10000])])
    assert expanded.output == ["C:\\Users\\Administrator\\AppData\\Local\\Temp\\a.txt"]


def _digest(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data).hexdigest().encode()).decode()


def test_inventory_carries_memory_demand_notes_checkpoint_count_and_services_version(h: Harness) -> None:
    """The Summary tab's figures, each as Get-VM / Get-VMSnapshot / the guest's KVP items report it."""
    h.load_module()
    for name in ("dc01", "dc01", "web01"):
        assert h.run(cmd("Checkpoint-VM", Name=name)).errors == []
    doc = {vm["name"]: vm for vm in inventory(h)["vms"]}
    assert (doc["dc01"]["snaps"], doc["web01"]["snaps"]) == (2, 1)
    by_name = {vm.Name: vm for vm in h.run(cmd("Get-VM")).output}
    demands = 0
    for name, row in doc.items():
        vm = by_name[name]
        assert row["notes"] == vm.Notes
        snapshots = h.run(cmd("Get-VMSnapshot", VMName=name)).output
        assert row["snaps"] == len(snapshots), name
        if row["dem"] is None:
            assert vm.MemoryDemand == 0, name  # static memory or not running: the module says 0 too
        else:
            demands += 1
            # MemoryAvailable is a whole per cent of the assigned memory: the demand is exact to that.
            assert abs(row["dem"] - vm.MemoryDemand) <= vm.MemoryAssigned // 100 + 1048576, name
        assert row["isv"] is None or row["isv"][0].isdigit(), name
    assert demands > 0
    assert any(row["isv"] for row in doc.values())
    off = doc["legacy-app"]
    assert off["dem"] is None and off["isv"] is None
