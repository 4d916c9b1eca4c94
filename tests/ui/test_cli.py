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
