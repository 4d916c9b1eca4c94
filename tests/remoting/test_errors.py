"""Mapping library exceptions to domain errors with messages a person can act on."""

from __future__ import annotations

import socket
import ssl

import pytest
import requests
from pypsrp.complex_objects import ErrorRecord, GenericComplexObject
from pypsrp.exceptions import (
    AuthenticationError,
    FragmentError,
    InvalidRunspacePoolStateError,
    WinRMError,
    WinRMTransportError,
    WSManFaultError,
)

from hvgui.domain.connection import AuthMethod, ConnectionSettings
from hvgui.domain.errors import (
    AccessDenied,
    AuthenticationFailed,
    AuthenticationMethodRefused,
    ConnectionFailed,
    HostCommandError,
    HostUnreachable,
    OperationTimedOut,
    ProtocolError,
    ShellQuotaExceeded,
    TlsFailure,
)
from hvgui.remoting.errors import (
    AUTH_FAILED_MESSAGE,
    WSMAN_OPERATION_TIMEOUT,
    WSMAN_QUOTA_MAX_SHELLS,
    WSMAN_SHELL_NOT_FOUND,
    ErrorContext,
    host_command_error,
    is_connection_level,
    map_exception,
)

HTTPS = ErrorContext(
    ConnectionSettings("hv01.corp.example", 5986, use_https=True, username="admin", ca_file="/etc/hv-ca.pem"),
    connect_timeout=10,
    read_timeout=30,
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_wrong_password() -> None:
    error = map_exception(AuthenticationError("Failed to authenticate the user admin with negotiate"), HTTPS)
    assert isinstance(error, AuthenticationFailed)
    assert error.message == AUTH_FAILED_MESSAGE
    assert "admin" in error.hint


def test_connection_refused_names_the_endpoint_and_what_to_check() -> None:
    port = _closed_port()
    context = ErrorContext(ConnectionSettings("127.0.0.1", port, use_https=False, auth=AuthMethod.Basic), 5, 30)
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        requests.post(f"http://127.0.0.1:{port}/wsman", timeout=5)
    error = map_exception(caught.value, context)
    assert isinstance(error, HostUnreachable)
    assert f"127.0.0.1:{port}" in error.message
    for advice in ("winrm quickconfig", "Enable-PSRemoting", "firewall", "5985", "5986"):
        assert advice in error.hint


def test_unknown_host_name() -> None:
    wrapped = requests.exceptions.ConnectionError("Max retries exceeded")
    wrapped.__cause__ = socket.gaierror(-2, "Name or service not known")
    error = map_exception(wrapped, HTTPS)
    assert isinstance(error, HostUnreachable)
    assert "hv01.corp.example" in error.message and "resolved" in error.message


def test_timeouts() -> None:
    connect = map_exception(requests.exceptions.ConnectTimeout("connect timed out"), HTTPS)
    assert isinstance(connect, HostUnreachable) and "within 10 s" in connect.message
    read = map_exception(requests.exceptions.ReadTimeout("read timed out"), HTTPS)
    assert isinstance(read, OperationTimedOut) and "within 30 s" in read.message


def test_untrusted_certificate_mentions_the_ca_file() -> None:
    cause = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    wrapped = requests.exceptions.SSLError("HTTPSConnectionPool: Max retries exceeded")
    wrapped.__context__ = cause
    error = map_exception(wrapped, HTTPS)
    assert isinstance(error, TlsFailure)
    assert "not trusted" in error.message and "/etc/hv-ca.pem" in error.message
    assert "CA file" in error.hint


def test_name_mismatch_and_http_spoken_to_https() -> None:
    mismatch = map_exception(ssl.SSLCertVerificationError(1, "Hostname mismatch, certificate is not valid"), HTTPS)
    assert isinstance(mismatch, TlsFailure) and "not issued for 'hv01.corp.example'" in mismatch.message
    plain = map_exception(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), HTTPS)
    assert isinstance(plain, TlsFailure) and "does not speak HTTPS" in plain.message and "5986" in plain.hint


def test_wsman_faults() -> None:
    timed_out = WSManFaultError(
        WSMAN_OPERATION_TIMEOUT, "hv01", "The WS-Management service cannot complete", None, None, None
    )
    assert isinstance(map_exception(timed_out, HTTPS), OperationTimedOut)
    denied = map_exception(WSManFaultError(5, "hv01", "Access is denied.", None, None, None), HTTPS)
    assert isinstance(denied, AccessDenied) and isinstance(denied, AuthenticationFailed)  # not retried either
    assert "admin" in denied.message and "access denied" in denied.message
    gone = map_exception(WSManFaultError(WSMAN_SHELL_NOT_FOUND, None, "shell not found", None, None, None), HTTPS)
    assert isinstance(gone, ProtocolError) and "no longer knows this session" in gone.message
    other = map_exception(WSManFaultError(2150858770, None, "Something odd", None, None, None), HTTPS)
    assert isinstance(other, ProtocolError) and "Something odd" in other.message and "2150858770" in other.message


def test_http_statuses_and_pypsrp_states() -> None:
    missing = map_exception(WinRMTransportError("http", 404, ""), HTTPS)
    assert isinstance(missing, ProtocolError) and "404" in missing.message
    bad_state = map_exception(InvalidRunspacePoolStateError(1, 2, "open"), HTTPS)
    assert isinstance(bad_state, ProtocolError)
    settings = map_exception(ValueError("For basic auth, the username must be specified"), HTTPS)
    assert isinstance(settings, ConnectionFailed) and "username" in settings.message


def test_domain_errors_pass_through_and_only_host_errors_keep_the_pool() -> None:
    original = HostCommandError("boom", fully_qualified_error_id="X,Y")
    assert map_exception(original, HTTPS) is original
    assert not is_connection_level(original)
    assert is_connection_level(OperationTimedOut("slow"))


def test_host_error_record() -> None:
    exception = GenericComplexObject()
    exception.adapted_properties = {"Message": 'Hyper-V was unable to find a virtual machine with name "x".'}
    record = ErrorRecord(
        exception=exception,
        fq_error="InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM",
        category=5,
        target_name="x",
        message="InvalidArgument: (x:String) [Get-VM], VirtualizationException",
    )
    error = host_command_error(record, "Get-VM")
    assert error.message == 'Hyper-V was unable to find a virtual machine with name "x".'
    assert error.fully_qualified_error_id == "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM"
    assert error.error_id == "InvalidParameter"
    assert (error.category, error.target) == ("InvalidArgument", "x")


def test_host_error_record_without_details() -> None:
    record = ErrorRecord(fq_error="Odd", category=99, message="ObjectNotFound: (:) [], X")
    error = host_command_error(record, "Get-Thing")
    assert error.message  # never empty
    assert error.category == "ObjectNotFound"  # an unknown value: the category text names it
    assert host_command_error(ErrorRecord(fq_error="Odd", category=99), "Get-Thing").category == "99"
    bare = host_command_error(ErrorRecord(fq_error="", category=None), "Get-Thing")
    assert "Get-Thing" in bare.message


def test_a_listener_without_the_method_is_not_a_wrong_password() -> None:
    text = "The server did not response with one of the following authentication methods Negotiate, Kerberos, NTLM"
    error = map_exception(AuthenticationError(f"{text} - actual: 'Basic realm=\"WSMAN\"'"), HTTPS)
    assert isinstance(error, AuthenticationMethodRefused) and not isinstance(error, AuthenticationFailed)
    assert "negotiate" in error.message and "Basic" in error.message
    assert "not checked" in error.hint


@pytest.mark.parametrize("code", WSMAN_QUOTA_MAX_SHELLS)
def test_the_shell_quota_fault_says_what_to_do(code: int) -> None:
    reason = "This user is allowed a maximum number of 25 concurrent shells, which has been exceeded."
    error = map_exception(WSManFaultError(code, "hv01", reason, None, None, None), HTTPS)
    assert isinstance(error, ShellQuotaExceeded)
    assert "admin" in error.message and "MaxShellsPerUser" in error.hint and reason in error.hint


def test_only_an_answer_to_another_request_points_at_a_proxy() -> None:
    out_of_step = map_exception(FragmentError("Fragment Fragment Id: 1 != Expected Fragment Id: 0"), HTTPS)
    assert isinstance(out_of_step, ProtocolError)
    assert "proxy" not in str(out_of_step) and "Fragment Id: 1" in out_of_step.message
    foreign = map_exception(WinRMError("Received related id does not match related expected message id"), HTTPS)
    assert isinstance(foreign, ProtocolError) and "proxy" in foreign.hint
