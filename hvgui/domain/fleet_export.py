"""The fleet compliance grid as CSV (or tab-separated text for the clipboard), with exact values.

Values are written as the hosts reported them (line breaks and control characters included; CSV quotes them)
so an export can be compared or filtered elsewhere. One exception protects the admin: VM names, host names and
status texts come from hosts and guests, and a spreadsheet would run a cell starting with `=`, `+`, `-`, `@`,
tab or carriage return as a formula (`=cmd|' /C calc'!A0`). Such a cell gets a leading `'`, which spreadsheets
show as text and do not display.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence

from hvgui.domain.bulk import IC_GUIDS
from hvgui.domain.integration import IntegrationServiceState, service_for_guid
from hvgui.domain.vm import Vm
from hvgui.domain.why import service_condition

#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe_cell(text: str) -> str:
    """`text` unchanged, or with a leading `'` when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def header() -> list[str]:
    """Host, VM and guest columns, then three columns per service (English names, by IC GUID)."""
    columns = ["host", "host_uri", "vm_id", "vm_name", "state", "guest_os", "domain_controller"]
    for guid in IC_GUIDS:
        info = service_for_guid(guid)
        name = info.name if info is not None else guid
        columns += [f"{name}: enabled", f"{name}: status", f"{name}: condition"]
    return columns


def _service_cells(vm: Vm, state: IntegrationServiceState | None) -> list[str]:
    if state is None:
        return ["not reported", "", service_condition(vm, state).value]
    status = " / ".join(t for t in (state.primary_text, state.secondary_text) if t)
    return ["yes" if state.enabled else "no", status, service_condition(vm, state).value]


def row(vm: Vm, host_label: str) -> list[str]:
    """One VM's cells, exact, before formula protection."""
    if vm.is_domain_controller:
        dc = "yes"
    else:
        dc = "unknown" if vm.guest_product_type is None else "no"
    cells = [host_label, vm.host, vm.vm_id, vm.name, vm.state.label, vm.guest_os_name or "", dc]
    for guid in IC_GUIDS:
        cells += _service_cells(vm, vm.service(guid))
    return cells


def _write(rows: Iterable[Sequence[str]], *, delimiter: str) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for cells in rows:
        writer.writerow([csv_safe_cell(c) for c in cells])
    return buffer.getvalue()


def to_csv(vms: Iterable[Vm], host_label: Callable[[str], str]) -> str:
    """A header row and one row per VM, in the order given (the grid's sort order)."""
    return _write([header(), *(row(vm, host_label(vm.host)) for vm in vms)], delimiter=",")


def to_tsv(vms: Iterable[Vm], host_label: Callable[[str], str]) -> str:
    """The same as tab-separated text, which spreadsheets paste into columns."""
    return _write([header(), *(row(vm, host_label(vm.host)) for vm in vms)], delimiter="\t")
