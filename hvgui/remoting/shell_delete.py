"""Close an abandoned runspace pool on the host: a best-effort WinRM Delete with a short deadline.

When hvgui drops a pool (a call timed out, a worker was retired, the session got out of step) the host
still holds its shell: WinRM keeps it for the shell's idle time-out (2 h on a host) and counts it against
the user's shell quota, so a few dropped pools can lock the admin out of new sessions. The Delete goes
over a WSMan of its own (a fresh TCP connection, since the old one may be the thing that hung) with short
time-outs, on a background thread, so the worker that dropped the pool never waits for it.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import Any

from pypsrp.wsman import SelectorSet, WSMan

from hvgui.remoting.transport import open_wsman

log = logging.getLogger(__name__)

#: Seconds the Delete may take (connect plus answer); after that the host's idle time-out cleans up.
DELETE_DEADLINE = 3.0


def delete_shell_in_background(
    options: dict[str, Any],
    resource_uri: str,
    shell_id: str,
    *,
    deadline: float = DELETE_DEADLINE,
    pinned_sha256: str | None = None,
) -> threading.Thread:
    """Send the Delete on a daemon thread and return it (callers need not wait; tests may join it)."""
    thread = threading.Thread(
        target=delete_shell,
        args=(options, resource_uri, shell_id),
        kwargs={"deadline": deadline, "pinned_sha256": pinned_sha256},
        name=f"shell-delete-{shell_id[:8]}",
        daemon=True,
    )
    thread.start()
    return thread


def delete_shell(
    options: dict[str, Any], resource_uri: str, shell_id: str, *, deadline: float, pinned_sha256: str | None = None
) -> bool:
    """WinRM Delete of one shell; True when the host confirmed it. Never raises."""
    quick = dict(
        options,
        connection_timeout=deadline,
        read_timeout=deadline,
        operation_timeout=max(1, math.floor(deadline) - 1),
        reconnection_retries=0,
    )
    wsman: WSMan | None = None
    try:
        wsman = open_wsman(quick, pinned_sha256=pinned_sha256)
        selectors = SelectorSet()
        selectors.add_option("ShellId", shell_id)
        wsman.delete(resource_uri, selector_set=selectors)
    except Exception as exc:
        log.info("could not close the dropped shell %s on %s: %s", shell_id, options.get("server"), exc)
        return False
    finally:
        if wsman is not None:
            wsman.close()
    log.info("closed the dropped shell %s on %s", shell_id, options.get("server"))
    return True
