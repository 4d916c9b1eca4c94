"""The connect dialog's notes about authentication: CredSSP's warning, and what Negotiate means here."""

from __future__ import annotations

from hvgui.domain.connection import AuthMethod
from hvgui.ui.connect_dialog import CREDSSP_WARNING, ConnectDialog, ConnectionForm, warnings_for


def test_credssp_is_offered_with_its_warning(qapp) -> None:
    dialog = ConnectDialog()
    assert dialog.auth_combo.findData(AuthMethod.CredSsp) >= 0
    dialog.auth_combo.setCurrentIndex(dialog.auth_combo.findData(AuthMethod.CredSsp))
    assert "hands your user name and password to the host" in dialog.warning_label.text()
    assert CREDSSP_WARNING in warnings_for(ConnectionForm(host="hv01", auth=AuthMethod.CredSsp), kerberos=True)


def test_negotiate_means_ntlm_where_kerberos_is_missing() -> None:
    negotiate = ConnectionForm(host="hv01", auth=AuthMethod.Negotiate)
    assert "Negotiate means NTLM on this computer" in " ".join(warnings_for(negotiate, kerberos=False))
    assert warnings_for(negotiate, kerberos=True) == []
    kerberos = ConnectionForm(host="hv01", auth=AuthMethod.Kerberos)
    assert "Kerberos is not installed" in " ".join(warnings_for(kerberos, kerberos=False))
    assert warnings_for(ConnectionForm(host="hv01", auth=AuthMethod.Ntlm), kerberos=False) == []
