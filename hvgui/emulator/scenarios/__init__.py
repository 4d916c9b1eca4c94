"""Scenarios: the emulated hosts and their VMs, deterministic from a seed.

`load_scenario(spec, *, seed=None, clock=None, cost_profile=None, time_scale=None)` accepts a built-in name
(`demo`, `de-DE`, `large`, `large:N` for N VMs on one host, 100 by default) or the path of a JSON scenario
file. The same spec and seed always give the same hosts, VM ids, uptimes and figures; `clock` (monotonic
seconds, default `time.monotonic` running `time_scale` times as fast) drives every state transition, so tests
can move time by hand.

What host work costs (`hvgui.emulator.hyperv.costs`) is the scenario's `cost_profile` and `time_scale`
unless the caller (`--cost-profile`, `--time-scale`) says otherwise; without either it is `instant`.

JSON scenario format (every key but `name` and `hosts[].name`/`vms[].name` is optional)::

    {
      "name": "demo",
      "seed": 7,                          // used when load_scenario gets no seed
      "cost_profile": "realistic",        // instant | realistic | a profile file | an inline profile object
      "time_scale": 1.0,                  // host seconds per real second (compresses costs and job durations)
      "durations": {"start": 2.0},        // job durations of every VM (see vm.JobDurations); hosts, VMs override
      "clock": {"drift_ppm": 25.0},       // default guest clock drift of the scenario (hosts and VMs override)
      "hosts": [{
        "name": "HV-DEMO-01",             // the computer name ($env:COMPUTERNAME)
        "domain": "demo.local",           // "" = workgroup
        "locale": "en-US",                // en-US | de-DE: language of component names and status texts
        "logical_processors": 48,
        "memory_gb": 384,
        "staging_limit_mb": 65536,        // free space of the volume that holds hvgui's staging folder
        "guest_credentials": {"user": ".\\Administrator", "password": "..."},  // default of its VMs' guests
        "clock": {"drift_ppm": 25.0},     // default guest clock drift of this host's VMs
        "durations": {"save_per_gib": 0.5},  // this host's VMs' job durations
        "vms": [{
          "name": "dc01",                 // verbatim, any characters
          "os": "windows-server-2022",    // see hvgui.emulator.hyperv.guest.OS_PROFILES
          "state": "Running",             // Off | Running | Saved | Paused
          "uptime": 86400,                // seconds the VM has run (Running/Paused); random when absent
          "cpus": 2, "memory_mb": 4096,
          "dynamic_memory": false, "memory_min_mb": 512, "memory_max_mb": 1048576,
          "generation": 2, "version": "10.0",
          "checkpoint_type": "Production",  // Disabled | Production | ProductionOnly | Standard
          "automatic_checkpoints": false,
          "clustered": false, "notes": "",
          "cpu_load": 4,                  // typical CPU % of the running guest
          "hostname": "DC01", "ipv4": ["10.1.0.10"], "ipv6": ["fe80::10"],
          "domain_controller": true,
          "daemons": ["hv_kvp_daemon"],   // Linux: the Hyper-V daemons that run (default: the OS default)
          "hv_utils": true,               // Linux: the hv_utils kernel module is loaded (false: nothing answers)
          "stopped_services": ["vmicguestinterface"],  // Windows: vmic* services that do not run
          "hang": {"every": 120, "for": 20, "first_after": 30},  // seconds of uptime
          "applications_critical": false,
          "clock": {"offset": 0.0, "drift_ppm": 0.0},
          "integration_services": {"Guest Service Interface": true, "Heartbeat": false},
          "durations": {"shutdown": 45, "checkpoint_vss": 20},  // this VM's (boot, shutdown: else its OS's)
          "kvp": {"guest": {"App/Version": "2.1"},   // key-value pairs guest software published (pool 1)
                  "host": {"Owner": "ops"},          // host-to-guest pairs in its configuration (Source 0)
                  "host_only": {"Ticket": "42"},     // host-only pairs (Source 4)
                  "ticking": {"App/Tick": 30},       // guest items whose value changes every N s of uptime
                  "fail_jobs": false},               // every AddKvpItems/ModifyKvpItems/RemoveKvpItems job fails
          "guest_credentials": {"user": ".\\Administrator", "password": "..."}  // PowerShell Direct sign-in
        }]
      }]
    }

`integration_services` keys are en-US component names, IC GUIDs or the domain catalogue keys
(`heartbeat`, `shutdown`, `timesync`, `kvp`, `vss`, `guestservice`); Guest Service Interface is disabled
unless a scenario enables it, as on real hosts. A guest clock drifts (while Time Synchronization does not
keep it in step) at its VM's `clock.drift_ppm`, else its host's, else the scenario's, else a seeded random
rate of at most 40 ppm. Job durations (`durations`, host seconds, the fields of `vm.JobDurations`: start,
restore, save_base, save_per_gib, pause, resume, reset, checkpoint, checkpoint_per_gib, checkpoint_vss, boot,
shutdown) merge the same way: the scenario's, then the host's, then the VM's. A Windows guest's local
administrator (`guest_credentials`, the VM's, else its host's) is `.\\Administrator` with the password
`Guest-Demo-1!` unless the scenario says otherwise; a missing key keeps its default.
"""

from __future__ import annotations

import datetime
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from hvgui.emulator.hyperv import EmulatedHost, HostModel, HostSettings
from hvgui.emulator.hyperv import components as ic
from hvgui.emulator.hyperv.costs import (
    INSTANT,
    CostProfile,
    HostCosts,
    host_clock,
    parse_time_scale,
    resolve_profile,
)
from hvgui.emulator.hyperv.guest import (
    DEFAULT_GUEST_PASSWORD,
    DEFAULT_GUEST_USER,
    OS_PROFILES,
    GuestConfig,
    HangSchedule,
)
from hvgui.emulator.hyperv.reference import CheckpointType, VmState
from hvgui.emulator.hyperv.texts import texts_for
from hvgui.emulator.hyperv.vm import MIB, EmulatedVm, Hardware, JobDurations, job_durations

BUILT_IN_FILES = {"demo": "demo.json", "de-de": "de-DE.json"}
LARGE_DEFAULT_VMS = 100
_GIB = 1024**3


#: What a scenario's `cost_profile` may be: a name, a file, an inline profile, or a profile.
ProfileSpec = str | dict[str, Any] | CostProfile | None


@dataclass
class Scenario:
    name: str
    seed: int
    hosts: list[EmulatedHost]
    #: What host work costs on every host of the scenario (each host has its own `HostCosts`).
    cost_profile: CostProfile = INSTANT

    def host(self, name: str) -> EmulatedHost:
        for h in self.hosts:
            if h.name.casefold() == name.casefold():
                return h
        raise KeyError(name)


def load_scenario(
    spec: str,
    *,
    seed: int | None = None,
    clock: Callable[[], float] | None = None,
    cost_profile: ProfileSpec = None,
    time_scale: float | None = None,
) -> Scenario:
    """Load a scenario. `cost_profile` and `time_scale` override the scenario's own (see the module doc)."""
    costs = {"cost_profile": cost_profile, "time_scale": time_scale}
    key = spec.strip()
    if key.casefold() in BUILT_IN_FILES:
        text = resources.files(__package__).joinpath(BUILT_IN_FILES[key.casefold()]).read_text(encoding="utf-8")
        return build_scenario(json.loads(text), seed=seed, clock=clock, **costs)
    if key.casefold() == "large" or key.casefold().startswith("large:"):
        return large_scenario(_large_count(key), seed=0 if seed is None else seed, clock=clock, **costs)
    path = Path(key)
    if path.suffix.casefold() == ".json" or path.exists():
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"scenario file not found: {path}") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"scenario file {path} is not valid JSON: {exc}") from None
        if cost_profile is None and isinstance(document.get("cost_profile"), str):
            # A profile file named in a scenario file is found next to it.
            named = Path(document["cost_profile"])
            if not named.is_absolute() and (path.parent / named).is_file():
                document = {**document, "cost_profile": str(path.parent / named)}
        return build_scenario(document, seed=seed, clock=clock, **costs)
    raise ValueError(f"unknown scenario {spec!r}: use demo, de-DE, large, large:N or the path of a .json file")


def _large_count(spec: str) -> int:
    _, _, count = spec.partition(":")
    if not count:
        return LARGE_DEFAULT_VMS
    try:
        n = int(count)
    except ValueError:
        raise ValueError(f"bad VM count in {spec!r}: large:N needs a whole number") from None
    if n < 0:
        raise ValueError(f"bad VM count in {spec!r}: it cannot be negative")
    return n


# ---------------------------------------------------------------------------- building


def _component_key(key: str) -> str:
    folded = key.strip().casefold()
    for service in ic.INTEGRATION_COMPONENTS:
        if folded in (service.name.casefold(), service.key, service.ic_guid.casefold()):
            return service.ic_guid
    names = ", ".join(s.name for s in ic.INTEGRATION_COMPONENTS)
    raise ValueError(f"unknown integration service {key!r}; use one of: {names}")


def _vm_rng(seed: int, host: str, index: int) -> random.Random:
    return random.Random(f"{seed}:{host.casefold()}:{index}")


def _guest(
    data: dict[str, Any],
    host_index: int,
    index: int,
    domain: str,
    rng: random.Random,
    clock_defaults: dict[str, Any],
    account_default: dict[str, Any] | None = None,
) -> GuestConfig:
    try:
        os_profile = OS_PROFILES[data.get("os", "windows-server-2022")]
    except KeyError:
        raise ValueError(f"unknown guest os {data.get('os')!r}; known: {', '.join(OS_PROFILES)}") from None
    hang = data.get("hang")
    clock = {**clock_defaults, **data.get("clock", {})}
    hostname = data.get("hostname") or _hostname(data["name"], index)
    return GuestConfig(
        os=os_profile,
        hostname=hostname,
        domain=data.get("guest_domain", domain),
        ipv4=tuple(data.get("ipv4", [f"10.{host_index + 1}.{index // 200}.{10 + index % 200}"])),
        ipv6=tuple(data.get("ipv6", [f"fe80::215:5dff:fe{host_index + 1:02x}:{index + 10:x}"])),
        daemons=frozenset(data.get("daemons", os_profile.default_daemons)),
        stopped_services=frozenset(data.get("stopped_services", ())),
        hang=HangSchedule(hang["every"], hang["for"], hang.get("first_after", 0.0)) if hang else None,
        applications_critical=bool(data.get("applications_critical", False)),
        domain_controller=bool(data.get("domain_controller", False)),
        clock_offset=float(clock.get("offset", rng.uniform(-2.0, 2.0))),
        clock_drift_ppm=float(clock.get("drift_ppm", rng.uniform(-40.0, 40.0))),
        hv_utils=bool(data.get("hv_utils", True)),
        account=_account(data.get("guest_credentials", account_default)),
    )


def _account(data: dict[str, Any] | None) -> tuple[str, str]:
    """`guest_credentials` of a VM or host: {"user": ..., "password": ...}; the defaults fill what is absent."""
    data = data or {}
    return (str(data.get("user", DEFAULT_GUEST_USER)), str(data.get("password", DEFAULT_GUEST_PASSWORD)))


def _hostname(vm_name: str, index: int) -> str:
    """A NetBIOS-like host name from a VM name (VM names may hold any characters; host names may not)."""
    cleaned = "".join(c for c in vm_name if c.isascii() and (c.isalnum() or c == "-")).strip("-")
    return (cleaned or f"VM{index:03d}")[:15].upper()


def _hardware(data: dict[str, Any], rng: random.Random, vm_path: str) -> Hardware:
    created = datetime.datetime(2022, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
        seconds=rng.randrange(3 * 365 * 86400)
    )
    try:
        checkpoint = CheckpointType[data.get("checkpoint_type", "Production")]
    except KeyError:
        raise ValueError(f"unknown checkpoint_type {data.get('checkpoint_type')!r}") from None
    memory = int(data.get("memory_mb", rng.choice((2048, 4096, 4096, 8192)))) * MIB
    return Hardware(
        generation=int(data.get("generation", 2)),
        version=str(data.get("version", "10.0")),
        processor_count=int(data.get("cpus", rng.choice((1, 2, 2, 4)))),
        memory_startup=memory,
        dynamic_memory=bool(data.get("dynamic_memory", False)),
        memory_minimum=int(data.get("memory_min_mb", 512)) * MIB,
        memory_maximum=int(data.get("memory_max_mb", 1048576)) * MIB,
        checkpoint_type=checkpoint,
        automatic_checkpoints=bool(data.get("automatic_checkpoints", False)),
        notes=str(data.get("notes", "")),
        is_clustered=bool(data.get("clustered", False)),
        creation_time=created,
        cpu_load=float(data.get("cpu_load", rng.choice((1, 2, 3, 4, 6, 9, 14)))),
        path=vm_path,
    )


def _state(data: dict[str, Any]) -> VmState:
    name = str(data.get("state", "Running"))
    try:
        return VmState[name]
    except KeyError:
        raise ValueError(f"unknown VM state {name!r}; a scenario VM is Off, Running, Saved or Paused") from None


def _host(
    data: dict[str, Any],
    host_index: int,
    *,
    seed: int,
    clock: Callable[[], float],
    wall_clock: Callable[[], float],
    clock_defaults: dict[str, Any],
    durations: dict[str, Any],
    profile: CostProfile,
) -> EmulatedHost:
    name = data["name"]
    settings = HostSettings(
        logical_processor_count=int(data.get("logical_processors", 32)),
        memory_capacity=int(data.get("memory_gb", 256)) * _GIB,
        staging_limit_bytes=int(data.get("staging_limit_mb", 64 * 1024)) * 1024 * 1024,
    )
    model = HostModel(
        name=name,
        domain=data.get("domain", ""),
        texts=texts_for(data.get("locale", "en-US")),
        settings=settings,
        clock=clock,
        wall_clock=wall_clock,
        costs=HostCosts(profile),
    )
    now = clock()
    host_clock_defaults = {**clock_defaults, **data.get("clock", {})}
    host_durations = {**durations, **data.get("durations", {})}
    for index, vm_data in enumerate(data.get("vms", [])):
        rng = _vm_rng(seed, name, index)
        vm_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        state = _state(vm_data)
        running = state in (VmState.Running, VmState.Paused)
        uptime = float(vm_data.get("uptime", rng.uniform(3600, 40 * 86400))) if running else 0.0
        enabled = {_component_key(k): bool(v) for k, v in vm_data.get("integration_services", {}).items()}
        vm = EmulatedVm.create(
            vm_id=vm_id,
            name=vm_data["name"],
            hardware=_hardware(vm_data, rng, settings.virtual_machine_path),
            guest=_guest(
                vm_data, host_index, index, model.domain, rng, host_clock_defaults, data.get("guest_credentials")
            ),
            host_name=name,
            host_fqdn=model.fqdn,
            now=now,
            state=state,
            uptime=uptime,
            enabled=enabled,
            seed=seed,
            durations=_durations(vm_data, host_durations),
        )
        _kvp(vm, vm_data.get("kvp", {}))
        model.add_vm(vm)
    return EmulatedHost(model)


def _kvp(vm: EmulatedVm, data: dict[str, Any]) -> None:
    """A VM's `kvp` object: its key-value pairs in each pool, ticking guest items, failing jobs."""
    pools = vm.kvp
    pools.guest = {str(k): str(v) for k, v in data.get("guest", {}).items()}
    pools.host_items = {str(k): str(v) for k, v in data.get("host", {}).items()}
    pools.external = dict(pools.host_items)
    pools.host_only = {str(k): str(v) for k, v in data.get("host_only", {}).items()}
    pools.ticking = {str(k): float(v) for k, v in data.get("ticking", {}).items()}
    pools.fail_jobs = bool(data.get("fail_jobs", False))


def _durations(vm_data: dict[str, Any], inherited: dict[str, Any]) -> JobDurations:
    try:
        return job_durations({**inherited, **vm_data.get("durations", {})})
    except ValueError as exc:
        raise ValueError(f"VM {vm_data.get('name')!r}: {exc}") from None


def build_scenario(
    document: dict[str, Any],
    *,
    seed: int | None = None,
    clock: Callable[[], float] | None = None,
    cost_profile: ProfileSpec = None,
    time_scale: float | None = None,
) -> Scenario:
    """A scenario from its JSON document (see the module docstring for the format).

    `cost_profile` and `time_scale` override the document's; without a `clock` the hosts run on
    `time.monotonic` sped up by the time scale.
    """
    if time_scale is None and "time_scale" in document:
        time_scale = parse_time_scale(document["time_scale"])
    profile = resolve_profile(cost_profile if cost_profile is not None else document.get("cost_profile"),
                              time_scale=time_scale)  # fmt: skip
    # The host's wall clock runs as fast as its monotonic one, so that uptimes and boot times agree.
    wall_clock = time.time if clock is not None else host_clock(profile.time_scale, time.time)
    clock = clock or host_clock(profile.time_scale)
    chosen_seed = int(document.get("seed", 0)) if seed is None else seed
    try:
        clock_defaults = dict(document.get("clock", {}))
        durations = dict(document.get("durations", {}))
        hosts = [
            _host(
                h, i, seed=chosen_seed, clock=clock, wall_clock=wall_clock, clock_defaults=clock_defaults,
                durations=durations,
                profile=profile,
            )
            for i, h in enumerate(document["hosts"])
        ]  # fmt: skip
    except KeyError as exc:
        raise ValueError(f"scenario {document.get('name', '?')!r} lacks the required key {exc}") from None
    names = [h.name.casefold() for h in hosts]
    if len(set(names)) != len(names):
        raise ValueError("two hosts of a scenario have the same name")
    return Scenario(name=str(document.get("name", "scenario")), seed=chosen_seed, hosts=hosts, cost_profile=profile)


_LARGE_MIX = (
    ("windows-server-2022", 5),
    ("windows-server-2019", 3),
    ("ubuntu-22.04", 3),
    ("ubuntu-24.04", 1),
    ("rhel-9", 2),
    ("windows-11", 1),
)


def large_scenario(
    count: int,
    *,
    seed: int = 0,
    clock: Callable[[], float] | None = None,
    cost_profile: ProfileSpec = None,
    time_scale: float | None = None,
) -> Scenario:
    """One host with `count` VMs of mixed guests, mostly running: the benchmark workload."""
    rng = random.Random(f"{seed}:large")
    oses = [os for os, weight in _LARGE_MIX for _ in range(weight)]
    vms = []
    for i in range(count):
        roll = rng.random()
        state = "Running" if roll < 0.8 else "Off" if roll < 0.95 else "Saved"
        vms.append({"name": f"vm-{i + 1:04d}", "os": rng.choice(oses), "state": state})
    document = {
        "name": f"large:{count}",
        "hosts": [{"name": "HV-LARGE-01", "domain": "bench.local", "logical_processors": 128, "memory_gb": 2048,
                   "vms": vms}],
    }  # fmt: skip
    return build_scenario(document, seed=seed, clock=clock, cost_profile=cost_profile, time_scale=time_scale)
