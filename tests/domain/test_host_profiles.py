"""Saved hosts as a document: every field round-trips, older versions upgrade, secrets never pass."""

from __future__ import annotations

import pytest

from hvgui.domain.connection import AuthMethod, ConnectionSettings
from hvgui.domain.host_profiles import (
    VERSION,
    HostProfile,
    ProfileDocumentError,
    duplicate_name,
    from_document,
    parse_groups,
    to_document,
)

PROFILE = HostProfile(
    ConnectionSettings(
        host="hv01.example.com",
        port=5986,
        auth=AuthMethod.Ntlm,
        username="CORP\\admin",
        ca_file="/etc/ca.pem",
        display_name="HV01",
    ),
    groups=("Prod", "Lab"),
    connect_at_start=True,
    pinned_sha256="AB:CD",
)


def test_every_field_round_trips() -> None:
    document = to_document([PROFILE])
    assert document["version"] == VERSION
    assert from_document(document) == [PROFILE]


def test_plain_http_and_ipv6_round_trip() -> None:
    profile = HostProfile(ConnectionSettings(host="fe80::1", port=5985, use_https=False, auth=AuthMethod.Basic))
    assert from_document(to_document([profile])) == [profile]


def test_a_document_never_holds_a_password_and_an_imported_one_is_dropped() -> None:
    document = to_document([PROFILE])
    assert "password" not in str(document).lower()
    document["hosts"][0]["password"] = "s3cret"
    document["hosts"][0]["Password"] = "s3cret"
    (profile,) = from_document(document)
    assert "s3cret" not in repr(profile)
    assert "s3cret" not in str(to_document([profile]))


def test_version_1_is_upgraded() -> None:
    old = {
        "format": "hvgui-hosts",
        "version": 1,
        "hosts": [{"uri": "http://hv02:5985/wsman", "user": "admin", "group": "Lab", "autoconnect": True}],
    }
    (profile,) = from_document(old)
    assert profile.groups == ("Lab",)
    assert profile.connect_at_start is True
    assert profile.settings.use_https is False
    assert profile.settings.username == "admin"


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ({"hosts": []}, "not a list of hvgui hosts"),
        ({"format": "hvgui-hosts", "version": VERSION + 1, "hosts": []}, "newer hvgui"),
        ({"format": "hvgui-hosts", "version": 2, "hosts": [{"uri": "ftp://x"}]}, "Host 1"),
        ({"format": "hvgui-hosts", "version": 2, "hosts": [{"uri": "hv01", "auth": "magic"}]}, "magic"),
        ({"format": "hvgui-hosts", "version": 2, "hosts": [{"uri": "hv01", "groups": "Prod"}]}, "groups"),
    ],
)
def test_bad_documents_are_refused_with_the_reason(document: dict, words: str) -> None:
    with pytest.raises(ProfileDocumentError, match=words):
        from_document(document)


def test_groups_are_cleaned_and_copies_get_free_names() -> None:
    assert parse_groups(" Prod ,lab, prod,, Lab  B ") == ("Prod", "lab", "Lab B")
    assert duplicate_name(PROFILE, ["HV01 (copy)"]) == "HV01 (copy 2)"
