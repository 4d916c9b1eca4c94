"""About and `hvgui --help` claim exactly the features that exist.

Each entry of `hvgui.domain.features.FEATURES` is tied here to the code that provides it (a new entry without
evidence fails), About and --help must show every entry, and neither may name a feature hvgui does not have.
"""

from __future__ import annotations

import importlib
import re

import pytest

from hvgui.__main__ import build_parser
from hvgui.domain.features import FEATURES, SUMMARY, feature_lines
from hvgui.ui.about_dialog import AboutDialog

#: For each feature, where the code that provides it lives ("module:attribute.path").
EVIDENCE: dict[str, tuple[str, ...]] = {
    "live-vms": ("hvgui.ui.controllers.hosts_controller:HostsController", "hvgui.remoting.session_manager:HostSession"),
    "integration-services": ("hvgui.ui.services_tab:ServicesTab", "hvgui.ui.bulk.dialog:BulkServicesDialog"),
    "fleet-compliance": ("hvgui.ui.fleet.window:FleetWindow.export_csv", "hvgui.domain.bulk:FLEET_FILTERS"),
    "power": tuple(
        f"hvgui.domain.power:PowerAction.{action}"
        for action in ("Start", "ShutDown", "TurnOff", "Save", "Restart", "Pause", "Resume")
    ),
    "checkpoints": (
        "hvgui.domain.operations:CheckpointCreateOperation",
        "hvgui.domain.operations:CheckpointApplyOperation",
        "hvgui.domain.operations:CheckpointRenameOperation",
        "hvgui.domain.operations:CheckpointDeleteOperation",
        "hvgui.domain.operations:CheckpointTypeOperation",
    ),
    "heartbeat-history": (
        "hvgui.ui.history.heartbeat_tab:HeartbeatTab",
        "hvgui.ui.history.fleet_window:FleetHeartbeatWindow",
        "hvgui.ui.history.notifier:AlertNotifier",
    ),
    "kvp": (
        "hvgui.ui.kvp.tab:KvpTab",
        "hvgui.domain.kvp_export:import_host_pairs",
        "hvgui.domain.kvp_export:to_csv",
        "hvgui.ui.kvp.bulk_dialog:KvpBulkDialog",
    ),
    "copy-in": ("hvgui.ui.copy.dialog:CopyToVmDialog",),
    "copy-out": ("hvgui.ui.copy.from_vm_dialog:CopyFromVmDialog", "hvgui.ui.copy.guest_browser:GuestBrowserDialog"),
    "saved-hosts": ("hvgui.ui.saved_hosts:SavedHosts", "hvgui.ui.host_book:HostBook.groups"),
    "activity": (
        "hvgui.ui.activity.dock:ActivityDock.cancel_selected",
        "hvgui.ui.activity.dock:ActivityDock.retry_selected",
    ),
    "copy-as-powershell": ("hvgui.domain.operations:powershell_script",),
    "diagnose": ("hvgui.remoting.diagnose:run_cli",),
    "demo": ("hvgui.emulator:start_emulator",),
}

#: Features hvgui does not have, as an About text or --help would word them.
ABSENT = (
    "live migration",
    "migrate",
    "replica",
    "create a vm",
    "create vms",
    "new vm",
    "vm console",
    "remote desktop",
    "export vm",
    "import vm",
    "virtual switch",
    "cluster management",
    "kvp history",
    "snapshots of the pools",
)


def _resolve(reference: str) -> object:
    module_name, _, path = reference.partition(":")
    target: object = importlib.import_module(module_name)
    for part in path.split("."):
        target = getattr(target, part)
    return target


def help_text() -> str:
    return build_parser().format_help()


def about_text(qtbot) -> str:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    return dialog.text()


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).casefold()


def test_every_feature_claimed_has_code_behind_it() -> None:
    assert set(EVIDENCE) == {feature.key for feature in FEATURES}, "a feature claimed needs its evidence here"
    for key, references in EVIDENCE.items():
        for reference in references:
            assert _resolve(reference) is not None, (key, reference)


@pytest.mark.parametrize("source", ["about", "help"])
def test_about_and_help_name_every_feature_and_nothing_else(qtbot, source) -> None:
    text = about_text(qtbot) if source == "about" else help_text()
    normal = _normal(text)
    assert _normal(SUMMARY) in normal
    for line in feature_lines():
        assert _normal(line) in normal, line
    for absent in ABSENT:
        assert absent not in normal, absent
    # no feature sentence is written by hand next to the list: the list is all there is
    if source == "about":
        assert text.count("\u2022") == len(FEATURES)
    else:
        assert sum(1 for line in text.splitlines() if line.startswith("  - ")) == len(FEATURES)


def test_the_absent_list_catches_a_claim(monkeypatch) -> None:
    """The check above can fail: a feature list that promises migration is caught."""
    import hvgui.__main__ as main

    monkeypatch.setattr(main, "feature_lines", lambda: [*feature_lines(), "Live migration between hosts."])
    normal = _normal(main.build_parser().format_help())
    assert any(absent in normal for absent in ABSENT)
