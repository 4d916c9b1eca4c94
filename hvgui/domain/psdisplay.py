""" "Copy as PowerShell": the text of the commands an admin can paste into PowerShell on a workstation.

Display text only. What hvgui itself sends always travels as parameters (PipelineSpec). The text an admin
copies does exactly what hvgui did: it names the host with `-ComputerName` (as hvgui reached it) and the VM
by its Id (`get_vm`), so a VM name that exists on two hosts, or that holds wildcard characters, can never
hit another VM. The typed operations (`hvgui.domain.operations`) write their commands with these literals and
start each pipeline as `get_vm` does.

Values are written as single-quoted literals, which PowerShell never expands; a quote inside is doubled. Where
a name must be given to a wildcard-taking parameter (`-Name`, `-VMName`), its wildcard characters are escaped
with a backtick (`literal_name`).
"""

from __future__ import annotations

from hvgui.domain.power import PowerAction
from hvgui.domain.vm import CheckpointType

#: Characters PowerShell's tokenizer takes as a single quote: ASCII ' and the typographic ones.
_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
#: Characters with a meaning in a wildcard pattern (`WildcardPattern.Escape` escapes these).
_WILDCARD_CHARACTERS = "*?[]`"


def quote(value: str) -> str:
    """`value` as a PowerShell single-quoted string literal: `O'Brien` -> `'O''Brien'`."""
    escaped = "".join(c + c if c in _SINGLE_QUOTES else c for c in value)
    return f"'{escaped}'"


def escape_wildcards(value: str) -> str:
    """`value` as a wildcard pattern that matches only itself: `web[1]` -> ``web`[1`]``."""
    return "".join("`" + c if c in _WILDCARD_CHARACTERS else c for c in value)


def literal_name(value: str) -> str:
    """A name for a wildcard-taking parameter such as `-Name`: escaped, then quoted."""
    return quote(escape_wildcards(value))


def get_vm(computer_name: str, vm_id: str) -> str:
    """`Get-VM -ComputerName 'hv01' -Id '…'`: one VM of one host, by Id, to pipe into the next cmdlet."""
    return f"Get-VM -ComputerName {quote(computer_name)} -Id {quote(vm_id)}"


def list_checkpoints_of(computer_name: str, vm_id: str) -> str:
    """The checkpoints of one VM of one host (what the Checkpoints tab lists)."""
    return f"{get_vm(computer_name, vm_id)} | Get-VMSnapshot"


# ---- by name, on the host itself ---------------------------------------------------------------------------
# Superseded by the typed operations, which name the host and the VM's Id; kept while `VmAction.powershell`
# and `PlannedChange.powershell` still use them.


def integration_service_command(vm_name: str, service_name: str, enable: bool) -> str:
    """`Enable-VMIntegrationService -VMName 'dc01' -Name 'Time Synchronization'` (or Disable-).

    `service_name` is the name the host reported (localized on a localized host), so the command works
    on that host as it is.
    """
    verb = "Enable" if enable else "Disable"
    return f"{verb}-VMIntegrationService -VMName {literal_name(vm_name)} -Name {literal_name(service_name)}"


def power_command(vm_name: str, action: PowerAction) -> str:
    """`Start-VM -Name 'x'`, `Stop-VM -Name 'x' -TurnOff`, ..."""
    name = literal_name(vm_name)
    if action is PowerAction.Start:
        return f"Start-VM -Name {name}"
    if action is PowerAction.ShutDown:
        return f"Stop-VM -Name {name}"
    if action is PowerAction.TurnOff:
        return f"Stop-VM -Name {name} -TurnOff"
    if action is PowerAction.Save:
        return f"Save-VM -Name {name}"
    # Restart-VM asks "Are you sure?" unless -Force; hvgui has already asked.
    return f"Restart-VM -Name {name} -Force"


def checkpoint_command(vm_name: str, checkpoint_name: str | None = None) -> str:
    """`Checkpoint-VM -Name 'x' [-SnapshotName 'y']`. The checkpoint name is not a pattern: quoted only."""
    command = f"Checkpoint-VM -Name {literal_name(vm_name)}"
    if checkpoint_name:
        command += f" -SnapshotName {quote(checkpoint_name)}"
    return command


def list_checkpoints_command(vm_name: str) -> str:
    return f"Get-VMSnapshot -VMName {literal_name(vm_name)}"


def set_checkpoint_type_command(vm_name: str, checkpoint_type: CheckpointType) -> str:
    return f"Set-VM -Name {literal_name(vm_name)} -CheckpointType {checkpoint_type.name}"
