"""What the change watcher (`Watch-HvGuiChange`) costs a host, by number of VMs, listening and scanning.

Runs the emulator's watcher in this process against `large:N` hosts under the `realistic` cost profile (the
host's clock compressed by `--time-scale`; charges are counted in host seconds, so the figures do not depend
on it), while guests hang and recover at `--changes-per-s`. For each N and each mechanism it prints the host
seconds the watcher was charged per host second of watching (`busy_pct`), split into its ticks and its
sweeps, and the CIM reads it made:

- `events`: the provider raises heartbeat and state events (the emulator's default); a tick waits for them and
  reads only the VMs they name; a sweep every `--metrics-sec` reads every VM for CPU and memory.
- `scan`: the provider refuses heartbeat events without WITHIN (`--no-heartbeat-events` in the emulator): every
  tick reads every VM.

`events_tick_busy_pct` is the events mechanism's cost outside its sweeps, which should not grow with N; it is
the filtered reads of the VMs that changed, one per tick that heard an event. `events_quiet_busy_pct` is the
same with no guest changing: the cost of waiting alone.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from typing import Any

from hvgui.emulator.hyperv import calls, heartbeats
from hvgui.emulator.runtime import CmdletError, PipelineCommand
from hvgui.emulator.scenarios import load_scenario
from hvgui.remoting.module import host_module_text


class _Sink:
    """Collects the records; `first` is (host seconds charged, host clock) when the first record (hello, which
    reads every VM once) was written, so the figures count the watching, not the start."""

    def __init__(self, host: Any = None) -> None:
        self.output: list[Any] = []
        self.errors: list[CmdletError] = []
        self.stop_requested = threading.Event()
        self.host = host
        self.first: tuple[float, float] | None = None

    def write_output(self, value: Any) -> None:
        if self.first is None and self.host is not None:
            self.first = (self.host.model.costs.charged, self.host.model.now())
        self.output.append(value)

    def write_error(self, error: CmdletError) -> None:
        self.errors.append(error)

    def write_warning(self, message: str) -> None:
        pass

    def write_progress(self, record: Any) -> None:
        pass


def _guests(host: Any, rng: random.Random, stop: threading.Event, per_second: float, time_scale: float) -> None:
    """Hang a guest and recover another, `per_second` changes per host second."""
    if per_second <= 0:
        return
    model = host.model
    running = [v for v in model.vms if v.guest_booted(model.now()) and v.heartbeat(model.now()) is not None]
    hung: list[str] = []
    while not stop.wait(1.0 / per_second / time_scale):
        if hung and (len(hung) > 20 or rng.random() < 0.5):
            heartbeats.recover(model, [hung.pop(0)])
        else:
            vm = rng.choice(running)
            heartbeats.hang(model, [str(vm.id)])
            hung.append(str(vm.id))


def measure(
    vms: int, via: str, args: argparse.Namespace, metrics_sec: int, changes_per_s: float | None = None
) -> dict[str, Any]:
    scenario = load_scenario(f"large:{vms}", seed=args.seed, cost_profile="realistic", time_scale=args.time_scale)
    host = scenario.hosts[0]
    host.model.heartbeat_indications = via == "events"
    runspace = host.open_runspace()
    host.run(runspace, [PipelineCommand(name=host_module_text(), is_script=True)], [], _Sink())
    stop = threading.Event()
    changer = threading.Thread(
        target=_guests,
        args=(host, random.Random(args.seed), stop, args.changes_per_s if changes_per_s is None else changes_per_s,
              args.time_scale),
        daemon=True,
    )  # fmt: skip
    sink = _Sink(host)
    parameters = (("TickSec", 2), ("DurationSec", args.seconds), ("MetricsSec", metrics_sec))
    changer.start()
    with calls.recording() as trace:
        host.run(runspace, [PipelineCommand(name="Watch-HvGuiChange", parameters=parameters)], [], sink)
    stop.set()
    changer.join()
    assert sink.first is not None, sink.errors
    elapsed = host.model.now() - sink.first[1]
    charged = host.model.costs.charged - sink.first[0]
    records = [json.loads(text) for text in sink.output]
    reads = [c for c in trace if c.cmdlet == "Get-CimInstance"]
    filtered = sum(1 for c in reads if "Filter" in c.parameters)
    return {
        "vms": vms,
        "via": records[0].get("via") if records else None,
        "busy_pct": round(100 * charged / elapsed, 2),
        "reads_all": len(reads) - filtered - 1,  # not the hello's
        "reads_filtered": filtered,
        "changes_written": sum(len(r.get("vms", ())) for r in records if r["k"] == "change"),
        "errors": len(sink.errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", default="100,1000,5000", help="comma-separated VM counts")
    parser.add_argument("--seconds", type=int, default=30, help="host seconds of watching per run")
    parser.add_argument("--changes-per-s", type=float, default=2.0, help="heartbeat changes per host second")
    parser.add_argument("--metrics-sec", type=int, default=5, help="the watcher's MetricsSec")
    parser.add_argument("--time-scale", type=float, default=5.0, help="host seconds per real second")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    results = []
    for vms in (int(v) for v in args.vms.split(",")):
        events = measure(vms, "events", args, args.metrics_sec)
        ticks = measure(vms, "events", args, 0)
        quiet = measure(vms, "events", args, 0, changes_per_s=0.0)
        scan = measure(vms, "scan", args, args.metrics_sec)
        results.append(
            {
                "vms": vms,
                "events_busy_pct": events["busy_pct"],
                "events_tick_busy_pct": ticks["busy_pct"],
                "events_quiet_busy_pct": quiet["busy_pct"],
                "events_reads_all": events["reads_all"],
                "events_reads_filtered": events["reads_filtered"],
                "scan_busy_pct": scan["busy_pct"],
                "scan_reads_all": scan["reads_all"],
                "changes_written": [events["changes_written"], ticks["changes_written"], scan["changes_written"]],
                "via": [events["via"], ticks["via"], scan["via"]],
                "errors": events["errors"] + ticks["errors"] + scan["errors"],
            }
        )
    print(
        json.dumps(
            {
                "profile": "realistic",
                "seconds": args.seconds,
                "changes_per_s": args.changes_per_s,
                "metrics_sec": args.metrics_sec,
                "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "hosts": results,
            }
        )
    )


if __name__ == "__main__":
    main()
