"""A cost profile fitted from the timings `hvgui --diagnose` measured on a real host.

The emulator charges host work by the profile format of `hvgui/emulator/hyperv/costs.py` (`CostProfile.to_json`:
per cmdlet a fixed `base` plus `per_object`, a `default`, `cim_call` plus `cim_per_instance`, ...). This
module produces exactly that document from measurements, so `python -m hvgui.emulator --cost-profile
REPORT.json` replays a real host's costs. It lives on the client side and imports nothing of the emulator:
the report is the interface.

Each figure is host time: a run's wall time minus the client's CPU time during it (deserializing and
decrypting happen here, not on the host). A cmdlet's per-object cost comes from two runs that return
different numbers of objects (`Get-VM -Id` for one VM and `Get-VM` for all); a command piped after
`Get-VM` is charged its own time only (the pipeline's time minus that of its `Get-VM`). The Hyper-V
module's per-VM WMI reads are part of the measured per-object cost, so the profile's `wmi_read` is 0.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

#: Figures no read-only measurement can give; they keep the documented behaviour of the Hyper-V module.
MODULE_CACHE_SECONDS = 5.0  # the module's per-object cache (hyperv-cim-winrm.md)
PROGRESS_INTERVAL = 1.0  # the module's job watcher writes progress every second (TaskUpdateProgressThreshold)
#: Copy-VMFile into a guest, per MiB: a read-only run cannot measure it (plausible WS2022 behaviour: 125 MB/s).
GUEST_COPY_PER_MIB = 0.008
#: A KVP method's job, not measurable read-only: the realistic profile's figure.
KVP_JOB_SECONDS = 0.25


@dataclass(frozen=True)
class Sample:
    """One measured command: the host seconds it took (median over runs) and the objects it returned."""

    seconds: float
    objects: int


def fit_line(samples: Sequence[Sample]) -> tuple[float, float]:
    """`(base, per_object)` by least squares over the samples, both clamped at 0.

    With one distinct object count there is no slope: the base is the mean time. A negative slope (noise
    on a host whose VMs are few) counts as no per-object cost.
    """
    if not samples:
        return 0.0, 0.0
    xs = [float(s.objects) for s in samples]
    ys = [max(0.0, s.seconds) for s in samples]
    if len(set(xs)) < 2:
        return round(statistics.fmean(ys), 6), 0.0
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum((x - mean_x) ** 2 for x in xs)
    slope = max(0.0, slope)
    base = max(0.0, mean_y - slope * mean_x)
    return round(base, 6), round(slope, 6)


def minus(pipeline: Sample | None, upstream: Sample | None, objects: int) -> Sample | None:
    """The part of a pipeline's time its last command took (`Get-VM | X` minus `Get-VM`)."""
    if pipeline is None or upstream is None:
        return None
    return Sample(max(0.0, pipeline.seconds - upstream.seconds), objects)


@dataclass
class CostInputs:
    """What the fit needs, gathered by the diagnose run (None where the command failed)."""

    vm_count: int = 0
    get_vm_all: Sample | None = None
    get_vm_one: Sample | None = None
    integration_all: Sample | None = None  # Get-VM | Get-VMIntegrationService (objects = components)
    integration_one: Sample | None = None  # Get-VM -Id | Get-VMIntegrationService
    snapshots: tuple[Sample, ...] = ()  # Get-VM -Id | Get-VMSnapshot, per probed VM
    vm_host: Sample | None = None
    inventory: Sample | None = None
    #: What `Get-HvGuiInventory` calls (read from the host module, `diagnose.inventory_calls`): the cmdlets, and
    #: per CIM query the instances its class enumeration returned (0 where that was not measured).
    inventory_cmdlets: frozenset[str] = frozenset()
    inventory_cim_instances: tuple[int, ...] = ()
    cim: tuple[Sample, ...] = ()  # each successful Get-CimInstance (objects = instances)


def fit_profile(inputs: CostInputs, *, name: str = "diagnose") -> tuple[dict[str, object], dict[str, str]]:
    """The `cost_profile` document (the emulator's `CostProfile.to_json` format) and a note per figure."""
    notes: dict[str, str] = {}
    cmdlets: dict[str, dict[str, float]] = {}
    measured = [s for s in (inputs.vm_host, inputs.get_vm_one, inputs.get_vm_all, *inputs.cim) if s is not None]
    default_base = round(min((s.seconds for s in measured), default=0.0), 6)
    notes["default"] = "the fastest measured command" if measured else "nothing was measured"

    def put(cmdlet: str, samples: Sequence[Sample | None], note: str) -> tuple[float, float] | None:
        present = [s for s in samples if s is not None]
        if not present:
            notes[cmdlet] = "not measured (the command failed)"
            return None
        base, per_object = fit_line(present)
        cmdlets[cmdlet] = {"base": base, "per_object": per_object}
        notes[cmdlet] = note
        return base, per_object

    put("Get-VMHost", [inputs.vm_host], "median of the runs")
    get_vm = put("Get-VM", [inputs.get_vm_one, inputs.get_vm_all], "fitted from Get-VM -Id (1 VM) and Get-VM (all)")
    one_vm_components = inputs.integration_one.objects if inputs.integration_one else 0
    integration = put(
        "Get-VMIntegrationService",
        [
            minus(inputs.integration_one, inputs.get_vm_one, one_vm_components),
            minus(inputs.integration_all, inputs.get_vm_all, inputs.integration_all.objects)
            if inputs.integration_all
            else None,
        ],
        "per component, fitted from one VM and all VMs (Get-VM's own time subtracted)",
    )
    put(
        "Get-VMSnapshot",
        [minus(s, inputs.get_vm_one, s.objects) for s in inputs.snapshots],
        "per checkpoint, over the probed VMs (Get-VM -Id's time subtracted)",
    )

    cim_call, cim_per_instance = fit_line(inputs.cim) if inputs.cim else (default_base, 0.0)
    notes["cim_call"] = (
        f"fitted over {len(inputs.cim)} CIM class enumerations"
        if inputs.cim
        else "not measured (no CIM query succeeded): the default command cost"
    )

    if inputs.inventory is not None:
        # The function pays for the cmdlets and CIM queries it calls, which the emulator charges separately;
        # what is left is its own scripting work, mostly per VM (rows, dictionaries, JSON).
        predicted = 0.0
        components = inputs.integration_all.objects if inputs.integration_all else 0
        if get_vm is not None and "Get-VM" in inputs.inventory_cmdlets:
            predicted += get_vm[0] + get_vm[1] * inputs.vm_count
        if integration is not None and "Get-VMIntegrationService" in inputs.inventory_cmdlets and inputs.vm_count:
            predicted += integration[0] + integration[1] * components
        predicted += sum(cim_call + cim_per_instance * n for n in inputs.inventory_cim_instances)
        residual = max(0.0, inputs.inventory.seconds - predicted)
        base = min(default_base, residual)
        per_object = (residual - base) / inputs.vm_count if inputs.vm_count else 0.0
        cmdlets["Get-HvGuiInventory"] = {"base": round(base, 6), "per_object": round(per_object, 6)}
        notes["Get-HvGuiInventory"] = "its time beyond the cmdlets and CIM queries it calls, per VM"
    else:
        notes["Get-HvGuiInventory"] = "not measured (the function failed)"

    notes["wmi_read"] = "0: the module's per-VM WMI reads are inside the measured per-object costs"
    notes["module_cache_seconds"] = "not measurable read-only; the module's documented 5 s"
    notes["progress_interval"] = "not measurable read-only; the module's documented 1 s"
    notes["cim_per_projected_instance"] = "null: the probes read whole instances, so -Property reads cost the same"
    notes["wait_for_jobs"] = "the module's job-based cmdlets watch their WMI job to the end"
    notes["guest_copy_per_mib"] = "not measurable read-only (it writes into a guest); the realistic profile's figure"
    notes["kvp_job"] = "not measurable read-only (it changes a VM's pairs); the realistic profile's figure"
    profile: dict[str, object] = {
        "name": name,
        "time_scale": 1.0,
        "default": {"base": default_base, "per_object": 0.0},
        "cmdlets": cmdlets,
        "wmi_read": 0.0,
        "module_cache_seconds": MODULE_CACHE_SECONDS,
        "cim_call": round(cim_call, 6),
        "cim_per_instance": round(cim_per_instance, 6),
        "cim_per_projected_instance": None,
        "progress_interval": PROGRESS_INTERVAL,
        "wait_for_jobs": True,
        "guest_copy_per_mib": GUEST_COPY_PER_MIB,
        "kvp_job": KVP_JOB_SECONDS,
    }
    return profile, notes
