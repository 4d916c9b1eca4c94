"""What host work costs: the emulator's cost profiles.

A real Windows Server host is not instant. The Hyper-V module reads WMI per VM when it builds `VirtualMachine`
and `VMIntegrationComponent` objects, bulk CIM enumerations cost a round trip into the WMI provider plus a
little per instance, and job-based cmdlets wait for their `Msvm_ConcreteJob`. A `CostProfile` says how long
each of those takes; `HostCosts` charges it to the pipeline that does the work, by sleeping on the pipeline's
stop event (a stopped pipeline stops paying at once, as a host stops reading WMI when the pipeline is stopped).

Profiles:
- `instant`: nothing costs anything and job-based cmdlets return at once. The default of the in-process test
  fixtures and of `python -m hvgui.emulator` without `--cost-profile`.
- `realistic`: what `hvgui --demo` runs (and what benchmarks and end-to-end tests pass). Figures come from
  `../shared/reference/hyperv-cim-winrm.md` §8 where that has one; the rest is marked
  `# plausible WS2022 behaviour`.
- A JSON file written by `hvgui --diagnose` (see `load_profile`): the timings measured on a real host.

`time_scale` is host seconds per real second: it compresses every charge and every job duration, and the host's
clock (`host_clock`) runs that much faster. With 10, a 60 s shutdown takes 6 s of real time. Tests use it to keep
the realistic shape at a fraction of the wall time.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class CmdletCost:
    """The cost of one cmdlet or function call: a fixed part, plus per object it returns or touches."""

    base: float = 0.0
    per_object: float = 0.0


@dataclass(frozen=True)
class CostProfile:
    """How long host work takes, in host seconds (divided by `time_scale` for real time)."""

    name: str
    time_scale: float = 1.0
    #: Cmdlet or function name (as documented, e.g. "Get-VM") -> its cost. Names not listed cost `default`.
    cmdlets: dict[str, CmdletCost] = field(default_factory=dict)
    default: CmdletCost = CmdletCost()
    #: One WMI read the Hyper-V module does while building an object (a settings or status refresh).
    wmi_read: float = 0.0
    #: The module caches what it read per object for this long (`VirtualizationObject` cache, 5 s).
    module_cache_seconds: float = 5.0
    #: One bulk CIM operation (Get-CimInstance enumeration, Invoke-CimMethod, an association walk): fixed part.
    cim_call: float = 0.0
    #: Per instance a CIM enumeration returns with all its properties.
    cim_per_instance: float = 0.0
    #: Per instance of an enumeration with a property list (`-Property`); None: as `cim_per_instance`.
    cim_per_projected_instance: float | None = None
    #: Seconds between two progress records of a job-based cmdlet (the module's watcher: 1 s).
    progress_interval: float = 1.0
    #: Job-based cmdlets (Stop-VM, Save-VM, Checkpoint-VM, ...) block until their job ends, writing progress
    #: records, as the module's `IOperationWatcher.Watch` does. False: they return as soon as the job started.
    wait_for_jobs: bool = True
    #: Copy-VMFile's transfer through the Guest Service Interface (VMBus), per MiB copied into the guest.
    guest_copy_per_mib: float = 0.0
    #: How long the job of AddKvpItems / ModifyKvpItems / RemoveKvpItems runs (VMMS writes the VM's
    #: configuration and hands the items to the worker process).
    kvp_job: float = 0.0

    def cmdlet(self, name: str) -> CmdletCost:
        return self.cmdlets.get(name.casefold(), self.default)

    def cim_seconds(self, instances: int, *, projected: bool = False) -> float:
        """Host seconds of one bulk CIM call returning `instances` instances."""
        per_instance = self.cim_per_instance
        if projected and self.cim_per_projected_instance is not None:
            per_instance = self.cim_per_projected_instance
        return self.cim_call + per_instance * instances

    def scaled(self, time_scale: float) -> CostProfile:
        """The same profile with another time scale (≥ 1 compresses time)."""
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        return replace(self, time_scale=time_scale)

    def to_json(self) -> dict[str, Any]:
        """The profile as the JSON that `load_profile` reads back."""
        document: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("cmdlets",)}
        document["default"] = {"base": self.default.base, "per_object": self.default.per_object}
        document["cmdlets"] = {k: {"base": v.base, "per_object": v.per_object} for k, v in self.cmdlets.items()}
        return document


def _cmdlets(table: dict[str, tuple[float, float]]) -> dict[str, CmdletCost]:
    return {name.casefold(): CmdletCost(base, per_object) for name, (base, per_object) in table.items()}


#: Host seconds to open a PowerShell Direct session (New-PSSession -VMId, or the one Invoke-Command -VMId opens).
POWERSHELL_DIRECT_SESSION = 0.8

INSTANT = CostProfile(name="instant", progress_interval=1.0, wait_for_jobs=False)

REALISTIC = CostProfile(
    name="realistic",
    cmdlets=_cmdlets(
        {
            # hyperv-cim-winrm.md §8: "Get-VM for one VM in an already warm runspace ≈ 0.1–0.2 s"; the per-VM part
            # is the module's summary-information refresh and settings reads, charged as WMI reads below.
            "Get-VM": (0.12, 0.0),
            # plausible WS2022 behaviour: the per-component status reads are charged as WMI reads below.
            "Get-VMIntegrationService": (0.05, 0.0),
            "Get-VMHost": (0.15, 0.0),  # plausible WS2022 behaviour
            "Get-VMSnapshot": (0.08, 0.01),  # plausible WS2022 behaviour
            # Mutations: a fixed part to resolve the operands (the module's WMI lookups), plus per operand the WMI
            # method call that starts its job (RequestStateChange, CreateSnapshot, ModifySystemSettings, ...); the
            # job's own duration is the VM model's (`vm.JobDurations`). plausible WS2022 behaviour.
            "Enable-VMIntegrationService": (0.05, 0.2),
            "Disable-VMIntegrationService": (0.05, 0.2),
            "Set-VM": (0.05, 0.25),
            "Start-VM": (0.05, 0.1),
            "Stop-VM": (0.05, 0.1),
            "Save-VM": (0.05, 0.1),
            "Restart-VM": (0.05, 0.1),
            "Suspend-VM": (0.05, 0.1),
            "Resume-VM": (0.05, 0.1),
            "Checkpoint-VM": (0.05, 0.15),
            "Restore-VMSnapshot": (0.05, 0.15),
            "Remove-VMSnapshot": (0.05, 0.15),
            "Rename-VMSnapshot": (0.05, 0.1),  # ModifySystemSettings on the checkpoint's settings
            "Copy-VMFile": (0.05, 0.3),
            # hvgui's staging functions (HvGui.ps1), per MiB written or hashed. plausible WS2022 behaviour: a
            # buffered sequential FileStream write to a server volume runs at about 500 MB/s (2 ms per MiB);
            # .NET Framework's SHA256 (no SHA extensions used) hashes about 330 MB/s (3 ms per MiB).
            "Write-HvGuiStagedChunk": (0.005, 0.002),
            "Get-HvGuiStagedFile": (0.005, 0.003),
            "Read-HvGuiStagedChunk": (0.005, 0.002),  # a sequential FileStream read, like the write
            # PowerShell Direct, per session opened: signing in to the guest over VMBus and starting its runspace
            # (plausible WS2022 behaviour: about a second). Invoke-Command -VMId opens such a session for each
            # call (and pays it as New-PSSession's per-object part), then per object the guest sends back (a
            # folder entry read, built and serialized: ~0.1 ms).
            "New-PSSession": (0.02, POWERSHELL_DIRECT_SESSION),
            "Invoke-Command": (0.02, 0.0001),
        }
    ),
    default=CmdletCost(0.02, 0.0),  # plausible WS2022 behaviour: a cmdlet that reads nothing from WMI
    # plausible WS2022 behaviour: one WMI GetObject/refresh through the Hyper-V WMI provider, ~4 ms. Get-VM does
    # 6 per VM (24 ms, inside the 20-50 ms per VM that hyperv-cim-winrm.md §8 suggests), Get-VMIntegrationService
    # 7 (one per component, plus the settings): `Get-VM | Get-VMIntegrationService` on 1,000 VMs takes about
    # 50 s, in line with the public reports of Get-VM timing out on large hosts.
    wmi_read=0.004,
    module_cache_seconds=5.0,
    # plausible WS2022 behaviour: one enumeration through WinMgmt costs tens of milliseconds plus well under a
    # millisecond per instance (bulk Get-CimInstance is one enumeration, hyperv-cim-winrm.md §8). An instance of
    # an enumeration is far cheaper than the 4 ms `wmi_read` of a single object, whose cost is mostly the call;
    # with a property list (`-Property`, the module's own PartialObjectProperties, §1.3) the provider fills and
    # WinRM encodes a few properties instead of dozens, so such an instance costs a third. `hvgui --diagnose`
    # on a real host measures both figures.
    cim_call=0.03,
    cim_per_instance=0.0003,
    cim_per_projected_instance=0.0001,
    progress_interval=1.0,  # hyperv-cim-winrm.md §7: TaskUpdateProgressThreshold = 1 s
    wait_for_jobs=True,  # hyperv-cim-winrm.md §7: every WMI-job-based cmdlet watches its job to the end
    # plausible WS2022 behaviour: Copy-VMFile moves about 125 MB/s over VMBus into a guest's virtual disk.
    guest_copy_per_mib=0.008,
    # plausible WS2022 behaviour: a KVP job stores a few items in the VM's configuration file and returns in
    # about a quarter of a second.
    kvp_job=0.25,
)

PROFILES: dict[str, CostProfile] = {p.name: p for p in (INSTANT, REALISTIC)}


def load_profile(spec: str, *, time_scale: float | None = None) -> CostProfile:
    """A built-in profile by name, or a JSON profile file (the format of `CostProfile.to_json`, or a
    `hvgui --diagnose` report, whose `cost_profile` member holds it)."""
    profile = PROFILES.get(spec.strip().casefold())
    if profile is None:
        path = Path(spec)
        if not path.is_file():
            raise ValueError(f"unknown cost profile {spec!r}: use {' or '.join(PROFILES)}, or the path of a JSON file")
        try:
            profile = profile_from_json(json.loads(path.read_text(encoding="utf-8")), name=path.name)
        except (ValueError, TypeError) as exc:  # JSONDecodeError is a ValueError
            raise ValueError(f"cost profile file {path} is not a valid profile: {exc}") from None
    return profile if time_scale is None else profile.scaled(time_scale)


def resolve_profile(spec: str | dict[str, Any] | CostProfile | None, *, time_scale: float | None = None) -> CostProfile:
    """A profile from whatever names one: a `CostProfile`, a name or file (`load_profile`), an inline JSON
    object (`profile_from_json`), or None for `instant`; `time_scale`, when given, replaces its time scale."""
    if spec is None:
        profile = INSTANT
    elif isinstance(spec, CostProfile):
        profile = spec
    elif isinstance(spec, dict):
        profile = profile_from_json(spec, name=str(spec.get("name", "scenario")))
    else:
        profile = load_profile(str(spec))
    return profile if time_scale is None else profile.scaled(time_scale)


def parse_time_scale(value: str | float) -> float:
    """A `--time-scale` value: a positive number of host seconds per real second."""
    try:
        scale = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"time scale {value!r} is not a number") from None
    if not scale > 0 or scale == float("inf"):
        raise ValueError(f"time scale {value!r} must be a positive number (host seconds per real second)")
    return scale


def host_clock(time_scale: float, base: Callable[[], float] = time.monotonic) -> Callable[[], float]:
    """The host's monotonic clock under `time_scale`: `base`, running `time_scale` times as fast."""
    if time_scale == 1.0:
        return base
    origin = base()

    def clock() -> float:
        return origin + (base() - origin) * time_scale

    return clock


def profile_from_json(document: dict[str, Any], *, name: str = "file") -> CostProfile:
    document = document.get("cost_profile", document)
    if not isinstance(document, dict):
        raise ValueError("a cost profile is a JSON object")
    known = {f.name for f in fields(CostProfile)}
    values: dict[str, Any] = {k: v for k, v in document.items() if k in known and k not in ("cmdlets", "default")}
    values.setdefault("name", name)
    if "default" in document:
        values["default"] = CmdletCost(**document["default"])
    values["cmdlets"] = {k.casefold(): CmdletCost(**v) for k, v in document.get("cmdlets", {}).items()}
    return CostProfile(**values)


#: Waits up to a number of real seconds unless the event is set first; True when the event was set.
Waiter = Callable[[threading.Event, float], bool]


def _wait(stop: threading.Event, seconds: float) -> bool:
    return stop.wait(seconds)


class HostCosts:
    """One host's profile and the state its costs depend on (the module's per-object cache).

    `wait` is how time is spent (tests inject one that moves a fake clock); `charged` adds up the host
    seconds charged so far, whether or not a stopped pipeline cut the wait short.
    """

    def __init__(self, profile: CostProfile = INSTANT, *, wait: Waiter = _wait) -> None:
        self.profile = profile
        self.charged = 0.0
        self._wait = wait
        self._cache_lock = threading.Lock()
        self._cached_until: dict[object, float] = {}

    @property
    def waits_for_jobs(self) -> bool:
        return self.profile.wait_for_jobs

    def sleep(self, host_seconds: float, stop: threading.Event) -> bool:
        """Spend `host_seconds` of host time (scaled to real time). False when the pipeline was stopped."""
        if host_seconds > 0:
            with self._cache_lock:
                self.charged += host_seconds
        return self.wait(host_seconds, stop)

    def wait(self, host_seconds: float, stop: threading.Event) -> bool:
        """Let `host_seconds` of host time pass without charging them (a cmdlet watching its job).
        False when the pipeline was stopped."""
        if host_seconds <= 0:
            return not stop.is_set()
        return not self._wait(stop, host_seconds / self.profile.time_scale)

    def charge_cmdlet(self, name: str, stop: threading.Event, *, objects: int = 0) -> bool:
        cost = self.profile.cmdlet(name)
        return self.sleep(cost.base + cost.per_object * objects, stop)

    def charge_base(self, name: str, stop: threading.Event) -> bool:
        """The fixed part of one call of a cmdlet or function (its begin: module load checks, lookups)."""
        return self.sleep(self.profile.cmdlet(name).base, stop)

    def charge_objects(self, name: str, stop: threading.Event, objects: int = 1) -> bool:
        """The per-object part of a cmdlet, for `objects` objects (operands processed, objects returned)."""
        return self.sleep(self.profile.cmdlet(name).per_object * objects, stop)

    def charge_cim(
        self, stop: threading.Event, *, instances: int = 0, projected: bool = False, worked: float = 0.0
    ) -> bool:
        """One bulk CIM call returning `instances` instances (`projected`: with a property list).

        The charge is the whole call's time on a host: `worked` (real seconds the emulator already spent
        building the instances, which stands for the provider's own work) counts toward it, so an
        enumeration costs what the profile says, not that plus the emulator's Python.
        """
        host_seconds = self.profile.cim_seconds(instances, projected=projected)
        if host_seconds > 0:
            with self._cache_lock:
                self.charged += host_seconds
        return self.wait(host_seconds - worked * self.profile.time_scale, stop)

    def charge_wmi_reads(self, stop: threading.Event, keys: list[object], reads_per_key: int, now: float) -> bool:
        """The module's per-object WMI reads: `reads_per_key` for each key not read in the last
        `module_cache_seconds` (host seconds, `now` on the model's clock)."""
        with self._cache_lock:
            fresh = [k for k in keys if self._cached_until.get(k, float("-inf")) > now]
            missing = len(keys) - len(fresh)
            until = now + self.profile.module_cache_seconds
            for key in keys:
                if key not in fresh:
                    self._cached_until[key] = until
        return self.sleep(self.profile.wmi_read * reads_per_key * missing, stop)
