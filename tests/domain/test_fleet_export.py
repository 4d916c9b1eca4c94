"""The fleet grid's CSV: exact values, one row per VM, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from hvgui.domain.bulk import IC_GUIDS
from hvgui.domain.fleet_export import csv_safe_cell, header, row, to_csv, to_tsv
from hvgui.domain.integration import IntegrationServiceState
from hvgui.domain.vm import CheckpointType, HeartbeatStatus, Vm, VmState

HEARTBEAT_GUID = "84EAAE65-2F2E-45F5-9BB5-0E857DC8EB47"


def _vm(name: str, *, os_name: str | None = "Windows Server 2022", product_type: int | None = 3) -> Vm:
    services = tuple(
        IntegrationServiceState(guid, "x", guid != HEARTBEAT_GUID, None, None, "OK" if guid == IC_GUIDS[0] else "", "")
        for guid in IC_GUIDS
    )
    return Vm(
        host="http://hv01:5985",
        vm_id="6b1c4f0e-0000-4000-8000-000000000001",
        name=name,
        state=VmState.Running,
        heartbeat=HeartbeatStatus.OkApplicationsHealthy,
        status="Operating normally",
        booted_at=1_700_000_000.0,
        cpu_usage=0,
        memory_assigned=0,
        generation=2,
        version="10.0",
        checkpoint_type=CheckpointType.Production,
        is_clustered=False,
        integration_services=services,
        guest_os_name=os_name,
        guest_product_type=product_type,
    )


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_gets_a_quote(start) -> None:
    assert csv_safe_cell(f"{start}cmd|' /C calc'!A0") == f"'{start}cmd|' /C calc'!A0"


@pytest.mark.parametrize("text", ["web01", "", " =x", "x=1", "'quoted", "\u202eexe.gpj"])
def test_other_cells_stay_exact(text) -> None:
    assert csv_safe_cell(text) == text


def test_rows_keep_values_exact_and_protect_formulas() -> None:
    evil = _vm('=HYPERLINK("http://x")\nline two', os_name="@SUM(1)")
    plain = _vm("web\u202e01", os_name=None, product_type=None)
    text = to_csv([evil, plain], lambda host: "-HV01" if host == "http://hv01:5985" else host)
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == header()
    assert len(rows[0]) == 7 + 3 * len(IC_GUIDS)
    assert {"Heartbeat: enabled", "Heartbeat: status", "Heartbeat: condition"} <= set(rows[0])
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["vm_name"] == '\'=HYPERLINK("http://x")\nline two'  # the line break kept, the formula not run
    assert first["guest_os"] == "'@SUM(1)"
    assert first["host"] == "'-HV01"
    assert first["host_uri"] == "http://hv01:5985"
    assert first["state"] == "Running" and first["domain_controller"] == "no"
    assert (first["Heartbeat: enabled"], first["Heartbeat: condition"]) == ("no", "Disabled")
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["vm_name"] == "web\u202e01" and second["guest_os"] == "" and second["domain_controller"] == "unknown"
    assert row(plain, "HV01")[3] == "web\u202e01"
    # the clipboard form is the same, tab-separated
    tsv = list(csv.reader(io.StringIO(to_tsv([plain], str), newline=""), delimiter="\t"))
    assert tsv[1][3] == "web\u202e01" and tsv[0] == header()
