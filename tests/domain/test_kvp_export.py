"""Export of a VM's pools (JSON, CSV), import of host-to-guest pairs, and the KVP operations' display text."""

from __future__ import annotations

import csv
import io
import json

import pytest

from hvgui.domain.kvp import ChangeKind, KvpChange, KvpPair, VmKvp
from hvgui.domain.kvp_export import KvpImportError, import_host_pairs, to_csv, to_json
from hvgui.domain.kvp_operations import KvpBulkOperation, KvpEditOperation
from hvgui.domain.operations import VmTarget

VM = VmKvp(
    vm_id="6f1c0b0e-0000-4000-8000-000000000001", name="web'01", enabled_state=2, component_enabled=True,
    status=2, status_text="OK", intrinsic=(KvpPair("OSName", "Ubuntu"),), guest=None,
    host=(KvpPair("Motd", "line 1\r\nline \"2\", \u202eevil"), KvpPair("Empty", "")),
    host_only=(KvpPair("VirtualMachineIsClustered", "true"),),
)  # fmt: skip


def test_json_export_keeps_every_value_and_imports_back() -> None:
    text = to_json(VM, host="hv01", exported_at="2026-11-30T21:00:00+00:00")
    document = json.loads(text)
    assert document["pools"]["guest_to_host"] is None  # not reported (the guest's service never answered)
    assert document["pools"]["host_to_guest"][0] == {"key": "Motd", "value": 'line 1\r\nline "2", \u202eevil'}
    assert import_host_pairs(text) == list(VM.host)


def test_csv_export_quotes_values_with_line_breaks_and_commas() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(VM), newline="")))
    assert rows[0] == ["pool", "key", "value"]
    assert ["host_to_guest", "Motd", 'line 1\r\nline "2", \u202eevil'] in rows
    assert ["host_only", "VirtualMachineIsClustered", "true"] in rows and len(rows) == 5


def test_import_accepts_an_object_or_a_list_and_refuses_what_breaks_the_limits() -> None:
    assert import_host_pairs('{"a": "1", "b": ""}') == [KvpPair("a", "1"), KvpPair("b", "")]
    assert import_host_pairs('[{"key": "a", "value": "x\\ny"}]') == [KvpPair("a", "x\ny")]
    for text, words in (
        ("not json", "not JSON"),
        ('{"a": 1}', "not a string"),
        ('[{"value": "x"}]', 'string "key"'),
        ('"text"', "Expected an object"),
    ):
        with pytest.raises(KvpImportError, match=words):
            import_host_pairs(text)
    with pytest.raises(KvpImportError) as too_long:
        import_host_pairs(json.dumps({"k": "v" * 1024}))
    assert "at most 1,023" in too_long.value.problems[0].message


def test_operations_title_and_powershell_use_literals_only() -> None:
    target = VmTarget("https://hv01:5986", "hv01", VM.vm_id, VM.name)
    edit = KvpEditOperation(target, changes=(KvpChange(ChangeKind.Add, "Owner", "$(whoami) 'ops'"),))
    assert edit.title == "Add 'Owner' on 'web'01'"
    text = edit.powershell()
    assert "-ComputerName 'hv01'" in text and "'$(whoami) ''ops'''" in text and "AddKvpItems" in text
    assert edit.actions == (("Owner", "$(whoami) 'ops'", "Add"),)
    bulk = KvpBulkOperation(target, targets=(target, target), key="k", remove=True)
    assert bulk.title == "Remove 'k' from 2 VMs" and bulk.actions == (("k", "", "Remove"),)
    assert bulk.powershell().count("RemoveKvpItems") == 2
