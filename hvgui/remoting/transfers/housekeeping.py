"""Keeping the host's staging folder clean beyond one copy: staged files kept for a retry, and files left by
a client that crashed.

A copy whose connection dropped keeps what reached the host, so Retry goes on from it. When the admin dismisses
that failed copy, or the window closes, the runner removes those files (`discard`). A client that crashed never
does; so once per host session, before its first copy, `sweep_stale` removes what nobody has written for
`STALE_AFTER_HOURS` (`Remove-HvGuiStaleStagedFile`). Age by last write time is safe against a copy under way
(on any client): it writes its staged file at least once per chunk, seconds apart, and the host function
refuses an age under an hour. A failed copy kept for a retry longer than a day is swept too; its retry then
sends from the start. Both are best effort: a failure is logged, never shown as the copy's failure.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable

from hvgui.domain.errors import HvGuiError
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.transfers.host_calls import StagingCalls

log = logging.getLogger(__name__)

#: Staged files nobody wrote for this long belong to no copy under way.
STALE_AFTER_HOURS = 24
#: Seconds housekeeping may take before hvgui stops waiting for it.
HOUSEKEEPING_TIMEOUT = 30.0


async def sweep_stale(connection: HostConnection, older_than_hours: int = STALE_AFTER_HOURS) -> list[str]:
    """Remove stale staged files on the host; returns their names (empty when the sweep failed)."""
    try:
        removed = await asyncio.wait_for(StagingCalls(connection).remove_stale(older_than_hours), HOUSEKEEPING_TIMEOUT)
    except (HvGuiError, TimeoutError) as exc:
        log.warning("could not remove stale staged files: %r", exc)
        return []
    if removed:
        log.info("removed %d stale staged files: %s", len(removed), ", ".join(removed))
    return removed


async def discard(connection: HostConnection, transfer_ids: Iterable[str]) -> int:
    """Remove what is staged for these transfers; returns how many removals the host confirmed."""
    calls = StagingCalls(connection)
    confirmed = 0
    for text in transfer_ids:
        try:
            await asyncio.wait_for(calls.remove(uuid.UUID(text)), HOUSEKEEPING_TIMEOUT)
        except (HvGuiError, TimeoutError, ValueError) as exc:
            log.warning("could not remove the staged file %s: %r", text, exc)
            continue
        confirmed += 1
    return confirmed
