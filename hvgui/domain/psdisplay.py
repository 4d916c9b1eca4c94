""" "Copy as PowerShell": the command an admin can paste into a PowerShell window on the host.

Display text only. What hvgui itself sends always travels as parameters (PipelineSpec) and addresses VMs
by id; the text here addresses them by name, because that is how a person types it. Values are written
as single-quoted literals, which PowerShell never expands; a quote inside is doubled. The Hyper-V cmdlets
treat `-Name` / `-VMName` as wildcard patterns, so wildcard characters in a name are escaped with a
backtick: the pasted command then acts on exactly the VM (or service) hvgui showed, never on others
whose names happen to match.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def integration_service_command(vm_name: str, service_name: str, enable: bool) -> str:
    """`Enable-VMIntegrationService -VMName 'dc01' -Name 'Time Synchronization'` (or Disable-).

    `service_name` is the name the host reported (localized on a localized host), so the command works
    on that host as it is.
    """
    verb = "Enable" if enable else "Disable"
    return f"{verb}-VMIntegrationService -VMName {literal_name(vm_name)} -Name {literal_name(service_name)}"


def integration_service_command_by_id(vm_name: str, ic_guid: str, enable: bool) -> str:
    """The same change, selecting the service by its GUID: works on a host in any language."""
    verb = "Enable" if enable else "Disable"
    pattern = quote("*\\" + escape_wildcards(ic_guid.upper()))
    return (
        f"Get-VMIntegrationService -VMName {literal_name(vm_name)} | "
        f"Where-Object {{ $_.Id -like {pattern} }} | {verb}-VMIntegrationService"
    )


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


def power_commands(vm_names: Iterable[str], action: PowerAction) -> str:
    """One line per VM (the VMs may live on different hosts, so no single command covers them)."""
    return "\n".join(power_command(name, action) for name in vm_names)


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


def with_host_comment(host_name: str, lines: str) -> str:
    """Commands preceded by a comment naming the host to run them on."""
    return f"# on {host_name}\n{lines}"
