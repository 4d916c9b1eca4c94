"""`hvgui` / `python -m hvgui`: parse the command line and run the application.

    hvgui [--demo] [--host URI ...] [--password-stdin] [--screenshot FILE.png] [--screenshot-timeout SECONDS]
          [--screenshot-tab summary|services|checkpoints|kvp] [--screenshot-vm NAME]
    hvgui --diagnose URI [--diagnose-output FILE.json] [--password-stdin]

`--diagnose` measures a host read-only and writes a redacted report (`hvgui.remoting.diagnose`); it runs
without Qt, so it works over SSH on a machine with no display.

Passwords never come from the command line: a `--host` with a user name takes its password from the OS
keyring when one is remembered there, else hvgui asks in a dialog; `--password-stdin` reads one line from
standard input instead (used for every `--host`). A password typed into a `--host` URI is refused, and never
printed back: error messages show it as `***`.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from hvgui import __version__
from hvgui.domain.connection import (
    AuthMethod,
    ConnectionSettings,
    parse_host_uri,
    redact_uri,
    transport_warning,
)
from hvgui.domain.features import SUMMARY, feature_lines

log = logging.getLogger("hvgui")

#: The VM panel tabs `--screenshot-tab` can show (the names of `VmPanel.TAB_NAMES`; Qt is not imported here).
SCREENSHOT_TABS = ("summary", "services", "checkpoints", "kvp")


@dataclass(frozen=True)
class Options:
    """What the command line asked for, checked and parsed."""

    demo: bool = False
    hosts: tuple[ConnectionSettings, ...] = ()
    password_stdin: bool = False
    screenshot: Path | None = None
    screenshot_timeout: float = 60.0
    screenshot_tab: str = "summary"
    screenshot_vm: str | None = None
    diagnose: ConnectionSettings | None = None
    diagnose_output: Path | None = None
    verbose: int = 0
    qt_args: tuple[str, ...] = field(default=())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hvgui",
        allow_abbrev=False,
        description="\n".join([SUMMARY, "", *(f"  - {line}" for line in feature_lines())]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Example: hvgui --host https://admin@hv01:5986 --auth ntlm",
    )
    parser.add_argument("--version", action="version", version=f"hvgui {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the bundled Hyper-V host emulator (demo scenario) on loopback and connect to its hosts",
    )
    parser.add_argument(
        "--host",
        dest="hosts",
        action="append",
        default=[],
        metavar="URI",
        help="connect to [http|https://][user@]host[:port] (repeatable); the password comes from the keyring "
        "or is asked for",
    )
    parser.add_argument(
        "--auth",
        choices=[m.value for m in AuthMethod],
        default=AuthMethod.Negotiate.value,
        help="authentication for every --host (default: negotiate)",
    )
    parser.add_argument("--ca-file", metavar="PEM", help="trust this CA bundle for every --host over HTTPS")
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="do not check the certificate of --host hosts (only for labs: the password can be intercepted)",
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read one password from standard input and use it for every --host",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="FILE.png",
        help="save the main window as PNG once every host's VMs have arrived, then exit",
    )
    parser.add_argument(
        "--screenshot-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="give up on --screenshot after this long (default: 60)",
    )
    parser.add_argument(
        "--screenshot-tab",
        choices=SCREENSHOT_TABS,
        default="summary",
        help="the VM panel tab --screenshot shows (default: summary)",
    )
    parser.add_argument(
        "--screenshot-vm",
        metavar="NAME",
        help="the VM --screenshot selects (default: the first running VM with a healthy heartbeat)",
    )
    parser.add_argument(
        "--diagnose",
        metavar="URI",
        help="measure this host read-only (every command hvgui uses: time, object counts, object shapes) and "
        "write a redacted JSON report that holds no names or values; no window opens",
    )
    parser.add_argument(
        "--diagnose-output",
        type=Path,
        metavar="FILE.json",
        help="where --diagnose writes its report (default: hvgui-diagnose-<time>.json in the current directory)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (repeat for debug)")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Parse and check the command line; exits with status 2 and a message on bad input."""
    parser = build_parser()
    args, qt_args = parser.parse_known_args(argv)
    unknown = [a for a in qt_args if a.startswith("--")]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    auth = AuthMethod(args.auth)
    hosts = []
    for text in args.hosts:
        try:
            settings = parse_host_uri(text, auth=auth)
        except ValueError as exc:
            parser.error(f"--host {redact_uri(text)!r}: {exc}")
        if settings.use_https:
            settings = replace(settings, ca_file=args.ca_file, verify_certificate=not args.no_verify)
        hosts.append(settings)
    if len({h.key for h in hosts}) != len(hosts):
        parser.error("the same --host is given twice")
    diagnose = _diagnose_settings(parser, args)
    if args.password_stdin and not hosts and diagnose is None:
        parser.error("--password-stdin needs at least one --host (or --diagnose)")
    if args.screenshot is not None and hosts and not args.password_stdin:
        parser.error("--screenshot with --host needs --password-stdin (no one is there to type a password)")
    if args.screenshot is not None and args.screenshot.suffix.lower() != ".png":
        parser.error("--screenshot writes PNG: give a file name ending in .png")
    if args.screenshot is None and (args.screenshot_vm is not None or args.screenshot_tab != "summary"):
        parser.error("--screenshot-tab and --screenshot-vm need --screenshot")
    if args.screenshot_timeout <= 0:
        parser.error("--screenshot-timeout must be positive")
    return Options(
        demo=args.demo,
        hosts=tuple(hosts),
        password_stdin=args.password_stdin,
        screenshot=args.screenshot,
        screenshot_timeout=args.screenshot_timeout,
        screenshot_tab=args.screenshot_tab,
        screenshot_vm=args.screenshot_vm,
        diagnose=diagnose,
        diagnose_output=args.diagnose_output,
        verbose=args.verbose,
        qt_args=tuple(qt_args),
    )


def _diagnose_settings(parser: argparse.ArgumentParser, args: argparse.Namespace) -> ConnectionSettings | None:
    """The host `--diagnose` measures, parsed like `--host`; it runs alone (no window, no other host)."""
    if args.diagnose is None:
        if args.diagnose_output is not None:
            parser.error("--diagnose-output needs --diagnose")
        return None
    if args.demo or args.hosts or args.screenshot is not None:
        parser.error("--diagnose runs on its own: leave out --demo, --host and --screenshot")
    try:
        settings = parse_host_uri(args.diagnose, auth=AuthMethod(args.auth))
    except ValueError as exc:
        parser.error(f"--diagnose {redact_uri(args.diagnose)!r}: {exc}")
    if settings.use_https:
        settings = replace(settings, ca_file=args.ca_file, verify_certificate=not args.no_verify)
    return settings


def read_password(stream: TextIO) -> str:
    """One password from standard input: a prompt on a terminal, else the first line (without its newline)."""
    if stream.isatty():
        return getpass.getpass("Password: ", stream=sys.stderr)
    line = stream.readline()
    if not line:
        raise ValueError("--password-stdin: standard input is empty")
    return line.rstrip("\r\n")


#: A frozen build's hidden entry point into the emulator (`hvgui.emulator.process.FROZEN_EMULATOR_FLAG`): the
#: demo starts its emulator from the hvgui executable itself, as there is no Python to run `-m` with.
RUN_EMULATOR_FLAG = "--run-emulator"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == [RUN_EMULATOR_FLAG]:
        from hvgui.emulator.cli import main as emulator_main

        return emulator_main(args[1:])
    options = parse_args(args)
    for settings in (*options.hosts, *((options.diagnose,) if options.diagnose is not None else ())):
        warning = transport_warning(settings)
        if warning:
            print(f"hvgui: warning: {warning}", file=sys.stderr)
            log.warning("%s", warning)
    if options.diagnose is not None:
        return _diagnose(options)
    password = None
    if options.password_stdin:
        try:
            password = read_password(sys.stdin)
        except ValueError as exc:
            print(f"hvgui: {exc}", file=sys.stderr)
            return 2
    from hvgui.app import run  # imports Qt: after the command line is known to be good

    return run(options, password=password)


def _diagnose(options: Options) -> int:
    """`--diagnose`: the password as for `--host` (a prompt on a terminal, or `--password-stdin`), no Qt."""
    assert options.diagnose is not None
    if not options.password_stdin and not sys.stdin.isatty():
        print("hvgui: --diagnose asks for the password on a terminal; pipe it with --password-stdin", file=sys.stderr)
        return 2
    try:
        password = read_password(sys.stdin)
    except ValueError as exc:
        print(f"hvgui: {exc}", file=sys.stderr)
        return 2
    from hvgui.remoting.diagnose import run_cli  # pypsrp, not Qt

    return run_cli(options.diagnose, password, options.diagnose_output, client_version=__version__)


if __name__ == "__main__":
    sys.exit(main())
