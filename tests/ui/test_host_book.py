"""The saved hosts file: written atomically in the config directory, read back, an unreadable one kept aside."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from hvgui.domain.connection import ConnectionSettings
from hvgui.domain.host_profiles import HostProfile
from hvgui.ui.host_book import HostBook, default_path


def profile(host: str, **changes) -> HostProfile:
    return HostProfile(ConnectionSettings(host=host, username="admin"), **changes)


def test_the_file_lives_in_the_config_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_path() == tmp_path / "hvgui" / "hosts.json"


def test_saved_hosts_survive_a_restart_in_order(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "hosts.json"
    book = HostBook(path)
    book.put(profile("hv01", groups=("Prod",)))
    book.put(profile("hv02"))
    book.put(replace(profile("hv01", groups=("Lab",))))  # an update keeps its place
    again = HostBook(path)
    again.load()
    assert [p.settings.host for p in again.profiles()] == ["hv01", "hv02"]
    assert again.get("https://hv01:5986").groups == ("Lab",)
    assert [p.name for p in path.parent.iterdir()] == ["hosts.json"]  # no temporary file left behind
    assert json.loads(path.read_text())["version"] == 2


def test_an_address_change_replaces_the_old_entry(tmp_path: Path) -> None:
    book = HostBook(tmp_path / "hosts.json")
    book.put(profile("hv01"))
    book.put(profile("hv02"))
    book.put(profile("hv01b"), replacing="https://hv01:5986")
    assert [p.settings.host for p in book.profiles()] == ["hv01b", "hv02"]


def test_an_unreadable_file_is_kept_aside_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "hosts.json"
    path.write_text("{ not json")
    book = HostBook(path)
    book.load()
    assert book.profiles() == []
    assert "could not be read" in (book.load_problem or "")
    assert (tmp_path / "hosts.json.unreadable").read_text() == "{ not json"


def test_import_adds_only_new_hosts_and_export_writes_the_chosen_ones(tmp_path: Path) -> None:
    book = HostBook(tmp_path / "hosts.json")
    book.put(profile("hv01", groups=("Prod",)))
    exported = tmp_path / "out.json"
    assert book.export(exported) == 1
    other = HostBook(None)
    other.put(profile("hv01", groups=("Other",)))
    assert other.merge(HostBook_read(exported)) == 0
    assert other.get("https://hv01:5986").groups == ("Other",)
    other.put(profile("hv03"))
    assert book.merge(other.profiles()) == 1
    assert book.groups() == ["Prod"]


def HostBook_read(path: Path) -> list[HostProfile]:
    book = HostBook(path)
    book.load()
    return book.profiles()


def test_an_in_memory_book_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    book = HostBook(None)
    book.put(profile("hv01"))
    book.set_connect_at_start("https://hv01:5986", True)
    assert book.get("https://hv01:5986").connect_at_start
    assert list(tmp_path.iterdir()) == []
