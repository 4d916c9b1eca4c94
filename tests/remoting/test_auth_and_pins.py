"""Authentication and certificate trust as hvgui's HostConnection meets them on emulated hosts: Negotiate with
message encryption, a method the host does not offer, pinned certificates (and a changed one), and the
Kerberos failures a person can act on."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from remoting_support import run
from spnego.exceptions import ErrorCode, NoCredentialError, SpnegoError

from hvgui.domain.connection import AuthMethod, ConnectionSettings
from hvgui.domain.errors import (
    AuthenticationFailed,
    AuthenticationMethodRefused,
    CertificateChanged,
    CertificateNotTrusted,
    HostUnreachable,
    KerberosFailure,
)
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting.cert_pins import PinStore, certificate_info, fetch_certificate, format_fingerprint
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.errors import ErrorContext, map_exception
from hvgui.remoting.hostapi import HostApi
from hvgui.remoting.kerberos import kerberos_failure, negotiate_note
from hvgui.remoting.transport import method_offered, offered_schemes


def _inventory_count(settings: ConnectionSettings, password: str) -> int:
    async def body() -> int:
        connection = HostConnection(settings, password, connect_timeout=5, operation_timeout=20)
        try:
            report = await HostApi(connection).inventory()
            return len(report.inventory.vms)
        finally:
            await connection.close()

    return run(body)


def _failure(settings: ConnectionSettings, password: str) -> Exception:
    with pytest.raises(Exception) as raised:
        _inventory_count(settings, password)
    return raised.value


@pytest.fixture(scope="module")
def negotiate_host() -> Iterator[RunningEmulator]:
    with start_emulator("demo", auth="negotiate") as emulator:
        yield emulator


@pytest.fixture(scope="module")
def two_tls_hosts() -> Iterator[tuple[RunningEmulator, RunningEmulator]]:
    """Two listeners, each with a certificate of its own (two generated CAs)."""
    with start_emulator("demo", tls=True, auth="negotiate") as first, start_emulator("demo", tls=True) as second:
        yield first, second


def test_negotiate_over_http_seals_the_session_and_reads_the_host(negotiate_host: RunningEmulator) -> None:
    endpoint = negotiate_host.endpoints[0]
    settings = endpoint.connection_settings()
    assert settings.auth is AuthMethod.Negotiate and not settings.use_https and not settings.unencrypted
    assert _inventory_count(settings, endpoint.password) > 0


def test_a_wrong_password_over_negotiate_is_a_wrong_password(negotiate_host: RunningEmulator) -> None:
    endpoint = negotiate_host.endpoints[0]
    error = _failure(endpoint.connection_settings(), "not-the-password")
    assert isinstance(error, AuthenticationFailed)
    assert "negotiate authentication" in error.hint


def test_basic_against_a_negotiate_host_names_the_methods_it_offers(negotiate_host: RunningEmulator) -> None:
    endpoint = negotiate_host.endpoints[0]
    settings = dataclasses.replace(endpoint.connection_settings(), auth=AuthMethod.Basic)
    error = _failure(settings, endpoint.password)
    assert isinstance(error, AuthenticationMethodRefused) and not isinstance(error, AuthenticationFailed)
    assert "does not accept basic authentication (it offers Negotiate, Kerberos)" in error.message
    assert "were not checked" in error.hint


def test_negotiate_against_a_basic_only_host_names_basic() -> None:
    with start_emulator("demo", auth="basic") as emulator:
        endpoint = emulator.endpoints[0]
        settings = dataclasses.replace(endpoint.connection_settings(), auth=AuthMethod.Negotiate)
        error = _failure(settings, endpoint.password)
    assert isinstance(error, AuthenticationMethodRefused)
    assert "(it offers Basic)" in error.message


def test_offered_schemes_and_which_method_they_allow() -> None:
    assert offered_schemes(["Negotiate", "Kerberos", 'Basic realm="WSMAN"']) == ("Negotiate", "Kerberos", "Basic")
    assert offered_schemes(["Negotiate TlRMTVNTUAACAAAA"]) == ("Negotiate",)
    assert method_offered("ntlm", ("Negotiate", "Kerberos"))
    assert not method_offered("basic", ("Negotiate", "Kerberos"))
    assert not method_offered("credssp", ("Negotiate",))


def test_a_pinned_certificate_connects_and_a_changed_one_is_refused(
    two_tls_hosts: tuple[RunningEmulator, RunningEmulator], tmp_path: Path
) -> None:
    first, second = two_tls_hosts
    endpoint = first.endpoints[0]
    no_ca = dataclasses.replace(endpoint.connection_settings(), ca_file=None)
    untrusted = _failure(no_ca, endpoint.password)
    assert isinstance(untrusted, CertificateNotTrusted)

    info = fetch_certificate(endpoint.address, endpoint.port)
    assert info.subject and info.issuer != info.subject  # the emulator's CA issued it
    store = PinStore(tmp_path / "pins.json")
    store.pin(no_ca.key, info)
    pinned = dataclasses.replace(no_ca, pinned_sha256=store.get(no_ca.key))
    assert _inventory_count(pinned, endpoint.password) > 0  # no CA, no system store: the pin alone

    # The same pin against another listener (a host that changed its certificate, or one posing as it).
    other = second.endpoints[0]
    impostor = dataclasses.replace(pinned, port=other.port)
    changed = _failure(impostor, other.password)
    assert isinstance(changed, CertificateChanged)
    assert "has changed since you trusted it" in changed.message and "sent no password" in changed.message
    assert changed.expected == info.sha256
    assert changed.presented == fetch_certificate(other.address, other.port).sha256
    assert second.server(other.host_name).service.rejected_logins == 0  # not even a logon was tried


def test_the_pin_store_keeps_pins_by_listener(tmp_path: Path) -> None:
    path = tmp_path / "config" / "cert-pins.json"
    store = PinStore(path)
    assert store.get("https://hv01:5986") is None
    info = certificate_info(_self_signed_der())
    store.pin("https://HV01:5986", info)
    assert PinStore(path).get("https://hv01:5986") == info.sha256  # a new instance reads the file
    assert '"version": 1' in path.read_text()
    assert format_fingerprint("abcd12") == "AB:CD:12"
    assert info.self_signed and not info.expired()
    store.forget("https://hv01:5986")
    assert store.get("https://hv01:5986") is None
    path.write_text("{not json")
    assert PinStore(path).get("https://hv01:5986") is None  # a damaged file trusts nothing


def _self_signed_der() -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hv01")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(Encoding.DER)


# --- Kerberos: cannot be emulated here, so the mapping is checked with pyspnego's own exception types and the
# texts MIT Kerberos puts in them (see README: checking Kerberos against a domain host).


def _kerberos_context(host: str = "hv01.corp.example") -> ErrorContext:
    settings = ConnectionSettings(host, 5985, use_https=False, auth=AuthMethod.Kerberos, username="admin@CORP")
    return ErrorContext(settings, 5, 30)


def test_no_ticket_says_kinit() -> None:
    # The text pyspnego raises with MIT Kerberos and no ticket cache (checked with gssapi installed).
    exc = NoCredentialError(
        context_msg="Major (458752): No credentials were supplied, or the credentials were unavailable or "
        "inaccessible, Minor (2529639053): No Kerberos credentials available (default cache: FILE:/tmp/krb5cc_0)"
    )
    error = map_exception(exc, _kerberos_context())
    assert isinstance(error, KerberosFailure) and not isinstance(error, AuthenticationFailed)
    assert "no Kerberos ticket" in error.message and "kinit admin@CORP" in error.hint


def test_an_ip_address_has_no_spn() -> None:
    exc = SpnegoError(
        ErrorCode.failure,
        context_msg="Processing security token: Server not found in Kerberos database (-1765328377)",
    )
    by_ip = map_exception(exc, _kerberos_context("192.0.2.10"))
    assert isinstance(by_ip, KerberosFailure)
    assert "SPN" in by_ip.message and "not its IP address 192.0.2.10" in by_ip.hint
    by_alias = kerberos_failure(exc, _kerberos_context("hv01"))
    assert by_alias is not None and "fully qualified name" in by_alias.hint


def test_no_kdc_for_the_realm_says_check_krb5_conf() -> None:
    # As pyspnego reports it with MIT Kerberos when given a password but no reachable KDC.
    exc = SpnegoError(ErrorCode.failure, context_msg='Cannot find KDC for realm "CORP.EXAMPLE" -1765328230')
    error = map_exception(exc, _kerberos_context())
    assert isinstance(error, KerberosFailure) and "KDC" in error.message and "krb5.conf" in error.hint


def test_clock_skew_says_set_the_clock() -> None:
    exc = SpnegoError(ErrorCode.failure, context_msg="Processing security token: Clock skew too great (-1765328347)")
    error = map_exception(exc, _kerberos_context())
    assert isinstance(error, KerberosFailure) and "clock" in error.message


def test_kerberos_without_gssapi_says_negotiate_means_ntlm() -> None:
    exc = ImportError("GSSAPIProxy requires the Python gssapi library: No module named 'gssapi'")
    error = map_exception(exc, _kerberos_context())
    assert isinstance(error, AuthenticationMethodRefused)
    assert "Kerberos is not available on this computer" in error.message
    assert "NTLM" in negotiate_note()


def test_a_non_kerberos_security_error_is_left_alone() -> None:
    assert kerberos_failure(ValueError("Server not found in Kerberos database"), _kerberos_context()) is None


def test_the_environment_proxy_is_used_and_no_proxy_bypasses_it(
    negotiate_host: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session reads the proxy settings once (not on every request) and still follows them: a proxy that
    is not there fails the connection, and the same proxy with the host in NO_PROXY does not."""
    endpoint = negotiate_host.endpoints[0]
    settings, password = endpoint.connection_settings(), endpoint.password
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    proxy = "http://proxyuser:proxysecret@127.0.0.1:9"  # the discard port: nothing listens
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("http_proxy", proxy)
    failure = _failure(settings, password)
    assert isinstance(failure, HostUnreachable)
    assert "through the proxy http://127.0.0.1:9 (the proxy refused the connection)" in str(failure)
    assert "proxysecret" not in str(failure) and "NO_PROXY" in (failure.hint or "")
    monkeypatch.setenv("NO_PROXY", settings.host)
    monkeypatch.setenv("no_proxy", settings.host)
    assert _inventory_count(settings, password) > 0
