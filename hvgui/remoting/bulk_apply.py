"""Applying a plan of integration-service changes across hosts, with a result for every change.

Changes run one after another on each host (the admin can follow them, and a host is never asked to
reconfigure one VM twice at once) and hosts run in parallel (one slow host does not hold up the others).
A change the host refuses fails with the host's reason and the next one is tried. A connection that breaks
ends that host's sequence: the change under way is reported as unconfirmed, the rest as not attempted, so
the results always say which VMs were changed and which were not. Each host that was sent anything is
refreshed afterwards, so the window shows the truth.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence

from hvgui.domain.bulk import ChangeResult, PlannedChange
from hvgui.domain.errors import HostCommandError, HvGuiError
from hvgui.remoting.session_manager import HostSession

log = logging.getLogger(__name__)

ResultCallback = Callable[[ChangeResult], None]


async def apply_plan(
    plan: Sequence[PlannedChange],
    sessions: Mapping[str, HostSession],
    *,
    on_result: ResultCallback | None = None,
) -> list[ChangeResult]:
    """Apply every change of `plan` and return one result per change, in the plan's order.

    `sessions` maps a session key (`VmKey.host`) to its HostSession. `on_result` is called on the loop
    thread as each result arrives, so a dialog can fill its rows while the rest is still running.
    """
    results: list[ChangeResult | None] = [None] * len(plan)
    by_host: dict[str, list[int]] = {}
    for index, change in enumerate(plan):
        by_host.setdefault(change.host, []).append(index)

    def record(index: int, result: ChangeResult) -> None:
        results[index] = result
        if on_result is not None:
            try:
                on_result(result)
            except Exception as exc:  # a display problem must not stop the changes
                asyncio.get_running_loop().call_exception_handler(
                    {"message": f"bulk apply result callback {on_result!r} failed", "exception": exc}
                )

    async def run_host(host: str, indices: list[int]) -> None:
        session = sessions.get(host)
        if session is None:
            for index in indices:
                record(index, ChangeResult.not_attempted(plan[index], f"hvgui is not connected to {host}."))
            return
        label = session.settings.label
        broken: HvGuiError | None = None
        sent = False
        try:
            for index in indices:
                change = plan[index]
                if broken is not None:
                    reason = f"the connection to {label} failed before it was sent ({broken})."
                    record(index, ChangeResult.not_attempted(change, reason))
                    continue
                sent = True
                result, broken = await _apply_one(session, change)
                record(index, result)
        finally:
            if sent:
                session.refresh_now()

    await asyncio.gather(*(run_host(host, indices) for host, indices in by_host.items()))
    done = [r for r in results if r is not None]
    if len(done) != len(plan):  # not reachable: every index is recorded above
        raise RuntimeError("bulk apply lost a result")
    return done


async def _apply_one(session: HostSession, change: PlannedChange) -> tuple[ChangeResult, HvGuiError | None]:
    """The result of one change, and the error when the connection broke (which ends the host's sequence)."""
    try:
        warnings = await session.api.set_integration_service(change.vm_key.vm_id, change.ic_guid, change.enable)
    except HostCommandError as exc:
        return ChangeResult.failed(change, str(exc)), None
    except HvGuiError as exc:
        return ChangeResult.unknown(change, str(exc)), exc
    except Exception as exc:  # a defect: report it on the row instead of losing the rest of the plan
        log.exception("applying %s failed unexpectedly", change.description)
        return ChangeResult.failed(change, f"unexpected error in hvgui: {exc!r}"), None
    return ChangeResult.done(change, warnings), None
