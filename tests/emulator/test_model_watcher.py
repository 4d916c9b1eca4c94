"""The emulator's change watcher on its own (no wire): what it reports under an accelerated host clock."""

from __future__ import annotations

import json

from model_harness import RecordingSink

from hvgui.emulator.runtime import PipelineCommand
from hvgui.emulator.scenarios import load_scenario
from hvgui.remoting.module import host_module_text


def test_under_time_scale_boot_times_hold_still_and_only_ticks_follow() -> None:
    # 20 host seconds in one real second: uptimes run 20 times as fast, and so does the host's wall clock, so a
    # running VM's boot time (wall clock less uptime) does not move and no VM is reported as changed.
    host = load_scenario("demo", seed=3, time_scale=20).host("HV-DEMO-01")
    runspace = host.open_runspace()
    host.run(runspace, [PipelineCommand(name=host_module_text(), is_script=True)], [], RecordingSink())
    sink = RecordingSink()
    parameters = (
        ("IntervalMs", 1000),
        ("TickSec", 2),
        ("DurationSec", 20),
        ("CpuStep", 100),
        ("MemoryStepMB", 1048576),
    )
    host.run(runspace, [PipelineCommand(name="Watch-HvGuiChange", parameters=parameters)], [], sink)
    records = [json.loads(text) for text in sink.output]
    assert sink.errors == [] and records[0]["k"] == "hello"
    booted = [row for row in records[0]["vms"] if row["boot"] is not None]
    assert booted and all(row["up"] > 0 for row in booted)
    assert len(records) >= 5 and {r["k"] for r in records[1:]} == {"tick"}
