"""What host work costs, below the wire: cost profiles, the module's WMI reads and their cache, host jobs.

Time never passes for real here: the hosts run on a hand-moved clock, and their `HostCosts` wait through an
injected function that records the wait (and, for jobs, moves the clock), so the tests check host seconds
charged, not wall time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from model_harness import FakeClock, Harness, cmd, one_host

from hvgui.emulator.hyperv import enums
from hvgui.emulator.hyperv.costs import (
    INSTANT,
    REALISTIC,
    CmdletCost,
    CostProfile,
    HostCosts,
    host_clock,
    load_profile,
)
from hvgui.emulator.hyperv.reference import VmState
from hvgui.emulator.hyperv.vm import JobDurations, job_durations
from hvgui.emulator.scenarios import build_scenario, load_scenario

GIB_MB = 1024
#: Realistic jobs, but commands that cost nothing: the fake clock then moves by whole job seconds only.
JOBS = replace(REALISTIC, name="jobs", cmdlets={}, default=CmdletCost(), wmi_read=0.0)


def costly(
    h: Harness,
    profile: CostProfile = REALISTIC,
    *,
    moves_clock: bool = False,
    wait: Callable[[threading.Event, float], bool] | None = None,
) -> HostCosts:
    """Give the harness host `profile`. Waiting moves the fake clock when `moves_clock`, else nothing moves;
    `wait` replaces the waiting altogether."""

    def pass_time(stop: threading.Event, seconds: float) -> bool:
        if moves_clock:
            h.clock.advance(seconds * profile.time_scale)
        return stop.is_set()

    h.model.costs = HostCosts(profile, wait=wait or pass_time)
    return h.model.costs


def charged_by(h: Harness, *commands) -> float:
    before = h.model.costs.charged
    h.run(*commands)
    return h.model.costs.charged - before


# ---------------------------------------------------------------------------- choosing a profile


def test_in_process_scenarios_are_instant_unless_asked() -> None:
    scenario = load_scenario("demo", clock=FakeClock())
    assert scenario.cost_profile is INSTANT
    assert all(h.model.costs.profile is INSTANT for h in scenario.hosts)
    assert not INSTANT.wait_for_jobs and REALISTIC.wait_for_jobs


def test_every_host_gets_its_own_costs_of_the_chosen_profile() -> None:
    scenario = load_scenario("demo", clock=FakeClock(), cost_profile="realistic", time_scale=8)
    costs = [h.model.costs for h in scenario.hosts]
    assert len({id(c) for c in costs}) == len(costs) > 1  # one module cache per host
    assert {c.profile.name for c in costs} == {"realistic"}
    assert {c.profile.time_scale for c in costs} == {8.0}
    assert scenario.cost_profile.cmdlet("get-vm") == REALISTIC.cmdlet("Get-VM")


def test_a_scenario_document_names_its_profile_and_the_caller_overrides_it(tmp_path: Path) -> None:
    document = {**one_host({"name": "vm1"}), "cost_profile": "realistic", "time_scale": 4}
    own = build_scenario(document, clock=FakeClock())
    assert (own.cost_profile.name, own.cost_profile.time_scale) == ("realistic", 4.0)
    overridden = build_scenario(document, clock=FakeClock(), cost_profile="instant", time_scale=2)
    assert (overridden.cost_profile.name, overridden.cost_profile.time_scale) == ("instant", 2.0)
    inline = build_scenario({**one_host({"name": "vm1"}), "cost_profile": {"name": "slow", "wmi_read": 0.5}})
    assert (inline.cost_profile.name, inline.cost_profile.wmi_read) == ("slow", 0.5)

    # A profile file named by a scenario file is found next to it.
    (tmp_path / "measured.json").write_text(json.dumps({"cost_profile": {**REALISTIC.to_json(), "name": "lab"}}))
    scenario_file = tmp_path / "lab.json"
    scenario_file.write_text(json.dumps({**one_host({"name": "vm1"}), "cost_profile": "measured.json"}))
    loaded = load_scenario(str(scenario_file), clock=FakeClock())
    assert loaded.cost_profile.name == "lab" and loaded.cost_profile.wmi_read == REALISTIC.wmi_read


def test_bad_profiles_and_time_scales_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match=r"unknown cost profile 'sluggish'.*instant or realistic"):
        load_profile("sluggish")
    with pytest.raises(ValueError, match="unknown cost profile"):
        build_scenario({**one_host({"name": "vm1"}), "cost_profile": "sluggish"})
    with pytest.raises(ValueError, match="positive"):
        build_scenario({**one_host({"name": "vm1"}), "time_scale": 0})


def test_a_profile_survives_its_json_form(tmp_path: Path) -> None:
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(REALISTIC.to_json()))
    assert load_profile(str(path)) == REALISTIC
    assert load_profile(str(path), time_scale=3).time_scale == 3


def test_the_host_clock_runs_time_scale_times_as_fast() -> None:
    base = FakeClock(start=100.0)
    clock = host_clock(10, base)
    assert clock() == 100.0
    base.advance(1.5)
    assert clock() == pytest.approx(115.0)
    assert host_clock(1.0, base) is base


# ---------------------------------------------------------------------------- cmdlet costs


def test_get_vm_costs_a_fixed_part_plus_the_module_reads_per_vm() -> None:
    small, large = Harness("large:10"), Harness("large:40")
    costly(small), costly(large)
    base, read = REALISTIC.cmdlet("Get-VM").base, REALISTIC.wmi_read
    assert charged_by(small, cmd("Get-VM")) == pytest.approx(base + 10 * 6 * read)
    assert charged_by(large, cmd("Get-VM")) == pytest.approx(base + 40 * 6 * read)


def test_the_module_reads_are_cached_per_vm_for_five_host_seconds() -> None:
    h = Harness("large:10")
    costly(h)
    base, read = REALISTIC.cmdlet("Get-VM").base, REALISTIC.wmi_read
    assert charged_by(h, cmd("Get-VM")) == pytest.approx(base + 10 * 6 * read)
    h.clock.advance(4.0)
    assert charged_by(h, cmd("Get-VM")) == pytest.approx(base)  # every VM read less than 5 s ago
    assert charged_by(h, cmd("Get-VM", "vm-0001")) == pytest.approx(base)
    h.clock.advance(1.5)
    assert charged_by(h, cmd("Get-VM", "vm-0001")) == pytest.approx(base + 6 * read)  # 5.5 s: read again
    assert charged_by(h, cmd("Get-VM")) == pytest.approx(base + 9 * 6 * read)  # the others too, not vm-0001


def test_get_vm_piped_to_get_vmintegrationservice_on_1000_vms_costs_tens_of_seconds() -> None:
    h = Harness("large:1000")
    costly(h)
    sink = h.run(cmd("Get-VM"), cmd("Get-VMIntegrationService"))
    assert len(sink.output) == 6000
    charged = h.model.costs.charged
    # The fixed parts once per command (not per record), then 6 reads per VM and 7 per VM's components.
    expected = REALISTIC.cmdlet("Get-VM").base + REALISTIC.cmdlet("Get-VMIntegrationService").base
    expected += 1000 * (6 + 7) * REALISTIC.wmi_read
    assert charged == pytest.approx(expected)
    assert 20 <= charged <= 90


def test_read_only_and_host_cmdlets_charge_their_own_figures() -> None:
    h = Harness(one_host({"name": "vm1", "state": "Off"}))
    costly(h, moves_clock=True)  # the checkpoint jobs take their time
    assert charged_by(h, cmd("Get-VMHost")) == pytest.approx(REALISTIC.cmdlet("Get-VMHost").base)
    h.run(cmd("Checkpoint-VM", "vm1"))
    h.run(cmd("Checkpoint-VM", "vm1"))
    snapshot = REALISTIC.cmdlet("Get-VMSnapshot")
    assert charged_by(h, cmd("Get-VMSnapshot", "vm1")) == pytest.approx(snapshot.base + 2 * snapshot.per_object)


def test_mutating_cmdlets_pay_per_operand_and_whatif_pays_only_the_fixed_part() -> None:
    h = Harness(one_host({"name": "vm1"}, {"name": "vm2"}, {"name": "vm3"}))
    costly(h)
    set_vm = REALISTIC.cmdlet("Set-VM")
    assert charged_by(h, cmd("Set-VM", ["vm1", "vm2"], Notes="n")) == pytest.approx(set_vm.base + 2 * set_vm.per_object)
    assert charged_by(h, cmd("Set-VM", ["vm1", "vm2", "vm3"], Notes="n", WhatIf=True)) == pytest.approx(set_vm.base)


def test_instant_charges_nothing() -> None:
    h = Harness("large:20")
    sink = h.run(cmd("Get-VM"), cmd("Get-VMIntegrationService"))
    assert len(sink.output) == 120 and h.model.costs.charged == 0


def test_a_stopped_pipeline_stops_paying_at_once() -> None:
    h = Harness("large:50")
    seen: list[float] = []

    def wait(stop: threading.Event, seconds: float) -> bool:
        seen.append(seconds)
        if len(seen) == 3:  # the fixed part, then two VMs' reads: then the client stops the pipeline
            stop.set()
        return stop.is_set()

    costly(h, wait=wait)
    sink = h.run(cmd("Get-VM"))
    assert len(seen) == 3 and len(sink.output) == 1


# ---------------------------------------------------------------------------- jobs


def windows_vm(**extra: object) -> dict:
    return {"name": "vm1", "os": "windows-server-2022", "state": "Running", "uptime": 3600, **extra}


def test_a_graceful_shutdown_blocks_and_writes_a_progress_record_per_second() -> None:
    h = Harness(one_host(windows_vm(durations={"shutdown": 12})))
    costly(h, JOBS, moves_clock=True)
    sink = h.run(cmd("Stop-VM", "vm1", Passthru=True))
    records = sink.progress
    assert {r.activity for r in records} == {"Shut down a virtual machine"}
    assert [r.completed for r in records] == [False] * 12 + [True]  # 0 s, 1 s, ... 11 s, then the end
    assert [r.percent_complete for r in records[:3]] == [0, 8, 16] and records[-1].percent_complete == 100
    assert all(r.status_description == f"{r.percent_complete}%" for r in records)
    assert all((r.activity_id, r.seconds_remaining, r.parent_activity_id) == (0, -1, -1) for r in records)
    (vm_object,) = sink.output  # -Passthru writes the VM once the job ended
    assert vm_object.State is enums.VMState.Off
    assert h.vm("vm1").state(h.now()) is VmState.Off


def test_a_job_done_at_once_writes_two_completed_records() -> None:
    h = Harness(one_host(windows_vm()))
    costly(h, JOBS, moves_clock=True)
    sink = h.run(cmd("Stop-VM", "vm1", TurnOff=True))
    assert [(r.activity, r.percent_complete, r.completed) for r in sink.progress] == [
        ("Stop a virtual machine", 100, True),
        ("Stop a virtual machine", 100, True),
    ]


def test_as_job_and_instant_return_at_once_without_progress() -> None:
    h = Harness(one_host(windows_vm(), windows_vm(name="vm2")))
    costly(h, JOBS, moves_clock=True)
    before = h.now()
    sink = h.run(cmd("Stop-VM", "vm1", AsJob=True))
    assert sink.progress == [] and h.vm("vm1").state(h.now()) is VmState.Stopping
    assert h.now() - before < 1

    instant = Harness(one_host(windows_vm()))
    sink = instant.run(cmd("Stop-VM", "vm1"))
    assert sink.progress == [] and instant.vm("vm1").state(instant.now()) is VmState.Stopping


def test_a_stopped_pipeline_does_not_cancel_the_job() -> None:
    h = Harness(one_host(windows_vm(durations={"shutdown": 30}), windows_vm(name="vm2")))
    started = h.now()

    def wait(stop: threading.Event, seconds: float) -> bool:
        h.clock.advance(seconds)
        if h.vm("vm1").state(h.now()) is VmState.Stopping and h.now() - started > 5:
            stop.set()  # the client stops the pipeline five seconds into the shutdown
        return stop.is_set()

    costly(h, JOBS, wait=wait)
    sink = h.run(cmd("Stop-VM", ["vm1", "vm2"], Passthru=True))
    assert sink.output == [] and not sink.progress[-1].completed
    assert h.vm("vm1").state(h.now()) is VmState.Stopping  # still shutting down
    assert h.vm("vm2").state(h.now()) is VmState.Running  # the next VM was never touched
    h.clock.advance(30)
    assert h.vm("vm1").state(h.now()) is VmState.Off  # the job ran to its end anyway


def job_seconds(h: Harness, *commands) -> int:
    """How many progress records the job wrote before its end (one per host second)."""
    sink = h.run(*commands)
    assert sink.progress[-1].completed
    return len(sink.progress) - 1


def test_saving_grows_with_memory_and_linux_shuts_down_faster_than_windows() -> None:
    h = Harness(
        one_host(
            windows_vm(name="small", memory_mb=2 * GIB_MB),
            windows_vm(name="big", memory_mb=16 * GIB_MB),
            {"name": "linux", "os": "ubuntu-22.04", "state": "Running", "uptime": 3600},
            windows_vm(name="windows"),
        )
    )
    costly(h, JOBS, moves_clock=True)
    assert job_seconds(h, cmd("Save-VM", "small")) == 3  # 1 s + 2 GiB x 1 s
    assert job_seconds(h, cmd("Save-VM", "big")) == 17
    assert job_seconds(h, cmd("Stop-VM", "linux")) < job_seconds(h, cmd("Stop-VM", "windows"))


def test_a_production_checkpoint_takes_longer_than_a_standard_one() -> None:
    h = Harness(
        one_host(
            windows_vm(name="prod", memory_mb=4 * GIB_MB, checkpoint_type="Production"),
            windows_vm(name="std", memory_mb=4 * GIB_MB, checkpoint_type="Standard"),
        )
    )
    costly(h, JOBS, moves_clock=True)
    sink = h.run(cmd("Checkpoint-VM", "prod", Passthru=True))
    assert {r.activity for r in sink.progress} == {"Create a snapshot"} and len(sink.output) == 1
    production = len(sink.progress) - 1
    standard = job_seconds(h, cmd("Checkpoint-VM", "std"))
    assert standard < production
    assert production == pytest.approx(JobDurations().checkpoint_seconds(vss=True, memory_bytes=0), abs=1)


def test_start_save_restart_and_pause_are_watched_jobs_too() -> None:
    h = Harness(one_host(windows_vm(), windows_vm(name="off", state="Off")))
    costly(h, JOBS, moves_clock=True)
    for command, activity in (
        (cmd("Start-VM", "off"), "Start a virtual machine"),
        (cmd("Suspend-VM", "vm1"), "Pause a virtual machine"),
        (cmd("Resume-VM", "vm1"), "Resume a virtual machine"),
        (cmd("Restart-VM", "vm1", Force=True), "Reset a virtual machine"),
        (cmd("Save-VM", "vm1"), "Save a virtual machine"),
    ):
        sink = h.run(command)
        assert sink.errors == [] and sink.progress[-1].completed
        assert {r.activity for r in sink.progress} == {activity}
    assert h.vm("off").state(h.now()) is VmState.Running
    assert h.vm("vm1").state(h.now()) is VmState.Saved


# ---------------------------------------------------------------------------- durations


def test_durations_merge_scenario_host_and_vm() -> None:
    document = one_host(
        {"name": "a", "durations": {"shutdown": 45}},
        {"name": "b"},
    )
    document["durations"] = {"start": 5, "save_per_gib": 2}
    document["hosts"][0]["durations"] = {"start": 7}
    h = Harness(document)
    a, b = h.vm("a").durations, h.vm("b").durations
    assert (a.start, a.save_per_gib, a.shutdown) == (7, 2, 45)
    assert (b.start, b.shutdown) == (7, None)
    assert h.vm("a").shutdown_seconds == 45
    assert h.vm("b").shutdown_seconds == h.vm("b").guest.os.shutdown_seconds


def test_bad_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown durations shutdwon"):
        job_durations({"shutdwon": 4})
    with pytest.raises(ValueError, match="'save_base' must be a number"):
        job_durations({"save_base": -1})
    with pytest.raises(ValueError, match="VM 'a'"):
        build_scenario(one_host({"name": "a", "durations": {"boot": "soon"}}))


def test_a_cim_calls_own_work_counts_toward_its_charge() -> None:
    """The emulator's time building instances stands for the provider's work: it is not paid twice."""
    waits: list[float] = []
    costs = HostCosts(REALISTIC, wait=lambda _stop, seconds: waits.append(seconds) or False)
    stop = threading.Event()
    assert costs.charge_cim(stop, instances=1000, projected=True, worked=0.05)
    assert waits[-1] == pytest.approx(0.03 + 1000 * 0.0001 - 0.05)
    assert costs.charged == pytest.approx(0.03 + 1000 * 0.0001)  # the host's time is the whole charge
    assert costs.charge_cim(stop, instances=10, worked=1.0)  # work beyond the charge: no wait at all
    assert len(waits) == 1
