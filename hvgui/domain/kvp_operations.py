"""The typed operations that change key-value pairs: the edits of one VM, and one pair on many VMs.

Both run through the host module's `Set-HvGuiKvpItems` (RemoveKvpItems, ModifyKvpItems, AddKvpItems of
`Msvm_VirtualSystemManagementService`, their jobs polled on the host) and show in the Activity panel like any
other operation. Their "Copy as PowerShell" text does the same through the CIM cmdlets on a workstation:
values are single-quoted literals and the data items are built with `[Security.SecurityElement]::Escape`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from hvgui.domain import psdisplay
from hvgui.domain.kvp import ChangeKind, KvpChange
from hvgui.domain.operations import Operation, VmTarget

#: What the host module's Action list says for each kind of change ('Set': add or modify, whichever fits).
ACTION_NAMES = {ChangeKind.Add: "Add", ChangeKind.Modify: "Modify", ChangeKind.Remove: "Remove"}
_NAMESPACE = "root/virtualization/v2"


@dataclass(frozen=True)
class KvpVmResult:
    """What happened on one VM: done, or the host's reason (`code`: the method's return value or the job's
    ErrorCode; 4096 when the job was still running when the host module stopped waiting)."""

    vm_id: str
    vm_name: str
    ok: bool
    code: int = 0
    error: str = ""

    @property
    def still_running(self) -> bool:
        return self.code == 4096


@dataclass(frozen=True)
class KvpReport:
    results: tuple[KvpVmResult, ...] = ()

    @property
    def failed(self) -> tuple[KvpVmResult, ...]:
        return tuple(r for r in self.results if not r.ok)


@dataclass(frozen=True)
class KvpEditOperation(Operation):
    """A VM's host-to-guest (or host-only) pairs edited in the Key-Value Pairs tab, applied as one operation."""

    changes: tuple[KvpChange, ...] = ()
    host_only: bool = False
    kind: ClassVar[str] = "kvp"

    @property
    def title(self) -> str:
        count = len(self.changes)
        what = self.changes[0].description if count == 1 else f"Apply {count} key-value pair changes to"
        return f"{what} on '{self.target.vm_name}'" if count == 1 else f"{what} '{self.target.vm_name}'"

    @property
    def actions(self) -> tuple[tuple[str, str, str], ...]:
        """(name, value, action) triples for Set-HvGuiKvpItems."""
        return tuple((c.key, c.value, ACTION_NAMES[c.kind]) for c in self.changes)

    def powershell(self) -> str:
        return kvp_script(self.target.computer_name, [self.target.vm_id], self.actions, host_only=self.host_only)


@dataclass(frozen=True)
class KvpBulkOperation(Operation):
    """One host-to-guest pair set on (or removed from) many VMs of one host; `target` is the first of them."""

    targets: tuple[VmTarget, ...] = ()
    key: str = ""
    value: str = ""
    remove: bool = False
    kind: ClassVar[str] = "kvp-bulk"

    @property
    def title(self) -> str:
        count = len(self.targets)
        what = f"Remove '{self.key}' from" if self.remove else f"Set '{self.key}' on"
        return f"{what} {count} VM{'s' if count != 1 else ''}"

    @property
    def actions(self) -> tuple[tuple[str, str, str], ...]:
        return ((self.key, "" if self.remove else self.value, "Remove" if self.remove else "Set"),)

    def powershell(self) -> str:
        return kvp_script(self.target.computer_name, [t.vm_id for t in self.targets], self.actions, host_only=False)


def kvp_script(
    computer_name: str, vm_ids: list[str], actions: tuple[tuple[str, str, str], ...], *, host_only: bool
) -> str:
    """What an admin runs on a workstation for the same change (display text: every value is a literal)."""
    host = psdisplay.quote(computer_name)
    source = 4 if host_only else 0
    lines = [
        f"$ns = {psdisplay.quote(_NAMESPACE)}",
        f"$vsms = Get-CimInstance -ComputerName {host} -Namespace $ns -ClassName Msvm_VirtualSystemManagementService",
        "function New-KvpItem([string]$Name, [string]$Data) {",
        "  $e = [Security.SecurityElement]",
        '  \'<INSTANCE CLASSNAME="Msvm_KvpExchangeDataItem"><PROPERTY NAME="Data" TYPE="string"><VALUE>\' +',
        '  $e::Escape($Data) + \'</VALUE></PROPERTY><PROPERTY NAME="Name" TYPE="string"><VALUE>\' +',
        f'  $e::Escape($Name) + \'</VALUE></PROPERTY><PROPERTY NAME="Source" TYPE="uint16"><VALUE>{source}'
        "</VALUE></PROPERTY></INSTANCE>'",
        "}",
    ]
    for vm_id in vm_ids:
        lines.append(
            f"$vm = Get-CimInstance -ComputerName {host} -Namespace $ns -ClassName Msvm_ComputerSystem "
            f"-Filter {psdisplay.quote(f'Name={chr(34)}{vm_id.upper()}{chr(34)}')}"
        )
        for name, value, action in actions:
            method = {"Set": "AddKvpItems", "Add": "AddKvpItems"}.get(action, f"{action}KvpItems")
            comment = "  # ModifyKvpItems when the VM has the key already" if action == "Set" else ""
            lines.append(
                f"Invoke-CimMethod -InputObject $vsms -MethodName {method} -Arguments @{{ TargetSystem = $vm; "
                f"DataItems = @(New-KvpItem {psdisplay.quote(name)} {psdisplay.quote(value)}) }}{comment}"
            )
    return "\n".join(lines)
