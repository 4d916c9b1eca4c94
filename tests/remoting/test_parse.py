"""Parsing host answers into domain objects: pure, on fixed input."""

from __future__ import annotations

import datetime
import json
import logging
import uuid

import pytest
from pypsrp.complex_objects import GenericComplexObject

from hvgui.domain.checkpoints import SnapshotType
from hvgui.domain.errors import ProtocolError
from hvgui.domain.integration import GUEST_SERVICE_INTERFACE, HEARTBEAT, ComponentStatus
from hvgui.domain.inventory import diff_inventory
from hvgui.domain.vm import CheckpointType, HeartbeatStatus, VmState
from hvgui.remoting.parse import (
    InventoryReader,
    enum_value,
    parse_checkpoint,
    parse_datetime,
    parse_inventory,
    parse_timespan_seconds,
    parse_vm_host,
    parse_vm_object,
    properties_of,
)

KEY = "http://hv-demo-01:5985"
DC01 = "3f2a8b1c-0d4e-4f5a-9b6c-7d8e9f0a1b2c"
WEB = "0a1b2c3d-4e5f-4a5b-8c7d-9e0f1a2b3c4d"
#: When the test inventories arrived (Unix time).
FETCHED = 1_700_000_000.0


def _ic(guid: str, name: str, on: bool, p: int | None, s: int | None, pt: str = "", st: str = "") -> dict:
    return {"id": guid, "name": name, "on": on, "p": p, "s": s, "pt": pt, "st": st}


#: The shape the host module writes (compact JSON, one string).
INVENTORY_TEXT = json.dumps(
    {
        "v": 1,
        "host": "HV-DEMO-01",
        "vms": [
            {
                "id": DC01,
                "name": "dc01",
                "state": 2,
                "hb": 6,
                "status": "Operating normally",
                "up": 12345,
                "cpu": 3,
                "mem": 4294967296,
                "gen": 2,
                "ver": "10.0",
                "cp": 3,
                "cl": False,
                "ic": [
                    _ic("6C09BB55-D683-4DA0-8931-C9BF705F6480", "Guest Service Interface", False, None, None),
                    _ic("84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47", "Heartbeat", True, 2, 2, "OK", "OK"),
                    _ic("2A34B1C2-FD73-4043-8A5B-DD2159BC743F", "Key-Value Pair Exchange", True, 2, None, "OK"),
                    _ic("9F8233AC-BE49-4C79-8EE3-E7E1985B2077", "Shutdown", True, 2, None, "OK"),
                    _ic("2497F4DE-E9FA-4204-80E4-4B75C46419C0", "Time Synchronization", True, 2, None, "OK"),
                    _ic("5CED1297-4598-4915-A5FC-AD21BB4D02A4", "VSS", True, 2, None, "OK"),
                ],
            },
            {
                "id": WEB.upper(),
                "name": 'web "01" $(x) `n\nzürich',
                "state": 3,
                "hb": None,
                "status": "Operating normally",
                "up": 0,
                "cpu": 0,
                "mem": 0,
                "gen": 1,
                "ver": "9.0",
                "cp": 5,
                "cl": True,
                "ic": [_ic("84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47", "Takt", True, None, None)],
            },
        ],
    },
    separators=(",", ":"),
    ensure_ascii=False,
)


def test_schema_2_has_the_keys_of_schema_1_and_reads_the_same(caplog: pytest.LogCaptureFixture) -> None:
    # Version 2 (read from bulk CIM queries on the host) keeps every key of version 1.
    v2 = INVENTORY_TEXT.replace('{"v":1,', '{"v":2,', 1)
    assert v2 != INVENTORY_TEXT
    with caplog.at_level("INFO"):
        report = parse_inventory(v2, host=KEY, fetched_at=FETCHED)
    assert report.schema == 2 and not [r for r in caplog.records if "newer" in r.getMessage()]
    assert report.inventory == parse_inventory(INVENTORY_TEXT, host=KEY, fetched_at=FETCHED).inventory


def test_inventory_of_contract_2() -> None:
    report = parse_inventory(INVENTORY_TEXT, host=KEY, fetched_at=FETCHED)
    assert report.host_name == "HV-DEMO-01"
    assert report.schema == 1
    inventory = report.inventory
    assert inventory.host == KEY
    assert inventory.fetched_at == FETCHED
    dc01, _web = inventory.vms
    assert (dc01.host, dc01.vm_id, dc01.name) == (KEY, DC01, "dc01")
    assert dc01.state is VmState.Running
    assert dc01.heartbeat is HeartbeatStatus.OkApplicationsHealthy
    # Schemas 1 and 2 send the uptime; it becomes a boot time by the arrival time.
    assert (dc01.booted_at, dc01.cpu_usage, dc01.memory_assigned) == (FETCHED - 12345, 3, 4294967296)
    assert dc01.uptime(FETCHED + 5) == 12350
    assert (dc01.generation, dc01.version, dc01.checkpoint_type, dc01.is_clustered) == (
        2,
        "10.0",
        CheckpointType.Production,
        False,
    )
    services = {s.ic_guid: s for s in dc01.integration_services}
    assert len(services) == 6
    gsi = services[GUEST_SERVICE_INTERFACE.ic_guid]
    assert gsi.enabled is False and gsi.primary is None and gsi.info is GUEST_SERVICE_INTERFACE
    heartbeat = services[HEARTBEAT.ic_guid]
    assert (heartbeat.primary, heartbeat.secondary, heartbeat.primary_text) == (
        ComponentStatus.Ok,
        ComponentStatus.Ok,
        "OK",
    )


def test_off_vm_has_no_heartbeat_and_keeps_odd_names_verbatim() -> None:
    web = parse_inventory(INVENTORY_TEXT, host=KEY, fetched_at=0).inventory.vms[1]
    assert web.vm_id == WEB  # ids are filed lower case whatever the host sends
    assert web.name == 'web "01" $(x) `n\nzürich'
    assert web.state is VmState.Off
    assert web.heartbeat is None
    assert web.checkpoint_type is CheckpointType.Standard and web.is_clustered is True
    (heartbeat,) = web.integration_services
    assert heartbeat.name == "Takt" and heartbeat.info is HEARTBEAT  # localized name, matched by GUID


def test_values_from_a_newer_host_do_not_crash(caplog: pytest.LogCaptureFixture) -> None:
    text = json.dumps(
        {
            "v": 7,
            "host": "HV-FUTURE",
            "new-field": {"x": 1},
            "vms": [
                {
                    "id": DC01,
                    "name": "future",
                    "state": 40000,
                    "hb": 99,
                    "cp": 12,
                    "extra": [1, 2],
                    "ic": [_ic("11111111-2222-3333-4444-555555555555", "New Service", True, 4242, -1)],
                }
            ],
        }
    )
    with caplog.at_level(logging.INFO, logger="hvgui.remoting.parse"):
        report = parse_inventory(text, host=KEY, fetched_at=0)
    (vm,) = report.inventory.vms
    assert report.schema == 7
    assert vm.state is VmState.Other
    assert vm.heartbeat is HeartbeatStatus.Unknown
    assert vm.checkpoint_type is None
    (service,) = vm.integration_services
    assert service.primary is ComponentStatus.Unknown and service.secondary is ComponentStatus.Unknown
    assert service.info is None
    assert "unknown VmState value 40000" in caplog.text


def test_missing_and_mistyped_values_get_defaults() -> None:
    text = json.dumps(
        {
            "vms": [
                {"id": DC01},
                {
                    "id": WEB,
                    "name": None,
                    "state": "Running",
                    "hb": "6",
                    "up": "12",
                    "mem": -5,
                    "cl": "yes",
                    "ic": "no",
                },
                {"name": "no id"},
                "not an object",
                {"id": "   "},
            ]
        }
    )
    report = parse_inventory(text, host=KEY, fetched_at=FETCHED)
    bare, typed = report.inventory.vms
    assert report.host_name == "" and report.schema == 0
    assert (bare.name, bare.state, bare.heartbeat, bare.booted_at, bare.integration_services) == (
        "",
        VmState.Other,
        None,
        None,
        (),
    )
    assert typed.state is VmState.Running and typed.heartbeat is HeartbeatStatus.OkApplicationsHealthy
    assert (typed.booted_at, typed.memory_assigned, typed.is_clustered) == (FETCHED - 12, 0, False)


def test_empty_host() -> None:
    report = parse_inventory('{"v":1,"host":"HV-EMPTY","vms":[]}', host=KEY, fetched_at=0)
    assert report.inventory.vms == ()


@pytest.mark.parametrize("text", ["", "not json", "[1,2]", '{"v":1}', '{"vms":{}}', "null"])
def test_answers_that_are_not_an_inventory_raise_protocol_error(text: str) -> None:
    with pytest.raises(ProtocolError):
        parse_inventory(text, host=KEY, fetched_at=0)


def _enum_object(name: str, value: int) -> GenericComplexObject:
    """What pypsrp deserializes `<Obj><TN>...System.Enum...</TN><ToString>name</ToString><I32>value</I32>`."""
    obj = GenericComplexObject()
    obj.types = ["Deserialized.Microsoft.HyperV.PowerShell.VMState", "Deserialized.System.Enum"]
    obj.to_string = name
    obj.property_sets = [value]
    return obj


def test_vm_object_from_get_vm() -> None:
    vm = GenericComplexObject()
    vm.adapted_properties = {
        "Name": "dc01",
        "Id": DC01.upper(),
        "State": _enum_object("Running", 2),
        "Heartbeat": _enum_object("OkApplicationsHealthy", 6),
        "Status": "Operating normally",
        "Uptime": "P1DT2H3M4.9S",
        "CPUUsage": 7,
        "MemoryAssigned": 2147483648,
        "Generation": 2,
        "Version": "10.0",
        "CheckpointType": _enum_object("ProductionOnly", 4),
        "IsClustered": False,
    }
    parsed = parse_vm_object(properties_of(vm), host=KEY)
    assert (parsed.vm_id, parsed.name, parsed.state, parsed.heartbeat) == (
        DC01,
        "dc01",
        VmState.Running,
        HeartbeatStatus.OkApplicationsHealthy,
    )
    assert parsed.uptime() in (86400 + 2 * 3600 + 3 * 60 + 4, 86400 + 2 * 3600 + 3 * 60 + 5)
    assert parsed.checkpoint_type is CheckpointType.ProductionOnly


def test_off_vm_object_and_enum_without_value() -> None:
    state = GenericComplexObject()
    state.to_string = "Off"
    parsed = parse_vm_object({"Id": DC01, "Name": "x", "State": state, "Heartbeat": None, "Uptime": "PT0S"}, host=KEY)
    assert parsed.state is VmState.Off
    assert parsed.heartbeat is None
    assert parsed.booted_at is None and parsed.uptime() == 0
    assert enum_value(None) is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT0S", 0),
        ("PT42M", 2520),
        ("PT1H0.5S", 3600),
        ("P2D", 172800),
        ("-PT5S", 0),
        ("garbage", 0),
        (None, 0),
        (9.7, 9),
    ],
)
def test_timespans(text: object, seconds: int) -> None:
    assert parse_timespan_seconds(text) == seconds


def test_vm_host() -> None:
    host = GenericComplexObject()
    host.adapted_properties = {
        "Name": "HV-DEMO-01",
        "FullyQualifiedDomainName": "hv-demo-01.corp.example",
        "LogicalProcessorCount": 16,
        "MemoryCapacity": 68719476736,
        "VirtualMachinePath": "C:\\ProgramData\\Microsoft\\Windows\\Hyper-V",
        "VirtualHardDiskPath": "C:\\Users\\Public\\Documents\\Hyper-V\\Virtual Hard Disks",
    }
    info = parse_vm_host(properties_of(host))
    assert info.name == "HV-DEMO-01"
    assert info.fully_qualified_domain_name == "hv-demo-01.corp.example"
    assert (info.logical_processor_count, info.memory_capacity) == (16, 68719476736)
    assert parse_vm_host({}).name == ""


# --- the guest's own OS facts (optional keys) -----------------------------------------------------


def _with_guest_keys(**keys: object) -> str:
    document = json.loads(INVENTORY_TEXT)
    document["vms"][0].update(keys)
    return json.dumps(document)


def test_guest_os_facts_of_contract_5() -> None:
    text = _with_guest_keys(os="Windows Server 2022 Datacenter", osv="10.0.20348", ptype=2)
    dc01, web = parse_inventory(text, host=KEY, fetched_at=0).inventory.vms
    assert (dc01.guest_os_name, dc01.guest_os_version, dc01.guest_product_type) == (
        "Windows Server 2022 Datacenter",
        "10.0.20348",
        2,
    )
    assert dc01.is_domain_controller
    # the Off VM has no keys at all (a module older than the guest keys sends none either)
    assert (web.guest_os_name, web.guest_os_version, web.guest_product_type) == (None, None, None)
    assert not web.is_domain_controller


def test_guest_os_facts_the_guest_does_not_report_are_none() -> None:
    text = _with_guest_keys(os=None, osv=None, ptype=None)
    dc01 = parse_inventory(text, host=KEY, fetched_at=0).inventory.vms[0]
    assert (dc01.guest_os_name, dc01.guest_os_version, dc01.guest_product_type) == (None, None, None)


@pytest.mark.parametrize(
    ("os_name", "os_version", "product_type", "expected"),
    [
        ("  Ubuntu ", "6.8.0", "3", ("Ubuntu", "6.8.0", 3)),  # trimmed; a number sent as text still reads
        ("", "   ", "", (None, None, None)),  # blank text is "not reported"
        (["x"], {"a": 1}, True, (None, None, None)),  # wrong types are ignored, not fatal
        ("Windows 10 Enterprise", 10, 1.0, ("Windows 10 Enterprise", "10", 1)),
        ("FreeBSD", "14.0", "server", ("FreeBSD", "14.0", None)),
    ],
)
def test_guest_os_facts_are_read_tolerantly(
    os_name: object, os_version: object, product_type: object, expected: tuple[object, ...]
) -> None:
    text = _with_guest_keys(os=os_name, osv=os_version, ptype=product_type)
    dc01 = parse_inventory(text, host=KEY, fetched_at=0).inventory.vms[0]
    assert (dc01.guest_os_name, dc01.guest_os_version, dc01.guest_product_type) == expected


# --- VMSnapshot objects ---------------------------------------------------------------------------------------


def test_checkpoint_from_get_vmsnapshot() -> None:
    snapshot = GenericComplexObject()
    snapshot.adapted_properties = {
        "Name": "sql01 - before patch 'KB5034441'",
        "Id": uuid.UUID("6f9b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"),
        "VMName": "sql01",
        "VMId": uuid.UUID(DC01),
        "SnapshotType": _enum_object("Standard", 0),
        "IsAutomaticCheckpoint": False,
        "CreationTime": "2024-05-02T14:03:59.1234567+02:00",
        "ParentSnapshotId": None,
        "ParentSnapshotName": None,
        "CheckpointType": _enum_object("Production", 3),
    }
    checkpoint = parse_checkpoint(properties_of(snapshot))
    assert checkpoint.checkpoint_id == "6f9b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
    assert (checkpoint.name, checkpoint.vm_name, checkpoint.vm_id) == (
        "sql01 - before patch 'KB5034441'",
        "sql01",
        DC01,
    )
    assert checkpoint.snapshot_type is SnapshotType.Standard
    assert checkpoint.is_automatic is False
    assert checkpoint.creation_time == datetime.datetime(
        2024, 5, 2, 14, 3, 59, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    )
    assert (checkpoint.parent_id, checkpoint.parent_name) == (None, "")
    assert checkpoint.checkpoint_type is CheckpointType.Production


def test_checkpoint_with_a_parent_and_unknown_values() -> None:
    checkpoint = parse_checkpoint(
        {
            "Name": "auto",
            "Id": "6F9B1C2D-3E4F-4A5B-8C6D-7E8F9A0B1C2D",
            "VMName": "web01",
            "VMId": WEB.upper(),
            "SnapshotType": 99,
            "IsAutomaticCheckpoint": True,
            "CreationTime": "not a date",
            "ParentSnapshotId": "AAAAAAAA-3E4F-4A5B-8C6D-7E8F9A0B1C2D",
            "ParentSnapshotName": "base",
        }
    )
    assert checkpoint.checkpoint_id == "6f9b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
    assert checkpoint.vm_id == WEB
    assert checkpoint.snapshot_type is SnapshotType.Standard
    assert checkpoint.is_automatic is True
    assert checkpoint.creation_time is None
    assert (checkpoint.parent_id, checkpoint.parent_name) == ("aaaaaaaa-3e4f-4a5b-8c6d-7e8f9a0b1c2d", "base")
    assert checkpoint.checkpoint_type is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01-15T09:30:00Z", datetime.datetime(2024, 1, 15, 9, 30, tzinfo=datetime.UTC)),
        ("2024-01-15T09:30:00", datetime.datetime(2024, 1, 15, 9, 30)),
        ("", None),
        (None, None),
        ("15.01.2024", None),
    ],
)
def test_datetimes(value: object, expected: datetime.datetime | None) -> None:
    assert parse_datetime(value) == expected


def _schema_3(boot: int | None, cpu: int = 3, hb: int = 6) -> str:
    document = json.loads(INVENTORY_TEXT)
    document["v"] = 3
    first = document["vms"][0]
    del first["up"]
    first.update(boot=boot, cpu=cpu, hb=hb)
    del document["vms"][1]["up"]
    document["vms"][1]["boot"] = None
    return json.dumps(document)


def test_schema_3_sends_boot_times_and_the_uptime_grows_without_a_refresh() -> None:
    report = parse_inventory(_schema_3(1_699_990_000), host=KEY, fetched_at=FETCHED)
    dc01, web = report.inventory.vms
    assert report.schema == 3
    assert dc01.booted_at == 1_699_990_000
    assert (dc01.uptime(1_699_990_000 + 60), dc01.uptime(1_699_990_000 + 3600)) == (60, 3600)
    assert web.booted_at is None and web.uptime(FETCHED) == 0


def test_a_reader_keeps_the_vm_of_an_entry_that_did_not_change() -> None:
    reader = InventoryReader(KEY)
    first = reader.read(_schema_3(1_699_990_000), fetched_at=FETCHED).inventory
    # The host's boot time wobbles by a second between two answers: no news, the very same Vm.
    again = reader.read(_schema_3(1_699_990_001), fetched_at=FETCHED + 2).inventory
    assert again.vms[0] is first.vms[0] and again.vms[1] is first.vms[1]
    assert diff_inventory(first, again).is_empty
    # A heartbeat that changed: a new Vm for that entry only, and the diff names it.
    lost = reader.read(_schema_3(1_699_990_000, hb=4), fetched_at=FETCHED + 4).inventory
    assert lost.vms[0] is not first.vms[0] and lost.vms[1] is first.vms[1]
    assert lost.vms[0].heartbeat is HeartbeatStatus.LostCommunication
    assert diff_inventory(again, lost).changed == (lost.vms[0],)
    # A restart moves the boot time by more than the wobble: news.
    restarted = reader.read(_schema_3(1_699_999_000, hb=4), fetched_at=FETCHED + 6).inventory
    assert restarted.vms[0].booted_at == 1_699_999_000


def test_a_reader_reads_each_answer_whole_like_a_fresh_parse() -> None:
    reader = InventoryReader(KEY)
    reader.read(_schema_3(1_699_990_000), fetched_at=FETCHED)
    changed = _schema_3(1_699_990_000, cpu=55)
    assert (
        reader.read(changed, fetched_at=FETCHED).inventory
        == parse_inventory(changed, host=KEY, fetched_at=FETCHED).inventory
    )
