"""`python -m hvgui.emulator`: serve the hosts of a scenario until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from hvgui.emulator.endpoints import CONTROL_PREFIX, READY_LINE, format_listening_line
from hvgui.emulator.server import RunningEmulator, check_loopback, exposure_warning, parse_listen, start_hosts

if TYPE_CHECKING:
    from hvgui.emulator.hyperv.costs import CostProfile

log = logging.getLogger("hvgui.emulator")

DESCRIPTION = """\
Serve emulated Hyper-V hosts over real WS-Management + PowerShell Remoting (PSRP), so that any WinRM
client (hvgui, pypsrp) talks to them exactly as to real Windows Server hosts.

Every host of the scenario gets a port of its own: one port per host, like a fleet of real machines,
so each host has its own URL and can drop on its own. With port 0 each host gets a free port; with
port P the hosts get P, P+1, P+2, ...

Authentication is what a real host's WinRM service accepts: Negotiate (NTLM here; Kerberos needs a
domain), with every message sealed (MS-WSMV message encryption) over plain HTTP. --auth basic turns Basic
on instead (over HTTP a client must then allow unencrypted Basic, pypsrp: encryption="never"); --auth
negotiate,basic offers both. With --tls the listeners speak HTTPS with a certificate signed by a CA
generated for this run (its file is printed as ca=...; check the server against it), or with --cert/--key.
"""

EPILOG = """\
output (stdout), one line per host and then a ready line:
  hvgui-emulator: HOSTNAME listening on http://127.0.0.1:PORT/wsman user=U password=P auth=negotiate
  hvgui-emulator: HOSTNAME listening on https://127.0.0.1:PORT/wsman user=U password=P auth=basic ca=/path/ca.pem
  hvgui-emulator: ready

cost profiles (--cost-profile):
  instant     nothing costs anything; job-based cmdlets return at once (the default)
  realistic   cmdlets, WMI reads and CIM calls cost what a Windows Server 2022 host charges, and Stop-VM,
              Save-VM, Checkpoint-VM & co. block until their job ends, writing progress records
  FILE        a JSON profile (CostProfile.to_json, or the cost_profile member of an hvgui --diagnose report)

control commands (--control), one JSON object per line on stdin:
  {"op": "hang", "host": "HV-LARGE-01", "vms": ["<VM id or name>", ...]}   also recover, critical, healthy
  {"op": "clock-jump", "seconds": 3600}       {"op": "kill-watchers"}     ("host" only when there are several)

environment:
  HVGUI_EMULATOR_COMMAND_LOG=FILE   also append the command log to FILE

exit status: 0 after SIGINT/SIGTERM, 2 for bad arguments or a refused listen address, 1 if the
scenario cannot be loaded or a port cannot be bound.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hvgui.emulator",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--listen",
        default="127.0.0.1:0",
        metavar="HOST:PORT",
        help="address and first port (default 127.0.0.1:0: a free port per host). Only loopback "
        "addresses are accepted unless --allow-remote is given.",
    )
    parser.add_argument(
        "--scenario",
        default="demo",
        metavar="NAME_OR_PATH",
        help="the hosts to emulate: demo, de-DE, large (100 VMs), large:N (N VMs), or a JSON scenario file "
        "(default demo)",
    )
    parser.add_argument("--tls", action="store_true", help="serve HTTPS (with a generated CA unless --cert/--key)")
    parser.add_argument("--cert", metavar="FILE", help="PEM certificate for HTTPS (implies --tls; needs --key)")
    parser.add_argument("--key", metavar="FILE", help="PEM private key of --cert")
    parser.add_argument("--user", metavar="U", help="user name clients must send (default: random hvadmin-xxxx)")
    parser.add_argument("--password", metavar="P", help="password clients must send (default: random)")
    parser.add_argument(
        "--auth",
        type=_auth_list,
        default=("negotiate",),
        metavar="LIST",
        help="comma list of the authentication methods to accept: negotiate, ntlm, basic (default negotiate, "
        "as on a real host: NTLM with message encryption over HTTP)",
    )
    parser.add_argument("--seed", type=int, metavar="N", help="seed for the scenario's random choices")
    parser.add_argument(
        "--cost-profile",
        type=_cost_profile,
        metavar="NAME|FILE",
        help="what host work costs: instant, realistic, or a JSON profile file (default: the scenario's "
        "cost_profile, else instant)",
    )
    parser.add_argument(
        "--time-scale",
        type=_time_scale,
        metavar="X",
        help="host seconds per real second: divides every cost and job duration by X, and runs the hosts' "
        "clock X times as fast (default: the scenario's time_scale, else 1)",
    )
    parser.add_argument(
        "--command-log",
        metavar="FILE",
        help="write one JSON line per pipeline command received to FILE (truncated first)",
    )
    parser.add_argument(
        "--control",
        action="store_true",
        help="read control commands from stdin, one JSON object per line (hang or recover guests, make their "
        "applications critical or healthy, jump a host's clock, kill its change watchers), and answer each with "
        "a line 'hvgui-emulator: control {...}'",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback listen address (anyone who can reach the port and knows the password gets "
        "in: use only on a trusted network); the exposed address and ports are printed to stderr",
    )
    parser.add_argument(
        "--no-heartbeat-events",
        action="store_true",
        help="model hosts whose WMI provider raises no Msvm_HeartbeatComponent events of its own (a subscription "
        "without WITHIN is refused with 0x80042002), so change watchers scan every VM instead",
    )
    parser.add_argument("--verbose", "-v", action="count", default=0, help="log more to stderr (-vv for debug)")
    return parser


def _cost_profile(value: str) -> CostProfile:
    from hvgui.emulator.hyperv.costs import load_profile  # the host model; imported only when needed

    try:
        return load_profile(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _auth_list(value: str) -> tuple[str, ...]:
    from hvgui.emulator.wsman.auth import parse_auth_list

    try:
        return parse_auth_list(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _time_scale(value: str) -> float:
    from hvgui.emulator.hyperv.costs import parse_time_scale

    try:
        return parse_time_scale(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.cert is None) != (args.key is None):
        parser.error("--cert and --key go together")
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:  # refuse a bad or exposed address before doing any work
        check_loopback(parse_listen(args.listen)[0], allow_remote=args.allow_remote)
    except ValueError as exc:  # ListenAddressRefused is a ValueError
        print(f"hvgui-emulator: error: {exc}", file=sys.stderr)
        return 2

    try:
        from hvgui.emulator.scenarios import load_scenario  # the host model; imported only when needed

        scenario = load_scenario(
            args.scenario, seed=args.seed, cost_profile=args.cost_profile, time_scale=args.time_scale
        )
    except Exception as exc:
        print(f"hvgui-emulator: error: cannot load scenario {args.scenario!r}: {exc}", file=sys.stderr)
        return 1
    if args.no_heartbeat_events:
        for host in scenario.hosts:
            host.model.heartbeat_indications = False
    profile = scenario.cost_profile
    log.info("cost profile %s, time scale %g", profile.name, profile.time_scale)

    try:
        emulator = start_hosts(
            scenario.hosts,
            scenario=scenario,
            tls=args.tls or args.cert is not None,
            cert_file=args.cert,
            key_file=args.key,
            username=args.user,
            password=args.password,
            command_log=args.command_log,
            listen=args.listen,
            allow_remote=args.allow_remote,
            auth=args.auth,
        )
    except ValueError as exc:
        print(f"hvgui-emulator: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"hvgui-emulator: error: cannot listen on {args.listen}: {exc}", file=sys.stderr)
        return 1
    if args.control:
        _read_control(scenario.hosts)
    return _serve(emulator)


def _read_control(hosts: list) -> threading.Thread:
    """Apply the control commands that arrive on stdin, answering each on stdout (see EPILOG)."""
    import json

    from hvgui.emulator.hyperv.heartbeats import control

    models = [host.model for host in hosts]

    def pump() -> None:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                command = json.loads(line)
            except ValueError as exc:
                answer = {"ok": False, "error": f"not JSON: {exc}"}
            else:
                answer = control(models, command) if isinstance(command, dict) else {"ok": False, "error": "not a dict"}
            print(CONTROL_PREFIX + json.dumps(answer), flush=True)

    thread = threading.Thread(target=pump, name="emulator-control", daemon=True)
    thread.start()
    return thread


def _serve(emulator: RunningEmulator) -> int:
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        for server in emulator.servers:
            warning = exposure_warning(server.address, server.port, use_https=server.use_https)
            if warning:
                print(f"hvgui-emulator: WARNING: {server.host_name}: {warning}", file=sys.stderr, flush=True)
        for endpoint in emulator.endpoints:
            print(format_listening_line(endpoint), flush=True)
        print(READY_LINE, flush=True)
        while not stop.wait(0.5):  # a timed wait lets signals in on every platform
            pass
    finally:
        emulator.close()
    return 0
