"""A Receive that pypsrp re-sends after its HTTP read timed out gets the first reply again, verbatim.

pypsrp re-posts the identical envelope (same MessageID) when a host pauses longer than its read time-out
(`poll_invoke(timeout=1)` reads for 3 s). Answering it afresh would hand out the next fragments and lose
the held ones ("Fragment Id: 1 != Expected Fragment Id: 0"); the emulator replays instead.
"""

from __future__ import annotations

from collections.abc import Callable

from pypsrp.complex_objects import PSInvocationState
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvgui.emulator import RunningEmulator
from hvgui.emulator.endpoints import Endpoint

#: Larger than one Receive can carry, so the output spans fragments and a lost reply would show.
BIG = "x" * 600_000


def test_a_resent_receive_replays_the_held_reply_and_nothing_is_lost(
    wire_emulator: RunningEmulator, wire_endpoint: Endpoint, wsman_factory: Callable[..., WSMan]
) -> None:
    service = wire_emulator.servers[0].service
    with RunspacePool(wsman_factory(wire_endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Write-Output").add_argument(BIG)
        service.pause_next_output(4.0)  # longer than the 3 s pypsrp reads for with poll_invoke(timeout=1)
        ps.begin_invoke()
        while ps.state == PSInvocationState.RUNNING:
            ps.poll_invoke(timeout=1)
        assert ps.state == PSInvocationState.COMPLETED
        assert ps.output == [BIG]
    assert service.replayed_receives >= 1


def test_fresh_receives_are_not_replayed(
    wire_emulator: RunningEmulator, wire_endpoint: Endpoint, wsman_factory: Callable[..., WSMan]
) -> None:
    service = wire_emulator.servers[0].service
    with RunspacePool(wsman_factory(wire_endpoint)) as pool:
        for text in ("one", "two"):
            ps = PowerShell(pool)
            ps.add_cmdlet("Write-Output").add_argument(text)
            assert ps.invoke() == [text]
    assert service.replayed_receives == 0
