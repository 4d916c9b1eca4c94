"""What message encryption costs: hvgui's inventory of a 1,000-VM host over HTTPS with Basic, and over plain
HTTP with Negotiate (NTLM) and MS-WSMV message encryption, in the same run.

A real host's default listener is HTTP on 5985 with Negotiate, where every envelope is sealed with the NTLM
session key (RC4 and an HMAC-MD5 signature per message, in pyspnego's pure-Python NTLM on both sides), while
an HTTPS listener leaves encryption to TLS. Both emulators run as child processes (`large:N`, `--cost-profile
instant` unless told otherwise, so the host's own work does not hide the transport); the client is hvgui's
`HostApi.inventory()` over the real pypsrp client. The first inventory of each (pool open, logon, module
load) is not measured.

Prints one JSON object: `https_basic_wall_s`, `http_ntlm_encrypted_wall_s` (medians) and
`encryption_overhead_ratio` (encrypted / https). Goal: encryption_overhead_ratio <= 1.5.
Usage: python bench/auth_overhead.py [--vms 1000] [--runs 5] [--profile instant]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Sequence

from hvgui.domain.connection import AuthMethod
from hvgui.emulator.process import EmulatorProcess
from hvgui.remoting import HostApi, HostConnection

GOAL_RATIO = 1.5


def inventory_walls(child: EmulatorProcess, runs: int, expected: int) -> tuple[list[float], str]:
    """Wall seconds of `runs` inventories after a warm-up one, and the authentication the client used."""
    endpoint = child.endpoints[0]
    settings = endpoint.connection_settings()
    connection = HostConnection(settings, endpoint.password, operation_timeout=120)
    api = HostApi(connection)
    walls: list[float] = []

    async def refresh_all() -> None:
        try:
            await api.inventory(timeout=600)
            for _ in range(runs):
                start = time.perf_counter()
                report = await api.inventory(timeout=600)
                walls.append(time.perf_counter() - start)
                if len(report.inventory.vms) != expected:
                    raise SystemExit(f"the inventory returned {len(report.inventory.vms)} VMs, expected {expected}")
        finally:
            await connection.close()

    asyncio.run(refresh_all())
    return walls, settings.auth.value


def start(vms: int, profile: str, *, tls: bool, auth: str) -> EmulatorProcess:
    extra: Sequence[str] = ("--auth", auth)
    return EmulatorProcess.start(
        f"large:{vms}", tls=tls, seed=1, timeout=180, cost_profile=profile, extra_args=tuple(extra)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", default="instant", help="the emulators' cost profile")
    args = parser.parse_args()

    with start(args.vms, args.profile, tls=True, auth="basic") as child:
        assert child.endpoints[0].auth_method is AuthMethod.Basic
        https_walls, https_auth = inventory_walls(child, args.runs, args.vms)
    with start(args.vms, args.profile, tls=False, auth="negotiate") as child:
        assert child.endpoints[0].auth_method is AuthMethod.Negotiate
        sealed_walls, sealed_auth = inventory_walls(child, args.runs, args.vms)

    https_wall = statistics.median(https_walls)
    sealed_wall = statistics.median(sealed_walls)
    ratio = sealed_wall / https_wall
    print(
        json.dumps(
            {
                "vms": args.vms,
                "runs": args.runs,
                "profile": args.profile,
                "https_auth": https_auth,
                "http_auth": sealed_auth,
                "https_basic_wall_s": round(https_wall, 4),
                "http_ntlm_encrypted_wall_s": round(sealed_wall, 4),
                "encryption_overhead_ratio": round(ratio, 3),
                "goal_ratio": GOAL_RATIO,
                "goal_met": ratio <= GOAL_RATIO,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
