"""A URI pasted into the connect dialog's host field is spread over the fields; a password in it never shows."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication

from hvgui.__main__ import parse_args
from hvgui.domain.connection import mask_uri_password, split_uri_password
from hvgui.ui.connect_dialog import HOST, ConnectDialog


@pytest.fixture
def dialog(qtbot) -> ConnectDialog:
    d = ConnectDialog()
    qtbot.addWidget(d)
    d.show()
    return d


def paste(qtbot, dialog: ConnectDialog, text: str) -> None:
    QGuiApplication.clipboard().setText(text)
    dialog.host_edit.setFocus()
    dialog.host_edit.paste()


@pytest.mark.parametrize(
    ("uri", "host", "port", "https", "user"),
    [
        ("https://admin@hv01.example.com:5986/wsman", "hv01.example.com", 5986, True, "admin"),
        ("http://hv02:5985", "hv02", 5985, False, ""),
        ("http://hv03", "hv03", 5985, False, ""),
        ("https://[fe80::1]:6000/wsman", "fe80::1", 6000, True, ""),
        ("CORP%5Cadmin@hv04", "hv04", 5986, True, "CORP\\admin"),
    ],
)
def test_a_pasted_uri_fills_the_fields(qtbot, dialog, uri, host, port, https, user) -> None:
    paste(qtbot, dialog, uri)
    assert dialog.host_edit.text() == host
    assert dialog.port_spin.value() == port
    assert dialog.https_check.isChecked() is https
    assert dialog.username_edit.text() == user
    assert dialog.message(HOST) == ""


def test_a_password_in_a_pasted_uri_goes_to_the_password_field(qtbot, dialog) -> None:
    paste(qtbot, dialog, "https://admin:Pa%40ss:w0rd@hv01:5986/wsman")
    assert dialog.host_edit.text() == "hv01"
    assert dialog.password_edit.text() == "Pa@ss:w0rd"
    assert dialog.username_edit.text() == "admin"


def test_a_uri_with_a_wrong_path_keeps_what_was_typed_and_says_why(qtbot, dialog) -> None:
    paste(qtbot, dialog, "https://admin:pw@hv01/other")
    assert dialog.host_edit.text() == "https://admin@hv01/other"  # the password moved out of sight
    assert dialog.password_edit.text() == "pw"
    assert not dialog.ok_button.isEnabled()


def test_typing_a_scheme_by_hand_is_not_taken_apart_on_the_way(qtbot, dialog) -> None:
    qtbot.keyClicks(dialog.host_edit, "https://hv01")
    assert dialog.host_edit.text() == "https://hv01"
    dialog.host_edit.editingFinished.emit()
    assert dialog.host_edit.text() == "hv01"


def test_passwords_in_uris_are_masked() -> None:
    assert mask_uri_password("https://admin:S3cret@hv01:5986") == "https://admin:***@hv01:5986"
    assert split_uri_password("admin:a@b@hv01") == ("admin@hv01", "a@b")
    assert mask_uri_password("https://admin@hv01") == "https://admin@hv01"


def test_the_command_line_never_prints_a_password_back(capsys) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--host", "https://admin:Unique-S3cret@hv01:99999"])
    err = capsys.readouterr().err
    assert "Unique-S3cret" not in err
    assert "admin:***@hv01" in err
    with pytest.raises(SystemExit):
        parse_args(["--diagnose", "https://admin:Unique-S3cret@hv01"])
    assert "Unique-S3cret" not in capsys.readouterr().err
