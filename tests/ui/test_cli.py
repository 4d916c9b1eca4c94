"""The command line: what it accepts, what it refuses, and how the password arrives."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hvgui.__main__ import parse_args, read_password
from hvgui.domain.connection import AuthMethod, ConnectionSettings


def test_defaults() -> None:
    options = parse_args([])
    assert not options.demo
    assert options.hosts == ()
    assert options.screenshot is None
    assert options.screenshot_timeout == 60.0


def test_hosts_are_parsed_with_the_domain_rules() -> None:
    options = parse_args(["--host", "https://admin@hv01:5986", "--host", "http://hv02", "--auth", "ntlm"])
    assert options.hosts == (
        ConnectionSettings(host="hv01", port=5986, use_https=True, auth=AuthMethod.Ntlm, username="admin"),
        ConnectionSettings(host="hv02", port=5985, use_https=False, auth=AuthMethod.Ntlm),
    )


def test_ca_file_and_no_verify_apply_to_https_hosts() -> None:
    options = parse_args(["--host", "hv01", "--ca-file", "/tmp/ca.pem"])
    assert options.hosts[0].ca_file == "/tmp/ca.pem"
    assert options.hosts[0].verify_certificate
    assert not parse_args(["--host", "hv01", "--no-verify"]).hosts[0].verify_certificate


def test_screenshot_options() -> None:
    options = parse_args(["--demo", "--screenshot", "out.png", "--screenshot-timeout", "5"])
    assert options.demo
    assert options.screenshot == Path("out.png")
    assert options.screenshot_timeout == 5.0
    assert options.screenshot_tab == "summary" and options.screenshot_vm is None
    options = parse_args(
        ["--demo", "--screenshot", "o.png", "--screenshot-tab", "services", "--screenshot-vm", "web02"]
    )
    assert options.screenshot_tab == "services"
    assert options.screenshot_vm == "web02"


def test_screenshot_tabs_are_the_panel_tabs(qapp) -> None:
    from hvgui.__main__ import SCREENSHOT_TABS
    from hvgui.ui.vm_panel import VmPanel

    assert SCREENSHOT_TABS == VmPanel.TAB_NAMES


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--host", "https://admin:secret@hv01"], "password"),
        (["--host", "ftp://hv01"], "unsupported scheme"),
        (["--host", "hv01", "--host", "HV01"], "twice"),
        (["--password-stdin"], "needs at least one --host"),
        (["--host", "hv01", "--screenshot", "x.png"], "needs --password-stdin"),
        (["--demo", "--screenshot", "x.jpg"], "PNG"),
        (["--demo", "--screenshot", "x.png", "--screenshot-timeout", "0"], "positive"),
        (["--demo", "--screenshot", "x.png", "--screenshot-tab", "nope"], "invalid choice"),
        (["--demo", "--screenshot-tab", "services"], "need --screenshot"),
        (["--demo", "--screenshot-vm", "dc01"], "need --screenshot"),
        (["--no-such-option"], "unrecognized"),
        (["--password", "x"], "unrecognized"),
    ],
)
def test_bad_command_lines_exit_2_with_a_reason(argv: list[str], words: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv)
    assert exit_info.value.code == 2
    assert words in capsys.readouterr().err


def test_password_is_one_line_of_stdin() -> None:
    assert read_password(io.StringIO("pa ss$(x)`y`\nsecond line\n")) == "pa ss$(x)`y`"
    assert read_password(io.StringIO("no newline")) == "no newline"
    with pytest.raises(ValueError, match="empty"):
        read_password(io.StringIO(""))


def test_unsafe_hosts_are_warned_about_at_start(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    from hvgui.__main__ import main

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no password: main stops right after the warnings
    argv = ["--host", "http://admin@hv01", "--auth", "basic", "--host", "https://hv02", "--no-verify"]
    assert main([*argv, "--password-stdin"]) == 2
    err = capsys.readouterr().err
    assert "hvgui: warning: hv01:5985 uses Basic authentication over plain HTTP" in err
    assert "hvgui: warning: hv02:5986: certificate checking is off (--no-verify)" in err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["--host", "http://admin@hv01", "--password-stdin"]) == 2  # Negotiate seals HTTP: no warning
    assert "warning" not in capsys.readouterr().err


def test_transport_warnings_and_badges() -> None:
    from hvgui.domain.connection import redact_uri, transport_badge, transport_warning

    plain_basic = parse_args(["--host", "http://admin@hv01", "--auth", "basic"]).hosts[0]
    unchecked = parse_args(["--host", "https://hv02", "--no-verify"]).hosts[0]
    sealed = parse_args(["--host", "http://hv03"]).hosts[0]  # Negotiate over HTTP encrypts every message
    assert transport_badge(plain_basic) == "unencrypted" and "unencrypted" in transport_warning(plain_basic)
    assert transport_badge(unchecked) == "unverified" and "--no-verify" in transport_warning(unchecked)
    assert transport_badge(sealed) == "" and transport_warning(sealed) == ""
    assert redact_uri("https://admin:s3cret@hv01:5986") == "https://admin:***@hv01:5986"
    assert redact_uri("admin:s3cret@hv01") == "admin:***@hv01"
    assert redact_uri("https://admin@hv01") == "https://admin@hv01"


def test_a_password_in_a_host_uri_is_not_printed_back(capsys) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--host", "https://admin:Sup3rSecret@hv01"])
    err = capsys.readouterr().err
    assert "password" in err and "Sup3rSecret" not in err
