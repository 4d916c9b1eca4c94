"""What hvgui does, in one list: the About dialog and `hvgui --help` both show it, so they cannot drift apart.

A feature goes in here when it is in the product, not before; `tests/ui/test_feature_claims.py` ties each
entry to the code that provides it and checks that the About text and `--help` name nothing that is not here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    key: str
    #: A short phrase, as About and --help show it.
    text: str


FEATURES: tuple[Feature, ...] = (
    Feature("live-vms", "the VMs of many hosts in one live table"),
    Feature("integration-services", "integration services, for one VM or many at once (bulk changes)"),
    Feature("fleet-compliance", "a fleet compliance grid with filters and CSV export"),
    Feature("power", "power: start, shut down, turn off, save, restart, pause and resume"),
    Feature("checkpoints", "checkpoints: create, apply, rename and delete, and the checkpoint type"),
    Feature("heartbeat-history", "heartbeat history, a fleet timeline and heartbeat alerts"),
    Feature("kvp", "key-value pairs: view, edit, import and export, and set one pair on many VMs"),
    Feature("copy-in", "guest file copy into a VM"),
    Feature("copy-out", "guest file copy out of a Windows VM, with a guest file browser"),
    Feature("saved-hosts", "saved hosts, in groups, with their passwords in the OS keyring"),
    Feature("activity", "an activity log of every operation (cancel; retry for file copies)"),
    Feature("copy-as-powershell", "Copy as PowerShell for every action"),
    Feature("diagnose", "a read-only host diagnosis (--diagnose)"),
    Feature("demo", "a demo with a built-in Hyper-V host emulator (--demo)"),
)

#: One sentence for the top of About and --help.
SUMMARY = "A desktop console for Hyper-V administrators, over PowerShell Remoting (WinRM)."


def feature_lines() -> list[str]:
    """The features as list items, in the order above."""
    return [feature.text[0].upper() + feature.text[1:] + "." for feature in FEATURES]
