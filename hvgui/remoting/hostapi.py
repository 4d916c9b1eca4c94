"""`HostApi`: typed calls to one host. Each builds a PipelineSpec, runs it, and parses the answer.

Callers get domain objects or a domain error, never pypsrp objects. Values such as VM names only ever
travel as parameters of the spec.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from hvgui.domain.errors import ProtocolError
from hvgui.domain.vm import Vm
from hvgui.remoting.connection import HostConnection, PipelineResult
from hvgui.remoting.parse import (
    InventoryReport,
    VmHostInfo,
    parse_inventory,
    parse_vm_host,
    parse_vm_object,
    properties_of,
)
from hvgui.remoting.pipeline import PipelineSpec

log = logging.getLogger(__name__)

#: One round trip for the whole host: the host module's function (Contract 2).
INVENTORY = PipelineSpec.cmdlet("Get-HvGuiInventory")
VM_HOST = PipelineSpec.cmdlet("Get-VMHost")


class HostApi:
    """The operations hvgui performs on one host, over that host's connection."""

    def __init__(self, connection: HostConnection, *, clock: Callable[[], float] = time.time) -> None:
        self.connection = connection
        self._clock = clock

    @property
    def key(self) -> str:
        return self.connection.key

    async def inventory(self, *, timeout: float | None = None) -> InventoryReport:
        """Every VM with its integration services, in one round trip."""
        result = await self.connection.run(INVENTORY, timeout=timeout)
        for error in result.errors:  # e.g. one VM vanished between Get-VM and Get-VMIntegrationService
            log.info("inventory of %s: %s (%s)", self.key, error.message, error.fully_qualified_error_id)
        text = _single_string(result, "Get-HvGuiInventory")
        return parse_inventory(text, host=self.key, fetched_at=self._clock())

    async def get_vm_host(self, *, timeout: float | None = None) -> VmHostInfo:
        """The host's own description (`Get-VMHost`): its name, processors, memory and default paths."""
        result = await self.connection.run(VM_HOST, timeout=timeout)
        if not result.output:
            _raise_first_error(result, "Get-VMHost")
        return parse_vm_host(properties_of(result.output[0]))

    async def get_vms(self, name: str | None = None, *, timeout: float | None = None) -> list[Vm]:
        """`Get-VM [-Name name]`: the VMs whose name matches (Hyper-V treats `*?[]` as wildcards).

        A name that matches nothing gives an empty list: Get-VM reports that as a non-terminating error,
        which is the answer, not a failure.
        """
        spec = PipelineSpec.cmdlet("Get-VM")
        if name is not None:
            spec = spec.param("Name", name)
        result = await self.connection.run(spec, timeout=timeout)
        return [parse_vm_object(properties_of(obj), host=self.key) for obj in result.output]


def _single_string(result: PipelineResult, command: str) -> str:
    strings = [o for o in result.output if isinstance(o, str)]
    if len(strings) == 1:
        return strings[0]
    if not strings:
        _raise_first_error(result, command)
    raise ProtocolError(f"{command} answered {len(result.output)} objects; hvgui expects exactly one string.")


def _raise_first_error(result: PipelineResult, command: str) -> None:
    if result.errors:
        raise result.errors[0]
    raise ProtocolError(f"{command} answered nothing.", hint="The host module may be outdated; reconnect.")
