"""A saved host's pinned certificate is the check its connection makes (the host list and the pin join)."""

from __future__ import annotations

from hvgui.domain.connection import ConnectionSettings
from hvgui.domain.host_profiles import HostProfile
from hvgui.ui.saved_hosts import connection_settings

FINGERPRINT = "AB:CD:" + ":".join(["01"] * 30)


def test_a_saved_pin_becomes_the_connections_fingerprint_check() -> None:
    settings = ConnectionSettings(host="hv01.corp", port=5986, use_https=True, username="CORP\\admin")
    pinned = connection_settings(HostProfile(settings, pinned_sha256=FINGERPRINT))
    assert pinned.pinned_sha256 == FINGERPRINT.replace(":", "").lower()
    assert not pinned.unverified  # a pinned certificate is checked, by its fingerprint
    assert connection_settings(HostProfile(settings)) is settings
    own = ConnectionSettings(host="hv01.corp", port=5986, use_https=True, pinned_sha256="ff" * 32)
    assert connection_settings(HostProfile(own, pinned_sha256=FINGERPRINT)).pinned_sha256 == "ff" * 32
