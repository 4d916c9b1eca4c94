"""AddKvpItems / ModifyKvpItems / RemoveKvpItems and their jobs, the pools per VM, below the wire."""

from __future__ import annotations

import pytest
from model_harness import Harness, cmd, one_host

from hvgui.emulator.hyperv import kvp
from hvgui.emulator.hyperv.cim import schema
from hvgui.emulator.hyperv.cim.instance import CimInstance
from hvgui.emulator.hyperv.costs import REALISTIC, HostCosts

NS = "root/virtualization/v2"
VMS = (
    {"name": "run", "os": "windows-server-2022", "state": "Running", "uptime": 3600,
     "kvp": {"guest": {"App": "1"}, "ticking": {"App/Tick": 60}}},
    {"name": "failing", "os": "windows-server-2022", "state": "Running", "uptime": 3600, "kvp": {"fail_jobs": True}},
    {"name": "off", "os": "ubuntu-24.04", "state": "Off"},
    {"name": "no-kvp", "os": "windows-server-2022", "state": "Running", "uptime": 3600,
     "integration_services": {"kvp": False}},
)  # fmt: skip


@pytest.fixture
def h() -> Harness:
    harness = Harness(one_host(*VMS))
    # The realistic profile's job duration, with time moved by hand: nothing really waits.
    harness.model.costs = HostCosts(REALISTIC, wait=lambda stop, seconds: stop.is_set())
    return harness


def props(obj) -> dict:
    return {p.name: p.get_value(obj) for p in obj.PSObject.adapted_properties}


def result(obj) -> dict:
    return {p.name: p.get_value(obj) for p in obj.PSObject.extended_properties}


def call(h: Harness, method: str, vm_name: str | None, items: list[str]):
    service = CimInstance(schema.MANAGEMENT_SERVICE, {"Name": "vmms"})
    arguments: dict = {"DataItems": items}
    if vm_name is not None:
        arguments["TargetSystem"] = CimInstance(schema.COMPUTER_SYSTEM, {"Name": str(h.vm(vm_name).id).upper()})
    return h.run(cmd("Invoke-CimMethod", InputObject=service, MethodName=method, Arguments=arguments))


def job(h: Harness, instance_id: str) -> dict:
    jobs = [props(j) for j in h.run(cmd("Get-CimInstance", Namespace=NS, ClassName="Msvm_ConcreteJob")).output]
    return next((j for j in jobs if j["InstanceID"] == instance_id), {})


def test_a_job_runs_for_the_profiles_duration_and_changes_the_pool_when_it_ends(h: Harness) -> None:
    [answer] = call(h, "AddKvpItems", "run", [kvp.item_xml("Owner", "ops & <dev>", 0)]).output
    values = result(answer)
    assert values["ReturnValue"] == 4096
    instance_id = props(values["Job"])["InstanceID"]
    assert job(h, instance_id)["JobState"] == 4 and h.vm("run").kvp.host_items == {}
    h.clock.advance(REALISTIC.kvp_job)
    done = job(h, instance_id)
    assert done["JobState"] == 7 and done["ErrorCode"] == 0 and done["PercentComplete"] == 100
    assert h.vm("run").kvp.host_items == {"Owner": "ops & <dev>"} == h.vm("run").kvp.external
    [setting] = h.run(
        cmd("Get-CimInstance", Namespace=NS, ClassName="Msvm_KvpExchangeComponentSettingData",
            Filter=f"InstanceID = 'Microsoft:{str(h.vm('run').id).upper()}\\\\2A34B1C2-FD73-4043-8A5B-DD2159BC743F'")
    ).output  # fmt: skip
    assert [kvp.parse_item(i) for i in props(setting)["HostExchangeItems"]] == [("Owner", "ops & <dev>", 0)]
    h.clock.advance(kvp.JOB_RETENTION + 1)
    assert job(h, instance_id) == {}  # finished jobs are forgotten after a while


def test_bad_parameters_are_refused_at_once_with_32773(h: Harness) -> None:
    good = kvp.item_xml("k", "v", 0)
    for method, vm_name, items in (
        ("AddKvpItems", "run", [kvp.item_xml("k", "v", 2)]),  # Source 2 is the guest's
        ("AddKvpItems", "run", ["<not xml"]),
        ("AddKvpItems", "run", [good] * 129),
        ("AddKvpItems", "run", [kvp.item_xml("k" * 256, "v", 0)]),
        ("ModifyKvpItems", None, [good]),
        ("RemoveKvpItems", "run", []),
    ):
        [answer] = call(h, method, vm_name, items).output
        assert result(answer)["ReturnValue"] == 32773, (method, items[:1])
    [exact] = call(h, "AddKvpItems", "run", [kvp.item_xml("k" * 255, "v" * 1023, 0)]).output
    assert result(exact)["ReturnValue"] == 4096


def test_jobs_fail_for_a_missing_or_existing_key_and_in_the_failing_scenario(h: Harness) -> None:
    def state(method: str, vm_name: str, name: str) -> dict:
        [answer] = call(h, method, vm_name, [kvp.item_xml(name, "x", 0)]).output
        h.clock.advance(REALISTIC.kvp_job)
        return job(h, props(result(answer)["Job"])["InstanceID"])

    assert state("ModifyKvpItems", "run", "absent")["JobState"] == 10
    assert state("AddKvpItems", "run", "k")["JobState"] == 7
    exists = state("AddKvpItems", "run", "k")
    assert exists["JobState"] == 10 and exists["ErrorCode"] == 32768 and "already exists" in exists["ErrorDescription"]
    assert state("RemoveKvpItems", "run", "k")["JobState"] == 7 and h.vm("run").kvp.host_items == {}
    failing = state("AddKvpItems", "failing", "k")
    assert failing["JobState"] == 10 and h.vm("failing").kvp.host_items == {}


def test_guest_pools_follow_the_vm_and_the_guest(h: Harness) -> None:
    def device(vm_name: str) -> dict | None:
        rows = [
            props(d) for d in h.run(cmd("Get-CimInstance", Namespace=NS, ClassName="Msvm_KvpExchangeComponent")).output
        ]
        key = str(h.vm(vm_name).id).upper()
        return next((r for r in rows if r["SystemName"] == key), None)

    first = {kvp.parse_item(i)[0]: kvp.parse_item(i)[1] for i in device("run")["GuestExchangeItems"]}
    h.clock.advance(60)
    later = {kvp.parse_item(i)[0]: kvp.parse_item(i)[1] for i in device("run")["GuestExchangeItems"]}
    assert first["App"] == later["App"] == "1" and int(later["App/Tick"]) == int(first["App/Tick"]) + 1
    assert device("off") is None  # no runtime component while the VM is off
    disabled = device("no-kvp")
    assert disabled["GuestIntrinsicExchangeItems"] == [] and disabled["GuestExchangeItems"] == []
    call(h, "AddKvpItems", "no-kvp", [kvp.item_xml("k", "v", 0)])
    h.clock.advance(REALISTIC.kvp_job)
    device("no-kvp")  # the host applies a job's change once it has ended (seen at the next read)
    assert h.vm("no-kvp").kvp.host_items == {"k": "v"} and h.vm("no-kvp").kvp.external == {}  # stored, not sent
    with h.model.lock:
        h.vm("no-kvp").set_component_enabled("2A34B1C2-FD73-4043-8A5B-DD2159BC743F", True, h.now())
    h.clock.advance(30)
    device("no-kvp")
    assert h.vm("no-kvp").kvp.external == {"k": "v"}  # delivered once the service answers


def test_values_keep_carriage_returns_and_whitespace_through_the_xml() -> None:
    for value in ("a\r\nb", "\r", "  ", "", "<&>\"'", "😀\u202e"):
        assert kvp.parse_item(kvp.item_xml("k", value, 0)) == ("k", value, 0)
    pretty = (
        '<INSTANCE CLASSNAME="Msvm_KvpExchangeDataItem">\n  <PROPERTY NAME="Data" TYPE="string">\n'
        '     <VALUE>AUTOBVT-4OVYXAB</VALUE>\n  </PROPERTY>\n  <PROPERTY NAME="Name" TYPE="string"></PROPERTY>\n'
        "</INSTANCE>"
    )
    assert kvp.parse_item(pretty) == ("", "AUTOBVT-4OVYXAB", None)  # no VALUE: empty
