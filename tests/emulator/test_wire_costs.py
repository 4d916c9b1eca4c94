"""Cost profiles and host jobs over the wire: the real pypsrp client against emulated hosts on loopback.

The realistic profile runs time-scaled (20 host seconds per real second), so a 12 s guest shutdown takes
0.6 s here; the `--cost-profile` / `--time-scale` options are checked on the command line and through the
child process the demo starts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool
from pypsrp.wsman import WSMan

from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.emulator.cli import build_parser, main
from hvgui.emulator.endpoints import Endpoint
from hvgui.emulator.hyperv.costs import REALISTIC
from hvgui.emulator.process import EmulatorProcess

WSManFactory = Callable[..., WSMan]
SCALE = 20.0


@pytest.fixture
def realistic_demo() -> Iterator[RunningEmulator]:
    with start_emulator("demo", cost_profile="realistic", time_scale=SCALE) as running:
        yield running


def vm_state(pool: RunspacePool, name: str) -> str:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-VM").add_parameter("Name", name)
    (vm,) = ps.invoke()
    return str(vm.adapted_properties["State"])


def check_shutdown_progress(ps: PowerShell) -> None:
    records = ps.streams.progress
    assert len(records) >= 5  # a 12 s shutdown: about a record per host second
    assert {r.activity for r in records} == {"Shut down a virtual machine"}
    assert {(r.activity_id, r.seconds_remaining) for r in records} == {(0, -1)}
    *running, last = records
    assert {str(r.progress_type) for r in running} == {"Processing"}
    assert (str(last.progress_type), last.percent_complete, last.description) == ("Completed", 100, "100%")
    percents = [r.percent_complete for r in running]
    assert percents == sorted(percents) and percents[0] < 20 and percents[-1] > 80
    assert all(r.description == f"{r.percent_complete}%" for r in running)


def test_a_graceful_stop_vm_blocks_and_sends_progress_records(
    realistic_demo: RunningEmulator, wsman_factory: WSManFactory
) -> None:
    endpoint = realistic_demo.endpoint("HV-DEMO-01")
    with RunspacePool(wsman_factory(endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Stop-VM").add_parameter("Name", "dc01")  # Windows Server 2022: 12 s
        assert ps.invoke() == []
        assert ps.state == PSInvocationState.COMPLETED and not ps.streams.error
        check_shutdown_progress(ps)
        assert vm_state(pool, "dc01") == "Off"  # the pipeline ended with the job


def test_stopping_the_pipeline_mid_shutdown_does_not_cancel_it(tmp_path: Path, wsman_factory: WSManFactory) -> None:
    scenario = tmp_path / "slow.json"
    vm = {"name": "slow", "os": "windows-server-2022", "state": "Running", "uptime": 3600}
    vm["durations"] = {"shutdown": 60}  # 3 s of real time
    scenario.write_text(json.dumps({"name": "slow", "hosts": [{"name": "HV-SLOW", "vms": [vm]}]}))
    running = start_emulator(str(scenario), cost_profile="realistic", time_scale=SCALE)
    with running, RunspacePool(wsman_factory(running.endpoint("HV-SLOW"))) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Stop-VM").add_parameter("Name", "slow").add_parameter("Passthru")
        ps.begin_invoke()
        deadline = time.monotonic() + 10
        while not ps.streams.progress and time.monotonic() < deadline:
            ps.poll_invoke(timeout=2)
        assert ps.streams.progress, "no progress record while the guest shut down"
        ps.stop()
        assert ps.state == PSInvocationState.STOPPED and ps.output == []
        assert vm_state(pool, "slow") == "Stopping"  # the shutdown goes on
        state = "Stopping"
        while state == "Stopping" and time.monotonic() < deadline:
            time.sleep(0.2)
            state = vm_state(pool, "slow")
        assert state == "Off"


def test_cmdlet_costs_reach_the_wire_and_instant_stays_quick(wsman_factory: WSManFactory) -> None:
    with start_emulator("large:30") as instant, start_emulator("large:30", cost_profile="realistic") as realistic:
        for running in (instant, realistic):
            with RunspacePool(wsman_factory(running.endpoints[0])) as pool:
                ps = PowerShell(pool)
                ps.add_cmdlet("Get-VM")
                assert len(ps.invoke()) == 30
        costs = [running.scenario.hosts[0].model.costs for running in (instant, realistic)]
    assert costs[0].charged == 0
    assert costs[1].charged == pytest.approx(REALISTIC.cmdlet("Get-VM").base + 30 * 6 * REALISTIC.wmi_read)


# ---------------------------------------------------------------------------- the command line


def test_cli_parses_cost_profile_and_time_scale(tmp_path: Path) -> None:
    args = build_parser().parse_args(["--cost-profile", "Realistic", "--time-scale", "12.5"])
    assert args.cost_profile.name == "realistic" and args.time_scale == 12.5
    defaults = build_parser().parse_args([])
    assert defaults.cost_profile is None and defaults.time_scale is None  # the scenario's, else instant
    profile_file = tmp_path / "lab.json"
    profile_file.write_text(json.dumps({**REALISTIC.to_json(), "name": "lab", "wmi_read": 0.01}))
    from_file = build_parser().parse_args(["--cost-profile", str(profile_file)]).cost_profile
    assert (from_file.name, from_file.wmi_read) == ("lab", 0.01)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cost-profile", "sluggish"], "argument --cost-profile: unknown cost profile 'sluggish': use instant or "),
        (["--time-scale", "0"], "argument --time-scale: time scale '0' must be a positive number"),
        (["--time-scale", "fast"], "argument --time-scale: time scale 'fast' is not a number"),
    ],
)
def test_cli_refuses_an_unknown_profile_or_a_bad_time_scale(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_reports_a_scenario_whose_profile_is_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "bad.json"
    scenario.write_text(json.dumps({"cost_profile": "sluggish", "hosts": [{"name": "HV-X", "vms": []}]}))
    assert main(["--scenario", str(scenario)]) == 1
    assert "unknown cost profile 'sluggish'" in capsys.readouterr().err


def test_the_emulator_process_passes_the_profile_to_its_child() -> None:
    extra = ["--auth", "basic"]
    with EmulatorProcess.start(
        "demo", tls=False, cost_profile="realistic", time_scale=SCALE, extra_args=extra
    ) as child:
        assert "--cost-profile" in child.process.args and "--time-scale" in child.process.args
        endpoint: Endpoint = next(e for e in child.endpoints if e.host_name == "HV-DEMO-01")
        wsman = WSMan(
            endpoint.address,
            port=endpoint.port,
            username=endpoint.username,
            password=endpoint.password,
            ssl=False,
            auth="basic",
            encryption="never",
        )
        with wsman, RunspacePool(wsman) as pool:
            ps = PowerShell(pool)
            ps.add_cmdlet("Stop-VM").add_parameter("Name", "dc01")
            ps.invoke()
            check_shutdown_progress(ps)
