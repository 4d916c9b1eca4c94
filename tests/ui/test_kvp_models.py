"""The KVP tab's models: Qt's model rules, visible untrusted text, and edits that survive a refresh."""

from __future__ import annotations

from PySide6.QtCore import Qt

from hvgui.domain.kvp import ChangeKind, KvpPair
from hvgui.ui.kvp.models import RAW_ROLE, EditColumn, KvpEditModel, KvpPairsModel

PAIRS = [KvpPair("Role", "DC"), KvpPair("Motd", "a\nb\u202ec"), KvpPair("Empty", "")]


def test_models_follow_qts_rules(qtmodeltester) -> None:
    pairs = KvpPairsModel()
    pairs.set_pairs(PAIRS)
    qtmodeltester.check(pairs)
    edit = KvpEditModel()
    edit.load(PAIRS)
    edit.add_row("New", "x")
    edit.toggle_removed([0])
    qtmodeltester.check(edit)


def test_cells_show_untrusted_text_visibly_and_keep_the_raw_text() -> None:
    model = KvpPairsModel()
    model.set_pairs(PAIRS)
    cell = model.index(1, 1)
    assert cell.data() == "a\u23ceb\u27e8U+202E\u27e9c" and cell.data(RAW_ROLE) == "a\nb\u202ec"
    assert "\n" in cell.data(Qt.ItemDataRole.ToolTipRole)


def test_a_refresh_keeps_unapplied_edits_and_revert_takes_the_hosts_pairs() -> None:
    model = KvpEditModel()
    assert model.load(PAIRS)
    model.set_value(0, "Domain controller")
    model.toggle_removed([2])
    model.add_row("Added", "1")
    assert [model.row_change(r) for r in range(4)] == ["Modified", "", "Removed", "Added"]
    host_now = [KvpPair("Role", "Changed elsewhere"), KvpPair("Motd", "a\nb\u202ec")]
    assert model.load(host_now) is False  # kept
    assert model.raw(0, EditColumn.Value) == "Domain controller" and model.rowCount() == 4
    assert model.host_now == {"Role": "Changed elsewhere", "Motd": "a\nb\u202ec"}
    assert model.baseline == {p.key: p.value for p in PAIRS}  # what Apply compares with
    assert [(c.kind, c.key) for c in model.changes()] == [
        (ChangeKind.Remove, "Empty"),
        (ChangeKind.Modify, "Role"),
        (ChangeKind.Add, "Added"),
    ]
    model.revert()
    assert not model.is_dirty() and model.raw(0, EditColumn.Value) == "Changed elsewhere" and model.rowCount() == 2
