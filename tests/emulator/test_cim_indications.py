"""CIM indications on the emulated host: which subscriptions a host accepts, and the events it then raises."""

from __future__ import annotations

import gc
import threading
import time
from typing import Any

import pytest
from model_harness import RecordingSink

from hvgui.emulator.hyperv.cim import indications
from hvgui.emulator.hyperv.emulated_host import EmulatedHost, HvRunspace
from hvgui.emulator.runtime import CmdletError, PipelineCommand, TerminatingError
from hvgui.emulator.scenarios import load_scenario

NAMESPACE = "root/virtualization/v2"
MODIFIED = "SELECT * FROM __InstanceModificationEvent{within} WHERE TargetInstance ISA '{cls}'"


@pytest.fixture
def host() -> EmulatedHost:
    return load_scenario("demo", seed=3).host("HV-DEMO-01")


def _run(host: EmulatedHost, runspace: HvRunspace, name: str, **parameters: Any) -> RecordingSink:
    sink = RecordingSink()
    host.run(runspace, [PipelineCommand(name=name, parameters=tuple(parameters.items()))], [], sink)
    return sink


def _register(host: EmulatedHost, runspace: HvRunspace, query: str, source: str, **extra: Any) -> RecordingSink:
    return _run(
        host,
        runspace,
        "Register-CimIndicationEvent",
        Namespace=NAMESPACE,
        Query=query,
        SourceIdentifier=source,
        **extra,
    )


def _refusal(host: EmulatedHost, runspace: HvRunspace, query: str, **extra: Any) -> CmdletError:
    with pytest.raises(TerminatingError) as refused:
        _register(host, runspace, query, "refused", **extra)
    return refused.value.error


def test_a_host_refuses_subscriptions_it_cannot_raise_without_within(host: EmulatedHost) -> None:
    runspace = host.open_runspace()
    error = _refusal(host, runspace, MODIFIED.format(within="", cls="Msvm_KvpExchangeComponent"))
    assert error.fully_qualified_error_id.startswith("HRESULT 0x80042002,")
    assert "WITHIN" in error.message
    assert _refusal(
        host, runspace, MODIFIED.format(within="", cls="Msvm_NoSuchClass")
    ).fully_qualified_error_id.startswith("HRESULT 0x80041010,")
    assert _refusal(host, runspace, "SELECT Name FROM Msvm_ComputerSystem").fully_qualified_error_id.startswith(
        "HRESULT 0x80041017,"
    )
    with pytest.raises(TerminatingError) as wrong_namespace:
        _run(
            host,
            runspace,
            "Register-CimIndicationEvent",
            Namespace="root/cimv2",
            Query=MODIFIED.format(within="", cls="Msvm_ComputerSystem"),
        )
    assert wrong_namespace.value.error.fully_qualified_error_id.startswith("HRESULT 0x8004100e,")
    # With WITHIN, WinMgmt polls the class itself: accepted for any class.
    accepted = _register(host, runspace, MODIFIED.format(within=" WITHIN 2", cls="Msvm_KvpExchangeComponent"), "polled")
    assert accepted.errors == [] and len(accepted.output) == 1
    assert indications.source(host.model).count() == 1


def test_heartbeat_component_events_follow_the_hosts_provider(host: EmulatedHost) -> None:
    runspace = host.open_runspace()
    query = MODIFIED.format(within="", cls="Msvm_HeartbeatComponent")
    host.model.heartbeat_indications = False
    assert _refusal(host, runspace, query).fully_qualified_error_id.startswith("HRESULT 0x80042002,")
    host.model.heartbeat_indications = True
    assert _register(host, runspace, query, "heartbeat").errors == []
    with pytest.raises(TerminatingError) as duplicate:
        _register(host, runspace, query, "HEARTBEAT")
    assert duplicate.value.error.fully_qualified_error_id.startswith("SUBSCRIBER_EXISTS,")
    runspace.events.unregister("heartbeat")


def _event_for(runspace: HvRunspace, source: str, seconds: float = 10.0) -> indications.QueuedEvent:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = runspace.events.wait(source, deadline - time.monotonic(), threading.Event())
        if found is not None:
            runspace.events.remove(found.event_identifier)
            return found
    raise AssertionError(f"no event from {source}")


def test_a_vm_that_stops_and_a_guest_that_hangs_raise_events(host: EmulatedHost) -> None:
    from hvgui.emulator.hyperv import heartbeats

    model = host.model
    vm = next(v for v in model.vms if v.guest_booted(model.now()) and v.heartbeat(model.now()) is not None)
    runspace = host.open_runspace()
    assert _register(host, runspace, MODIFIED.format(within="", cls="Msvm_ComputerSystem"), "state").errors == []
    assert _register(host, runspace, MODIFIED.format(within="", cls="Msvm_HeartbeatComponent"), "beat").errors == []

    heartbeats.hang(model, [str(vm.id)])
    beat = _event_for(runspace, "beat")
    assert beat.source_args_type == indications.INSTANCE_ARGS and beat.new_event is not None
    target, previous = beat.new_event.get("TargetInstance"), beat.new_event.get("PreviousInstance")
    assert target.get("SystemName") == str(vm.id).upper()
    assert target.get("OperationalStatus")[0] == 13 and previous.get("OperationalStatus")[0] == 2  # Lost, was OK

    assert _run(host, runspace, "Stop-VM", Name=vm.name, TurnOff=True).errors == []
    state = _event_for(runspace, "state")
    assert state.new_event is not None and state.new_event.class_name == "__InstanceModificationEvent"
    assert state.new_event.get("TargetInstance").get("Name") == str(vm.id).upper()
    assert state.new_event.get("PreviousInstance").get("EnabledState") == 2

    heartbeats.kill_watchers(model)
    failed = _event_for(runspace, "state")
    assert failed.source_args_type == indications.EXCEPTION_ARGS and failed.exception is not None
    assert indications.source(model).count() == 0


def test_a_subscription_ends_with_its_runspace(host: EmulatedHost) -> None:
    runspace = host.open_runspace()
    assert _register(host, runspace, MODIFIED.format(within="", cls="Msvm_ComputerSystem"), "state").errors == []
    assert indications.source(host.model).count() == 1
    del runspace
    gc.collect()
    assert indications.source(host.model).count() == 0
