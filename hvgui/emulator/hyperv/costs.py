"""What host work costs: the emulator's cost profiles.

A real Windows Server host is not instant. The Hyper-V module reads WMI per VM when it builds `VirtualMachine`
and `VMIntegrationComponent` objects, bulk CIM enumerations cost a round trip into the WMI provider plus a
little per instance, and job-based cmdlets wait for their `Msvm_ConcreteJob`. A `CostProfile` says how long
each of those takes; `HostCosts` charges it to the pipeline that does the work, by sleeping on the pipeline's
stop event (a stopped pipeline stops paying at once, as a host stops reading WMI when the pipeline is stopped).

Profiles:
- `instant`: nothing costs anything. Unit tests only.
- `realistic`: the default of the demo, the benchmarks and the end-to-end tests. Figures come from
  `../shared/reference/hyperv-cim-winrm.md` §8 where that has one; the rest is marked
  `# plausible WS2022 behaviour`.
- A JSON file written by `hvgui --diagnose` (see `load_profile`): the timings measured on a real host.

`time_scale` compresses every charge and every job duration: with 10, a 60 s shutdown takes 6 s of real time.
Tests use it to keep the realistic shape at a fraction of the wall time.
"""

from __future__ import annotations

import json
import threading
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
    #: Per instance a CIM enumeration returns.
    cim_per_instance: float = 0.0
    #: Seconds between two progress records of a job-based cmdlet (the module's watcher: 1 s).
    progress_interval: float = 1.0

    def cmdlet(self, name: str) -> CmdletCost:
        return self.cmdlets.get(name.casefold(), self.default)

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


INSTANT = CostProfile(name="instant", progress_interval=1.0)

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
            # Mutations wait for a WMI job; the job's own duration is the VM model's. Fixed part: plausible WS2022.
            "Enable-VMIntegrationService": (0.25, 0.0),
            "Disable-VMIntegrationService": (0.25, 0.0),
            "Set-VM": (0.3, 0.0),
            "Start-VM": (0.1, 0.0),
            "Stop-VM": (0.1, 0.0),
            "Save-VM": (0.1, 0.0),
            "Restart-VM": (0.1, 0.0),
            "Checkpoint-VM": (0.2, 0.0),
            "Copy-VMFile": (0.3, 0.0),
        }
    ),
    default=CmdletCost(0.02, 0.0),  # plausible WS2022 behaviour: a cmdlet that reads nothing from WMI
    # plausible WS2022 behaviour: one WMI GetObject/refresh through the Hyper-V WMI provider, ~4 ms; with the
    # 8-10 reads per VM per refresh that the issue counts, Get-VM | Get-VMIntegrationService on 1,000 VMs
    # takes about 40 s, in line with the public reports of Get-VM timing out on large hosts.
    wmi_read=0.004,
    module_cache_seconds=5.0,
    # plausible WS2022 behaviour: one enumeration through WinMgmt costs tens of milliseconds plus well under a
    # millisecond per instance (bulk Get-CimInstance is one enumeration, hyperv-cim-winrm.md §8).
    cim_call=0.03,
    cim_per_instance=0.0003,
    progress_interval=1.0,  # hyperv-cim-winrm.md §7: TaskUpdateProgressThreshold = 1 s
)

PROFILES: dict[str, CostProfile] = {p.name: p for p in (INSTANT, REALISTIC)}


def load_profile(spec: str, *, time_scale: float | None = None) -> CostProfile:
    """A built-in profile by name, or a JSON profile file (the format of `CostProfile.to_json`, or a
    `hvgui --diagnose` report, whose `cost_profile` member holds it)."""
    profile = PROFILES.get(spec.casefold())
    if profile is None:
        path = Path(spec)
        if not path.is_file():
            raise ValueError(f"unknown cost profile {spec!r}: use {', '.join(PROFILES)} or a JSON file")
        profile = profile_from_json(json.loads(path.read_text(encoding="utf-8")), name=path.name)
    return profile if time_scale is None else profile.scaled(time_scale)


def profile_from_json(document: dict[str, Any], *, name: str = "file") -> CostProfile:
    document = document.get("cost_profile", document)
    known = {f.name for f in fields(CostProfile)}
    values: dict[str, Any] = {k: v for k, v in document.items() if k in known and k not in ("cmdlets", "default")}
    values.setdefault("name", name)
    if "default" in document:
        values["default"] = CmdletCost(**document["default"])
    values["cmdlets"] = {k.casefold(): CmdletCost(**v) for k, v in document.get("cmdlets", {}).items()}
    return CostProfile(**values)


class HostCosts:
    """One host's profile and the state its costs depend on (the module's per-object cache)."""

    def __init__(self, profile: CostProfile = INSTANT) -> None:
        self.profile = profile
        self._cache_lock = threading.Lock()
        self._cached_until: dict[object, float] = {}

    def sleep(self, host_seconds: float, stop: threading.Event) -> bool:
        """Spend `host_seconds` of host time (scaled to real time). False when the pipeline was stopped."""
        if host_seconds <= 0:
            return not stop.is_set()
        return not stop.wait(host_seconds / self.profile.time_scale)

    def charge_cmdlet(self, name: str, stop: threading.Event, *, objects: int = 0) -> bool:
        cost = self.profile.cmdlet(name)
        return self.sleep(cost.base + cost.per_object * objects, stop)

    def charge_cim(self, stop: threading.Event, *, instances: int = 0) -> bool:
        """One bulk CIM call returning `instances` instances."""
        return self.sleep(self.profile.cim_call + self.profile.cim_per_instance * instances, stop)

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
