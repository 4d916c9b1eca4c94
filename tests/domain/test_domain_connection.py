from __future__ import annotations

import pytest

from hvgui.domain.connection import AuthMethod, ConnectionSettings, parse_host_uri


def test_bare_host_defaults_to_https_on_5986_with_negotiate() -> None:
    settings = parse_host_uri("hv01")
    assert (settings.host, settings.port, settings.use_https, settings.auth) == (
        "hv01",
        5986,
        True,
        AuthMethod.Negotiate,
    )
    assert settings.username == ""


def test_full_uri_with_user_port_and_path() -> None:
    settings = parse_host_uri("https://CORP%5Cadmin@hv01.corp.example:15986/wsman")
    assert settings.username == "CORP\\admin"
    assert settings.port == 15986
    assert settings.url == "https://CORP\\admin@hv01.corp.example:15986/wsman"


def test_http_defaults_to_5985() -> None:
    assert parse_host_uri("http://hv02").port == 5985


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty host"),
        ("ftp://hv01", "unsupported scheme"),
        ("https://admin:secret@hv01", "password"),
        ("https://hv01/other", "unexpected path"),
        ("https://hv01:99999", "bad port"),
    ],
)
def test_bad_uris_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_host_uri(text)


def test_key_ignores_case_of_host_and_user() -> None:
    a = ConnectionSettings(host="HV01", username="a")
    b = ConnectionSettings(host="hv01", username="b")
    assert a.key == b.key == "https://hv01:5986"
