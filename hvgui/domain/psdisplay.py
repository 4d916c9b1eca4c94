""" "Copy as PowerShell": the text of the commands an admin can paste into PowerShell on a workstation.

Display text only. What hvgui itself sends always travels as parameters (PipelineSpec). The text an admin
copies does exactly what hvgui did: it names the host with `-ComputerName` (as hvgui reached it) and the VM
by its Id (`get_vm`), so a VM name that exists on two hosts, or that holds wildcard characters, can never
hit another VM. The typed operations (`hvgui.domain.operations`) write their commands with these literals and
start each pipeline as `get_vm` does.

Values are written as single-quoted literals, which PowerShell never expands; a quote inside is doubled. A
pattern built from a value (the service GUID in `Where-Object { $_.Id -like ... }`) has its wildcard
characters escaped with a backtick (`escape_wildcards`).
"""

from __future__ import annotations

import unicodedata

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


def comment(text: str) -> str:
    """`# text` as one comment line: a line break or other control character in `text` (a host name is
    typed by a person, or comes from a host) is shown as a visible symbol, so it can never end the comment and
    start a command."""
    shown = "".join(_visible(c) for c in text)
    return f"# {shown}"


def _visible(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # e.g. LF -> ␊
    if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
        return "\ufffd"
    return char


def get_vm(computer_name: str, vm_id: str) -> str:
    """`Get-VM -ComputerName 'hv01' -Id '…'`: one VM of one host, by Id, to pipe into the next cmdlet."""
    return f"Get-VM -ComputerName {quote(computer_name)} -Id {quote(vm_id)}"


def list_checkpoints_of(computer_name: str, vm_id: str) -> str:
    """The checkpoints of one VM of one host (what the Checkpoints tab lists)."""
    return f"{get_vm(computer_name, vm_id)} | Get-VMSnapshot"


def get_checkpoint(computer_name: str, checkpoint_id: str) -> str:
    """`Get-VMSnapshot -ComputerName 'hv01' -Id '…'`: one checkpoint, by Id, to pipe into the next cmdlet."""
    return f"Get-VMSnapshot -ComputerName {quote(computer_name)} -Id {quote(checkpoint_id)}"
