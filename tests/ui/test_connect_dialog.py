"""Connect to host…: every setting, inline messages, OK only when the form can be tried."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from hvgui.domain.connection import AuthMethod, ConnectionSettings
from hvgui.ui.connect_dialog import (
    CA_FILE,
    HOST,
    PASSWORD,
    USERNAME,
    ConnectDialog,
    ConnectionForm,
    validate_form,
    warnings_for,
)


@pytest.fixture
def dialog(qtbot) -> ConnectDialog:
    d = ConnectDialog(existing_keys={"https://taken:5986"})
    qtbot.addWidget(d)
    d.show()
    return d


def fill(qtbot, dialog: ConnectDialog, *, host: str = "", user: str = "", password: str = "") -> None:
    for edit, text in ((dialog.host_edit, host), (dialog.username_edit, user), (dialog.password_edit, password)):
        if text:
            qtbot.keyClicks(edit, text)


# ---- the pure rules -------------------------------------------------------------------------------


def test_a_complete_form_has_no_problems() -> None:
    form = ConnectionForm(host="hv01", auth=AuthMethod.Basic, username="admin", password="pw")
    assert validate_form(form) == {}


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        (ConnectionForm(host=""), HOST, "Enter the host"),
        (ConnectionForm(host="  "), HOST, "Enter the host"),
        (ConnectionForm(host="https://hv01"), HOST, "only the host name"),
        (ConnectionForm(host="hv 01"), HOST, "cannot contain"),
        (ConnectionForm(host="hv01/wsman"), HOST, "cannot contain"),
        (ConnectionForm(host="hv01", auth=AuthMethod.Basic), USERNAME, "needs a user name"),
        (ConnectionForm(host="hv01", auth=AuthMethod.Ntlm), USERNAME, "needs a user name"),
        (ConnectionForm(host="hv01", auth=AuthMethod.CredSsp), USERNAME, "needs a user name"),
        (ConnectionForm(host="hv01", username="admin"), PASSWORD, "Enter the password"),
        (ConnectionForm(host="hv01", ca_file="/no/such/ca.pem"), CA_FILE, "No such file"),
    ],
)
def test_rules_name_the_field_and_say_what_to_do(form: ConnectionForm, field: str, words: str) -> None:
    problems = validate_form(form)
    assert field in problems
    assert words in problems[field]


def test_kerberos_and_negotiate_may_use_the_current_ticket() -> None:
    assert validate_form(ConnectionForm(host="hv01", auth=AuthMethod.Kerberos)) == {}
    assert validate_form(ConnectionForm(host="hv01", auth=AuthMethod.Negotiate)) == {}


def test_a_ca_file_is_ignored_when_verification_is_off() -> None:
    form = ConnectionForm(host="hv01", verify_certificate=False, ca_file="/no/such/ca.pem")
    assert validate_form(form) == {}
    assert form.to_settings().ca_file is None
    assert warnings_for(form)


def test_an_existing_connection_is_refused() -> None:
    problems = validate_form(ConnectionForm(host="TAKEN"), {"https://taken:5986"})
    assert "already connected" in problems[HOST]


def test_settings_carry_every_field(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    form = ConnectionForm(
        host=" hv01 ",
        port=15986,
        use_https=True,
        auth=AuthMethod.Ntlm,
        username=" CORP\\admin ",
        password="pw",
        verify_certificate=True,
        ca_file=str(ca),
        display_name=" Lab ",
    )
    assert form.to_settings() == ConnectionSettings(
        host="hv01",
        port=15986,
        use_https=True,
        auth=AuthMethod.Ntlm,
        username="CORP\\admin",
        verify_certificate=True,
        ca_file=str(ca),
        display_name="Lab",
    )


# ---- the dialog -----------------------------------------------------------------------------------


def test_every_auth_method_is_offered(dialog) -> None:
    offered = [dialog.auth_combo.itemData(i) for i in range(dialog.auth_combo.count())]
    assert offered == list(AuthMethod)


def test_password_is_masked(dialog) -> None:
    assert dialog.password_edit.echoMode() == QLineEdit.EchoMode.Password


def test_ok_is_disabled_until_the_form_is_valid(qtbot, dialog) -> None:
    assert not dialog.ok_button.isEnabled()
    assert dialog.message(HOST) == ""  # an untouched empty field is not scolded
    fill(qtbot, dialog, host="hv01")
    assert dialog.ok_button.isEnabled()  # Negotiate with the current ticket
    dialog.auth_combo.setCurrentIndex(dialog.auth_combo.findData(AuthMethod.Basic))
    assert not dialog.ok_button.isEnabled()
    assert "needs a user name" in dialog.message(USERNAME)
    fill(qtbot, dialog, user="admin")
    assert not dialog.ok_button.isEnabled()
    assert "password" in dialog.message(PASSWORD)
    fill(qtbot, dialog, password="s3cret")
    assert dialog.ok_button.isEnabled()
    assert dialog.message(USERNAME) == dialog.message(PASSWORD) == ""
    assert dialog.password() == "s3cret"
    assert dialog.settings().auth == AuthMethod.Basic


def test_a_bad_host_shows_its_message_at_once(qtbot, dialog) -> None:
    fill(qtbot, dialog, host="hv 01")
    assert "cannot contain" in dialog.message(HOST)
    assert not dialog.ok_button.isEnabled()


def test_port_follows_https_unless_changed(qtbot, dialog) -> None:
    assert dialog.port_spin.value() == 5986
    dialog.https_check.setChecked(False)
    assert dialog.port_spin.value() == 5985
    assert not dialog.verify_check.isEnabled()
    assert not dialog.ca_edit.isEnabled()
    dialog.port_spin.setValue(8080)
    dialog.https_check.setChecked(True)
    assert dialog.port_spin.value() == 8080
    assert dialog.verify_check.isEnabled()


def test_ca_file_must_exist(qtbot, dialog, tmp_path: Path) -> None:
    fill(qtbot, dialog, host="hv01")
    qtbot.keyClicks(dialog.ca_edit, str(tmp_path / "missing.pem"))
    assert "No such file" in dialog.message(CA_FILE)
    assert not dialog.ok_button.isEnabled()
    dialog.verify_check.setChecked(False)
    assert dialog.message(CA_FILE) == ""
    assert not dialog.ca_edit.isEnabled()
    assert not dialog.browse_button.isEnabled()
    assert dialog.ok_button.isEnabled()
    assert dialog.warning_label.text()


def test_an_already_connected_host_is_refused(qtbot, dialog) -> None:
    fill(qtbot, dialog, host="taken")
    assert "already connected" in dialog.message(HOST)
    assert not dialog.ok_button.isEnabled()


def test_a_pasted_uri_is_spread_over_the_fields(qtbot, dialog) -> None:
    qtbot.keyClicks(dialog.host_edit, "http://admin@hv09:15985")
    qtbot.keyClick(dialog.host_edit, Qt.Key.Key_Tab)
    assert dialog.host_edit.text() == "hv09"
    assert dialog.port_spin.value() == 15985
    assert not dialog.https_check.isChecked()
    assert dialog.username_edit.text() == "admin"


def test_prefilled_settings_ask_only_for_the_password(qtbot) -> None:
    settings = ConnectionSettings(host="hv01", port=5986, auth=AuthMethod.Basic, username="admin", display_name="Lab")
    d = ConnectDialog(settings=settings)
    qtbot.addWidget(d)
    assert d.form().to_settings() == settings
    assert not d.ok_button.isEnabled()
    assert "password" in d.message(PASSWORD)
    qtbot.keyClicks(d.password_edit, "pw")
    assert d.ok_button.isEnabled()


def test_accepting_returns_the_values(qtbot, dialog) -> None:
    fill(qtbot, dialog, host="hv01", user="admin", password="pw")
    with qtbot.waitSignal(dialog.accepted):
        dialog.ok_button.click()
    assert dialog.settings().host == "hv01"
