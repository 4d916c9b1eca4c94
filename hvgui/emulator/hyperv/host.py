"""The state of one emulated Hyper-V host: its identity, its VMs and its own files.

Every read or change of the model happens under `lock` (one host, many pipelines on worker threads).
Time comes from an injected `clock` (monotonic seconds) so tests can move time by hand; the wall clock,
used only for what a guest's clock shows, is injectable too.
"""

from __future__ import annotations

import datetime
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .costs import HostCosts
from .guest import FileSystem
from .texts import EN_US, HostTexts
from .vm import EmulatedVm

GIB = 1024**3


@dataclass
class HostSettings:
    """What Get-VMHost reports about the machine."""

    logical_processor_count: int = 32
    memory_capacity: int = 256 * GIB
    virtual_machine_path: str = "C:\\ProgramData\\Microsoft\\Windows\\Hyper-V"
    virtual_hard_disk_path: str = "C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks"
    #: How much the staging folder's volume can hold (hvgui's host module stages copies under ProgramData).
    staging_limit_bytes: int = 64 * GIB
    mac_address_minimum: str = "00155D010000"
    mac_address_maximum: str = "00155D01FFFF"
    supported_vm_versions: tuple[str, ...] = (
        "5.0", "6.2", "7.0", "7.1", "8.0", "8.1", "8.2", "8.3", "9.0", "9.1", "9.2", "9.3", "10.0",
    )  # fmt: skip


def culture_sort_key(name: str) -> tuple[str, str]:
    """Approximates .NET `CurrentCultureIgnoreCase` ordering: accents sort next to their base letter."""
    folded = name.casefold()
    base = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    return base, folded


@dataclass(eq=False)
class HostModel:
    """One host. `name` is the computer name (`$env:COMPUTERNAME`, upper case on Windows)."""

    name: str
    domain: str = ""  # empty: the host is in a workgroup
    texts: HostTexts = EN_US
    settings: HostSettings = field(default_factory=HostSettings)
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    vms: list[EmulatedVm] = field(default_factory=list)
    files: FileSystem = field(
        default_factory=lambda: FileSystem(windows=True, directories=("C:\\Users\\Administrator\\Documents",))
    )
    #: What host work costs (the cost profile); instant unless a scenario or `--cost-profile` says otherwise.
    costs: HostCosts = field(default_factory=HostCosts, repr=False)
    #: Where a remote session starts (`$PWD` of a WinRM session of an administrator).
    home: str = "C:\\Users\\Administrator\\Documents"
    #: The `Msvm_ConcreteJob`s of KVP methods by InstanceID (`kvp`), kept a while after they end.
    cim_jobs: dict[str, Any] = field(default_factory=dict)
    #: Whether the provider raises `Msvm_HeartbeatComponent` events itself (subscriptions without WITHIN);
    #: unverified on real hosts, see `cim.indications`. False models a host that refuses them.
    heartbeat_indications: bool = True

    @property
    def fqdn(self) -> str:
        return f"{self.name}.{self.domain}".lower() if self.domain else self.name

    def now(self) -> float:
        return self.clock()

    def wall_now(self) -> datetime.datetime:
        """The host's wall-clock time (UTC), for what it stamps: checkpoint names and creation times."""
        return datetime.datetime.fromtimestamp(self.wall_clock(), datetime.UTC)

    def add_vm(self, vm: EmulatedVm) -> None:
        with self.lock:
            if any(v.id == vm.id for v in self.vms):
                raise ValueError(f"duplicate VM id {vm.id}")
            self.vms.append(vm)

    def vms_by_name(self) -> list[EmulatedVm]:
        """All VMs in Get-VM order (ordered by name, culture-aware and case-insensitive)."""
        return sorted(self.vms, key=lambda v: culture_sort_key(v.name))

    def vm_by_id(self, vm_id: uuid.UUID) -> EmulatedVm | None:
        return next((v for v in self.vms if v.id == vm_id), None)

    def is_this_host(self, computer_name: str) -> bool:
        """Whether a -ComputerName value designates this host."""
        n = computer_name.strip().casefold()
        return n in {".", "localhost", "127.0.0.1", "::1", self.name.casefold(), self.fqdn.casefold()}
